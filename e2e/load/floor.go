package main

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
)

// The floor runs as a child process of the tool, so that it stands where
// gateguard stands: another process across loopback. The child knows it is
// the floor by floorEnv, and reads its certificate and key from
// floorCertEnv and floorKeyEnv.
const (
	floorEnv     = "GATEGUARD_LOAD_FLOOR"
	floorCertEnv = "GATEGUARD_LOAD_FLOOR_CERT"
	floorKeyEnv  = "GATEGUARD_LOAD_FLOOR_KEY"
	floorMaxLife = time.Hour // the child exits by itself after this
)

// selfSignedCert makes an ECDSA P-256 certificate for 127.0.0.1 and
// localhost, its own CA, like envtest's serving certificate.
func selfSignedCert() (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "gateguard-load-floor"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), nil
}

// floor is the running floor child.
type floor struct {
	cmd   *exec.Cmd
	stdin io.Closer
	url   string
	ca    []byte
}

// startFloor starts the tool itself as the floor and reads its address.
func startFloor(certPEM, keyPEM []byte) (*floor, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), floorEnv+"=1", floorCertEnv+"="+string(certPEM), floorKeyEnv+"="+string(keyPEM))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	f := &floor{cmd: cmd, stdin: stdin, ca: certPEM}
	addr, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		f.stop()
		return nil, fmt.Errorf("floor did not report its address: %w", err)
	}
	f.url = "https://" + strings.TrimSpace(addr)
	return f, nil
}

// stop closes the child's stdin, which ends it, and waits; it kills the
// child only if it has not exited within 5s.
func (f *floor) stop() {
	_ = f.stdin.Close()
	done := make(chan struct{})
	go func() { _ = f.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = f.cmd.Process.Kill()
		<-done
	}
}

// serveFloor is the child: HTTPS (TLS 1.2+, HTTP/1.1) on a free loopback
// port, printed on stdout; it ends when stdin closes or after floorMaxLife.
func serveFloor() error {
	cert, err := tls.X509KeyPair([]byte(os.Getenv(floorCertEnv)), []byte(os.Getenv(floorKeyEnv)))
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           http.HandlerFunc(floorHandler),
		ReadHeaderTimeout: 10 * time.Second,
		TLSConfig:         &tls.Config{MinVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"}, Certificates: []tls.Certificate{cert}},
	}
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		_ = srv.Close()
	}()
	time.AfterFunc(floorMaxLife, func() { _ = srv.Close() })
	fmt.Println(l.Addr().String())
	if err := srv.ServeTLS(l, "", ""); err != http.ErrServerClosed {
		return err
	}
	return nil
}

// floorHandler does the least a webhook must: decode the AdmissionReview
// and allow it, answering its UID.
func floorHandler(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 7<<20))
	in := admissionv1.AdmissionReview{}
	if err == nil {
		err = json.Unmarshal(body, &in)
	}
	if err != nil || in.Request == nil {
		http.Error(w, fmt.Sprintf("not an AdmissionReview request: %v", err), http.StatusBadRequest)
		return
	}
	out := admissionv1.AdmissionReview{TypeMeta: in.TypeMeta, Response: &admissionv1.AdmissionResponse{
		UID: in.Request.UID, Allowed: true, Warnings: []string{floorWarning + r.URL.Path}}}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}
