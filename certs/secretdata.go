package certs

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// Secret keys. tls.crt, tls.key and ca.crt follow the kubernetes.io/tls
// and cert-manager conventions; ca.key is ours: keeping the CA key in the
// Secret lets whichever replica notices first renew, with no leader.
const (
	KeyCACert = "ca.crt"
	KeyCAKey  = "ca.key"
)

// issuance describes how to fill a Secret: the certificate lifetimes, the
// names to issue for and the clock.
type issuance struct {
	dnsNames    []string
	caName      string
	validity    time.Duration
	caValidity  time.Duration
	renewBefore time.Duration
	now         time.Time
}

// planSecret decides what the Secret's data should become. It returns nil
// data when old is fine as it is, otherwise the four keys to write and why.
// force re-issues the serving certificate (not the CA) regardless.
//
// The checks run in dependency order: a CA that must go takes the serving
// certificate with it; otherwise the serving certificate is judged on its
// own; last, expired CAs left in the bundle are dropped.
func planSecret(old map[string][]byte, is issuance, force bool) (map[string][]byte, string, error) {
	ca := KeyPair{CertPEM: old[KeyCACert], KeyPEM: old[KeyCAKey]}
	bundle := pruneBundle(old[KeyCACert], is.now)
	var reason string
	if renew, why := CANeedsRenewal(ca.CertPEM, ca.KeyPEM, is.now, is.renewBefore); renew {
		newCA, err := NewCA(is.caName, is.caValidity, is.now)
		if err != nil {
			return nil, "", err
		}
		ca = newCA
		bundle = rolloverBundle(newCA.CertPEM, old[KeyCACert], is.now)
		reason = why
	} else if force {
		reason = "rotation requested"
	} else if renew, why := NeedsRenewal(old[corev1.TLSCertKey], ca.CertPEM, is.dnsNames, is.now, is.renewBefore); renew {
		reason = why
	} else if _, err := tls.X509KeyPair(old[corev1.TLSCertKey], old[corev1.TLSPrivateKeyKey]); err != nil {
		reason = fmt.Sprintf("serving key does not match its certificate: %v", err)
	} else if !bytes.Equal(bundle, old[KeyCACert]) {
		return secretData(KeyPair{CertPEM: old[corev1.TLSCertKey], KeyPEM: old[corev1.TLSPrivateKeyKey]},
			ca.KeyPEM, bundle), "dropping expired or unparseable CAs from " + KeyCACert, nil
	} else {
		return nil, "", nil
	}
	serving, err := NewServingCert(ca, is.dnsNames, is.validity, is.now)
	if err != nil {
		return nil, "", err
	}
	return secretData(serving, ca.KeyPEM, bundle), reason, nil
}

// secretData lays out the Secret's keys.
func secretData(serving KeyPair, caKey, bundle []byte) map[string][]byte {
	return map[string][]byte{
		corev1.TLSCertKey:       serving.CertPEM,
		corev1.TLSPrivateKeyKey: serving.KeyPEM,
		KeyCACert:               bundle,
		KeyCAKey:                caKey,
	}
}

// rolloverBundle is the new CA followed by the previous one, if it is
// still valid. Replicas pick up a new serving certificate only at their
// next check; until then they serve one issued by the previous CA, which
// the API server must go on trusting.
func rolloverBundle(newCA, oldBundle []byte, now time.Time) []byte {
	out := bytes.Clone(newCA)
	if olds := parseCerts(oldBundle); len(olds) > 0 && now.Before(olds[0].NotAfter) {
		out = append(out, encodeCerts(olds[:1])...)
	}
	return out
}

// pruneBundle drops expired and unparseable certificates from a CA
// bundle: they can no longer verify anything and only grow caBundle.
func pruneBundle(bundle []byte, now time.Time) []byte {
	certs := parseCerts(bundle)
	kept := certs[:0]
	for _, c := range certs {
		if now.Before(c.NotAfter) {
			kept = append(kept, c)
		}
	}
	return encodeCerts(kept)
}
