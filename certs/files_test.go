package certs

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWriteServingFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "serving-certs") // created on demand
	changed, err := writeServingFiles(dir, []byte("cert-1"), []byte("key-1"))
	if err != nil || !changed {
		t.Fatalf("first write: changed=%v err=%v", changed, err)
	}
	assertFile(t, filepath.Join(dir, "tls.crt"), "cert-1", 0o644)
	assertFile(t, filepath.Join(dir, "tls.key"), "key-1", 0o600)

	if changed, err := writeServingFiles(dir, []byte("cert-1"), []byte("key-1")); err != nil || changed {
		t.Errorf("identical write: changed=%v err=%v, want a no-op", changed, err)
	}

	if changed, err := writeServingFiles(dir, []byte("cert-2"), []byte("key-2")); err != nil || !changed {
		t.Fatalf("second write: changed=%v err=%v", changed, err)
	}
	assertFile(t, filepath.Join(dir, "tls.crt"), "cert-2", 0o644)
	assertFile(t, filepath.Join(dir, "tls.key"), "key-2", 0o600)

	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 {
		t.Errorf("dir holds %d entries, want tls.crt and tls.key only (no temp files left)", len(entries))
	}
}

func TestWriteFileAtomicRepairsMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tls.key")
	if err := os.WriteFile(path, []byte("key"), 0o644); err != nil {
		t.Fatal(err)
	}
	if changed, err := writeFileAtomic(path, []byte("key"), 0o600); err != nil || !changed {
		t.Fatalf("changed=%v err=%v, want the mode fixed", changed, err)
	}
	assertFile(t, path, "key", 0o600)
}

func TestWriteFileAtomicFailureKeepsOldFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "tls.crt")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(dir, 0o700) })
	if os.Getuid() == 0 {
		t.Skip("root ignores directory permissions")
	}
	if _, err := writeFileAtomic(path, []byte("new"), 0o644); err == nil {
		t.Fatal("write into a read-only directory succeeded")
	}
	assertFile(t, path, "old", 0o644)
}

// assertFile checks a file's contents and permissions.
func assertFile(t *testing.T, path, want string, mode os.FileMode) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("%s = %q, want %q", path, got, want)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != mode {
		t.Errorf("%s mode = %o, want %o", path, info.Mode().Perm(), mode)
	}
}
