package webhook

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/prometheus/client_golang/prometheus"
)

// certExpiry exports the expiry time of the serving certificate: the
// tls.crt in --cert-dir, which certwatcher serves in both certificate
// modes (a mounted Secret, or the files self-signed mode writes). It reads
// the file at each scrape, so a rotation shows without a restart. While the
// file is unreadable (self-signed mode before its first issue) there is no
// sample: an invalid metric would fail the whole scrape.
type certExpiry struct {
	path string
	desc *prometheus.Desc
}

// newCertExpiry watches dir's tls.crt, the name controller-runtime's
// webhook server loads.
func newCertExpiry(dir string) *certExpiry {
	return &certExpiry{path: filepath.Join(dir, "tls.crt"), desc: prometheus.NewDesc(
		"gateguard_serving_certificate_expiry_timestamp_seconds",
		"When the webhook's serving certificate (the first in tls.crt) expires, in Unix seconds.", nil, nil)}
}

// Describe implements prometheus.Collector.
func (c *certExpiry) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect implements prometheus.Collector.
func (c *certExpiry) Collect(ch chan<- prometheus.Metric) {
	cert, err := readLeaf(c.path)
	if err != nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(cert.NotAfter.Unix()))
}

// readLeaf parses the first certificate of a PEM file: the serving one,
// ahead of any chain.
func readLeaf(path string) (*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New(path + ": no PEM certificate")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cert, nil
}
