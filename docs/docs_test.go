// Package docs holds the tests that keep the repository self-contained:
// nothing cites what a clone does not have, and every link in the docs
// and the README leads somewhere in it.
package docs

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// trackedFiles lists the repository's files, relative to its root.
func trackedFiles(t *testing.T) (root string, files []string) {
	t.Helper()
	out, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Skipf("not a git checkout: %v", err)
	}
	root = strings.TrimSpace(string(out))
	out, err = exec.Command("git", "-C", root, "ls-files").Output()
	if err != nil {
		t.Fatal(err)
	}
	return root, strings.Fields(string(out))
}

// TestNothingCitesOutsideTheRepository: no file reads or cites the
// workspace's spec or an issue tracker a clone cannot open.
func TestNothingCitesOutsideTheRepository(t *testing.T) {
	root, files := trackedFiles(t)
	// Spelled in pieces, so that this file does not cite what it forbids.
	outside := regexp.MustCompile(strings.Join([]string{`\.\./` + `shared`, `shared` + `/corpus`, `DESIGN\.md`, `DESIGN` + ` §`,
		`§` + `[0-9]`, `\bissue [0-9]+\b`}, "|"))
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(data), "\n") {
			if m := outside.FindString(line); m != "" {
				t.Errorf("%s:%d cites %q, which a clone of the repository does not have", f, i+1, m)
			}
		}
	}
}

// TestDocLinksResolve: every relative Markdown link in docs/ and the
// README names a file of the repository and, with a #fragment, one of
// its headings.
func TestDocLinksResolve(t *testing.T) {
	root, files := trackedFiles(t)
	link := regexp.MustCompile(`\]\(([^)#\s]*)(#[^)\s]*)?\)`)
	for _, f := range files {
		if !strings.HasSuffix(f, ".md") || (!strings.HasPrefix(f, "docs/") && f != "README.md") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range link.FindAllStringSubmatch(string(data), -1) {
			target, fragment := m[1], strings.TrimPrefix(m[2], "#")
			if strings.Contains(target, "://") {
				continue
			}
			path := filepath.Join(root, filepath.Dir(f), target)
			if target == "" {
				path = filepath.Join(root, f)
			}
			body, err := os.ReadFile(path)
			if err != nil {
				t.Errorf("%s links to %s, which does not exist", f, m[0])
				continue
			}
			if fragment != "" && !strings.Contains(anchors(string(body)), "|"+fragment+"|") {
				t.Errorf("%s links to %s, a heading %s does not have", f, m[0], target)
			}
		}
	}
}

// anchors lists a Markdown file's heading anchors as GitHub makes them,
// each between bars.
func anchors(markdown string) string {
	var b strings.Builder
	b.WriteString("|")
	for _, line := range strings.Split(markdown, "\n") {
		heading, ok := strings.CutPrefix(strings.TrimLeft(line, "#"), " ")
		if !ok || !strings.HasPrefix(line, "#") {
			continue
		}
		var slug strings.Builder
		for _, r := range strings.ToLower(heading) {
			switch {
			case r == ' ':
				slug.WriteRune('-')
			case r == '-' || r == '_' || ('a' <= r && r <= 'z') || ('0' <= r && r <= '9'):
				slug.WriteRune(r)
			}
		}
		b.WriteString(slug.String() + "|")
	}
	return b.String()
}
