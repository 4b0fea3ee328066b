package check

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/gateguard/gateguard/rules/manifest"
)

// ReadPaths reads files and directories (recursively: .yaml, .yml, .json)
// in argument order, "-" meaning stdin; documents keep file order.
func ReadPaths(paths []string, stdin io.Reader) ([]manifest.Document, int, error) {
	var chunks []manifest.Chunk
	for _, p := range paths {
		files, err := expand(p)
		if err != nil {
			return nil, 0, err
		}
		for _, f := range files {
			c, err := splitOne(f, stdin)
			if err != nil {
				return nil, 0, err
			}
			chunks = append(chunks, c...)
		}
	}
	return decodeAll(chunks)
}

// decodeAll decodes documents on every core, YAML parsing being most of
// the cost of a check, and returns them in their original order; the
// first error in that order wins.
func decodeAll(chunks []manifest.Chunk) ([]manifest.Document, int, error) {
	results := make([]manifest.Result, len(chunks))
	errs := make([]error, len(chunks))
	next := atomic.Int64{}
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(chunks); i = int(next.Add(1) - 1) {
				results[i], errs[i] = chunks[i].Decode()
			}
		})
	}
	wg.Wait()
	var docs []manifest.Document
	ignored := 0
	for i, r := range results {
		if errs[i] != nil {
			return nil, 0, errs[i]
		}
		docs = append(docs, r.Documents...)
		ignored += r.Ignored
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

func splitOne(path string, stdin io.Reader) ([]manifest.Chunk, error) {
	if path == "-" {
		return manifest.Split(stdin, "<stdin>")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return manifest.Split(f, path)
}
