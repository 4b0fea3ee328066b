package certs

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// clockSkew backdates NotBefore: the certificate is used at once, and the
// API server's clock may lag this pod's by a few minutes.
const clockSkew = 5 * time.Minute

// maxCommonNameLen is the X.509 upper bound on a CommonName (RFC 5280,
// ub-common-name); some verifiers reject longer ones.
const maxCommonNameLen = 64

// PEM block types.
const (
	pemCertificate = "CERTIFICATE"
	pemPrivateKey  = "PRIVATE KEY"
)

// KeyPair is a PEM-encoded certificate and its PEM-encoded (PKCS #8)
// private key.
type KeyPair struct {
	CertPEM []byte
	KeyPEM  []byte
}

// NewCA returns a self-signed CA valid from shortly before now for
// validity. It may sign leaf certificates only (path length zero): it
// exists to sign the webhook's serving certificate and nothing else.
func NewCA(commonName string, validity time.Duration, now time.Time) (KeyPair, error) {
	if validity <= 0 {
		return KeyPair{}, fmt.Errorf("CA validity %s must be positive", validity)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return KeyPair{}, fmt.Errorf("generating CA key: %w", err)
	}
	tmpl, err := template(commonName, now, now.Add(validity))
	if err != nil {
		return KeyPair{}, err
	}
	tmpl.IsCA = true
	tmpl.MaxPathLenZero = true
	tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature
	return sign(tmpl, tmpl, key, key)
}

// NewServingCert returns a TLS server certificate for dnsNames signed by
// ca. ca.CertPEM may be a bundle: its first certificate is the one ca.KeyPEM
// belongs to. The certificate never outlives its CA, since a chain is only
// valid while every link is.
func NewServingCert(ca KeyPair, dnsNames []string, validity time.Duration, now time.Time) (KeyPair, error) {
	if len(dnsNames) == 0 {
		return KeyPair{}, errors.New("serving certificate needs at least one DNS name")
	}
	if validity <= 0 {
		return KeyPair{}, fmt.Errorf("validity %s must be positive", validity)
	}
	caCert, caKey, err := parseKeyPair(ca)
	if err != nil {
		return KeyPair{}, fmt.Errorf("CA: %w", err)
	}
	if !caCert.IsCA {
		return KeyPair{}, errors.New("CA: certificate is not a CA")
	}
	notAfter := now.Add(validity)
	if caCert.NotAfter.Before(notAfter) {
		notAfter = caCert.NotAfter
	}
	if !notAfter.After(now) {
		return KeyPair{}, fmt.Errorf("CA expired at %s", caCert.NotAfter.UTC().Format(time.RFC3339))
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return KeyPair{}, fmt.Errorf("generating serving key: %w", err)
	}
	tmpl, err := template(commonName(dnsNames), now, notAfter)
	if err != nil {
		return KeyPair{}, err
	}
	tmpl.DNSNames = append([]string(nil), dnsNames...)
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	return sign(tmpl, caCert, key, caKey)
}

// template holds what CA and serving certificates share: a random serial,
// a subject and a validity window backdated by clockSkew.
func template(cn string, now, notAfter time.Time) (*x509.Certificate, error) {
	// 128 random bits: serials must be unique per issuer and unpredictable
	// (CA/Browser Forum asks for at least 64 bits of entropy).
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, fmt.Errorf("generating serial number: %w", err)
	}
	return &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             now.Add(-clockSkew),
		NotAfter:              notAfter,
		BasicConstraintsValid: true,
	}, nil
}

// commonName picks the first DNS name as CommonName when it fits. Verifiers
// use the SANs only; the CommonName is for people reading the certificate.
func commonName(dnsNames []string) string {
	for _, n := range dnsNames {
		if len(n) <= maxCommonNameLen {
			return n
		}
	}
	return ""
}

// sign creates tmpl's certificate for key, signed by parent's signer, and
// encodes both as PEM.
func sign(tmpl, parent *x509.Certificate, key *ecdsa.PrivateKey, signer crypto.Signer) (KeyPair, error) {
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), signer)
	if err != nil {
		return KeyPair{}, fmt.Errorf("signing certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return KeyPair{}, fmt.Errorf("encoding private key: %w", err)
	}
	return KeyPair{
		CertPEM: pem.EncodeToMemory(&pem.Block{Type: pemCertificate, Bytes: der}),
		KeyPEM:  pem.EncodeToMemory(&pem.Block{Type: pemPrivateKey, Bytes: keyDER}),
	}, nil
}

// parseKeyPair decodes a certificate and its key, checking that they
// belong together (tls.X509KeyPair does) so we never sign with a key that
// doesn't match the CA certificate we hand out.
func parseKeyPair(kp KeyPair) (*x509.Certificate, crypto.Signer, error) {
	pair, err := tls.X509KeyPair(kp.CertPEM, kp.KeyPEM)
	if err != nil {
		return nil, nil, err
	}
	cert := pair.Leaf
	if cert == nil {
		if cert, err = x509.ParseCertificate(pair.Certificate[0]); err != nil {
			return nil, nil, err
		}
	}
	signer, ok := pair.PrivateKey.(crypto.Signer)
	if !ok {
		return nil, nil, fmt.Errorf("private key type %T cannot sign", pair.PrivateKey)
	}
	return cert, signer, nil
}

// parseCert decodes the first certificate in data; later ones (a bundle's
// older CAs) are ignored.
func parseCert(data []byte) (*x509.Certificate, error) {
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return nil, errors.New("no PEM certificate found")
		}
		if block.Type == pemCertificate {
			return x509.ParseCertificate(block.Bytes)
		}
	}
}

// parseCerts decodes every certificate in a PEM bundle, skipping blocks
// that aren't certificates or don't parse: a bundle is rebuilt from what is
// usable rather than rejected as a whole.
func parseCerts(data []byte) []*x509.Certificate {
	var certs []*x509.Certificate
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return certs
		}
		if block.Type != pemCertificate {
			continue
		}
		if c, err := x509.ParseCertificate(block.Bytes); err == nil {
			certs = append(certs, c)
		}
	}
}

// encodeCerts PEM-encodes certs in order.
func encodeCerts(certs []*x509.Certificate) []byte {
	var out []byte
	for _, c := range certs {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: pemCertificate, Bytes: c.Raw})...)
	}
	return out
}
