package check

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gateguard/gateguard/rules/manifest"
)

// ReadPaths reads files and directories (recursively: .yaml, .yml, .json)
// in argument order, "-" meaning stdin; documents keep file order.
func ReadPaths(paths []string, stdin io.Reader) ([]manifest.Document, int, error) {
	var docs []manifest.Document
	ignored := 0
	for _, p := range paths {
		files, err := expand(p)
		if err != nil {
			return nil, 0, err
		}
		for _, f := range files {
			res, err := readOne(f, stdin)
			if err != nil {
				return nil, 0, err
			}
			docs = append(docs, res.Documents...)
			ignored += res.Ignored
		}
	}
	return docs, ignored, nil
}

// expand lists the manifest files under a path, sorted within a directory.
func expand(path string) ([]string, error) {
	if path == "-" {
		return []string{"-"}, nil
	}
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return []string{path}, nil
	}
	var files []string
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && slices.Contains([]string{".yaml", ".yml", ".json"}, strings.ToLower(filepath.Ext(p))) {
			files = append(files, p)
		}
		return nil
	})
	return files, err
}

func readOne(path string, stdin io.Reader) (manifest.Result, error) {
	if path == "-" {
		return manifest.Read(stdin, "<stdin>")
	}
	f, err := os.Open(path)
	if err != nil {
		return manifest.Result{}, err
	}
	defer f.Close()
	return manifest.Read(f, path)
}
