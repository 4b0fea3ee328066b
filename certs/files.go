package certs

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	corev1 "k8s.io/api/core/v1"
)

// File modes: the certificate is public, the key readable by us alone.
const (
	certFileMode fs.FileMode = 0o644
	keyFileMode  fs.FileMode = 0o600
	certDirMode  fs.FileMode = 0o755
)

// writeServingFiles puts tls.crt and tls.key into dir, under the names
// controller-runtime's webhook server loads by default, and reports
// whether either changed. Unchanged files are not rewritten, so certwatcher
// sees no event on a no-op check.
//
// The two files are replaced one after the other, so for a moment the
// certificate and key on disk may not match. certwatcher tolerates that:
// tls.X509KeyPair fails, it keeps serving the previous pair, and the
// second rename's event (or its next poll) loads the new one.
func writeServingFiles(dir string, certPEM, keyPEM []byte) (bool, error) {
	if err := os.MkdirAll(dir, certDirMode); err != nil {
		return false, fmt.Errorf("creating cert dir: %w", err)
	}
	keyChanged, err := writeFileAtomic(filepath.Join(dir, corev1.TLSPrivateKeyKey), keyPEM, keyFileMode)
	if err != nil {
		return false, err
	}
	certChanged, err := writeFileAtomic(filepath.Join(dir, corev1.TLSCertKey), certPEM, certFileMode)
	if err != nil {
		return false, err
	}
	return keyChanged || certChanged, nil
}

// writeFileAtomic replaces path with data unless it already holds exactly
// that with mode, reporting whether it wrote. It writes a temporary file in
// the same directory (rename is only atomic within a filesystem), syncs it
// and renames it over path: a reader sees the old file or the new one,
// never a truncated or half-written one.
func writeFileAtomic(path string, data []byte, mode fs.FileMode) (bool, error) {
	if unchanged(path, data, mode) {
		return false, nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return false, fmt.Errorf("writing %s: %w", path, err)
	}
	// CreateTemp makes the file 0600, so the key is never readable by
	// others, not even before the Chmod.
	err = errors.Join(
		write(tmp, data, mode),
		tmp.Close(),
	)
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		return false, fmt.Errorf("writing %s: %w", path, err)
	}
	return true, nil
}

// write fills a fresh file, sets its mode and syncs it, so the rename that
// follows publishes complete contents even across a crash.
func write(f *os.File, data []byte, mode fs.FileMode) error {
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Chmod(mode); err != nil {
		return err
	}
	return f.Sync()
}

// unchanged reports whether path already holds data with mode.
func unchanged(path string, data []byte, mode fs.FileMode) bool {
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != mode {
		return false
	}
	current, err := os.ReadFile(path)
	return err == nil && bytes.Equal(current, data)
}
