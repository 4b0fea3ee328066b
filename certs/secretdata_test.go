package certs

import (
	"bytes"
	"crypto/tls"
	"maps"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// testIssuance is the default issuance at now.
func testIssuance(now time.Time) issuance {
	return issuance{
		dnsNames: testNames(), caName: "test-ca", validity: 365 * day,
		caValidity: 10 * 365 * day, renewBefore: 30 * day, now: now,
	}
}

// mustPlan runs planSecret or fails the test.
func mustPlan(t *testing.T, old map[string][]byte, is issuance, force bool) (map[string][]byte, string) {
	t.Helper()
	data, reason, err := planSecret(old, is, force)
	if err != nil {
		t.Fatalf("planSecret: %v", err)
	}
	return data, reason
}

// assertUsable checks data is a complete, consistent Secret at now.
func assertUsable(t *testing.T, data map[string][]byte, now time.Time) {
	t.Helper()
	if renew, why := CANeedsRenewal(data[KeyCACert], data[KeyCAKey], now, 30*day); renew {
		t.Errorf("CA not usable: %s", why)
	}
	if renew, why := NeedsRenewal(data[corev1.TLSCertKey], data[KeyCACert], testNames(), now, 30*day); renew {
		t.Errorf("serving certificate not usable: %s", why)
	}
	if _, err := tls.X509KeyPair(data[corev1.TLSCertKey], data[corev1.TLSPrivateKeyKey]); err != nil {
		t.Errorf("serving key: %v", err)
	}
}

func TestPlanSecret(t *testing.T) {
	now := testNow()
	initial, _ := mustPlan(t, nil, testIssuance(now), false)
	assertUsable(t, initial, now)

	t.Run("fresh is kept", func(t *testing.T) {
		if data, reason := mustPlan(t, initial, testIssuance(now), false); data != nil {
			t.Errorf("renewed a fresh secret: %s", reason)
		}
	})
	t.Run("force re-issues the serving certificate only", func(t *testing.T) {
		data, reason := mustPlan(t, initial, testIssuance(now), true)
		assertSameCA(t, initial, data)
		assertNewServing(t, initial, data)
		if reason != "rotation requested" {
			t.Errorf("reason = %q", reason)
		}
	})
	t.Run("expiring serving certificate", func(t *testing.T) {
		later := now.Add(340 * day)
		data, reason := mustPlan(t, initial, testIssuance(later), false)
		assertSameCA(t, initial, data)
		assertNewServing(t, initial, data)
		assertUsable(t, data, later)
		if !strings.Contains(reason, "serving certificate expires") {
			t.Errorf("reason = %q", reason)
		}
	})
	t.Run("mismatched serving key", func(t *testing.T) {
		old := maps.Clone(initial)
		old[corev1.TLSPrivateKeyKey] = initial[KeyCAKey]
		data, reason := mustPlan(t, old, testIssuance(now), false)
		assertNewServing(t, initial, data)
		if !strings.Contains(reason, "does not match") {
			t.Errorf("reason = %q", reason)
		}
	})
	t.Run("missing CA key renews the CA", func(t *testing.T) {
		old := maps.Clone(initial)
		delete(old, KeyCAKey)
		data, _ := mustPlan(t, old, testIssuance(now), false)
		assertUsable(t, data, now)
		if bytes.Equal(data[KeyCAKey], initial[KeyCAKey]) {
			t.Error("CA key unchanged")
		}
	})
}

func TestPlanSecretCARollover(t *testing.T) {
	now := testNow()
	is := testIssuance(now)
	is.caValidity = 365 * day
	initial, _ := mustPlan(t, nil, is, false)

	later := now.Add(340 * day)
	data, reason := mustPlan(t, initial, testIssuance(later), false)
	if !strings.Contains(reason, "CA certificate expires") {
		t.Errorf("reason = %q", reason)
	}
	assertUsable(t, data, later)
	bundle := parseCerts(data[KeyCACert])
	if len(bundle) != 2 || !bytes.Equal(bundle[1].Raw, mustParse(t, initial[KeyCACert]).Raw) {
		t.Fatalf("ca.crt holds %d certificates, want the new CA then the previous one", len(bundle))
	}
	// Replicas still serving the previous certificate stay trusted.
	if err := verifyFor(initial[corev1.TLSCertKey], data[KeyCACert], testNames()[2], later); err != nil {
		t.Errorf("previous serving certificate no longer verifies against the bundle: %v", err)
	}

	// Once the previous CA has expired, it is dropped from the bundle
	// without re-issuing anything else.
	afterExpiry := now.Add(366 * day)
	pruned, reason := mustPlan(t, data, testIssuance(afterExpiry), false)
	if !strings.Contains(reason, "dropping") {
		t.Fatalf("reason = %q, want the bundle pruned", reason)
	}
	if n := len(parseCerts(pruned[KeyCACert])); n != 1 {
		t.Errorf("pruned bundle holds %d certificates, want 1", n)
	}
	if !bytes.Equal(pruned[corev1.TLSCertKey], data[corev1.TLSCertKey]) || !bytes.Equal(pruned[KeyCAKey], data[KeyCAKey]) {
		t.Error("pruning the bundle re-issued certificates")
	}
	if again, reason := mustPlan(t, pruned, testIssuance(afterExpiry), false); again != nil {
		t.Errorf("pruned secret renewed again: %s", reason)
	}
}

func TestPlanSecretGarbageCA(t *testing.T) {
	now := testNow()
	old := map[string][]byte{KeyCACert: []byte("junk"), KeyCAKey: []byte("junk"), corev1.TLSCertKey: []byte("junk")}
	data, _ := mustPlan(t, old, testIssuance(now), false)
	assertUsable(t, data, now)
	if n := len(parseCerts(data[KeyCACert])); n != 1 {
		t.Errorf("bundle holds %d certificates, want only the new CA", n)
	}
}

// assertSameCA checks the CA was kept.
func assertSameCA(t *testing.T, before, after map[string][]byte) {
	t.Helper()
	if !bytes.Equal(before[KeyCACert], after[KeyCACert]) || !bytes.Equal(before[KeyCAKey], after[KeyCAKey]) {
		t.Error("CA changed")
	}
}

// assertNewServing checks a new serving certificate and key were issued.
func assertNewServing(t *testing.T, before, after map[string][]byte) {
	t.Helper()
	if after == nil || bytes.Equal(before[corev1.TLSCertKey], after[corev1.TLSCertKey]) ||
		bytes.Equal(before[corev1.TLSPrivateKeyKey], after[corev1.TLSPrivateKeyKey]) {
		t.Error("serving certificate or key not re-issued")
	}
}
