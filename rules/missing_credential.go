package rules

import (
	"fmt"
	"slices"
	"strings"

	networking "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// checkMissingCredential: every TLS server's credential Secret exists, with
// its keys, in each namespace where the selected gateway pods run.
func checkMissingCredential(r *request, gw *networkingv1.Gateway) ([]violation, error) {
	place := podNamespaces(r.policy, r.snapshot, gw)
	var out []violation
	for i, s := range gw.Spec.Servers {
		tls := s.GetTls()
		if !terminatesTLS(tls) {
			continue
		}
		path := field.NewPath("spec", "servers").Index(i).Child("tls")
		mutual := tls.GetMode() == networking.ServerTLSSettings_MUTUAL ||
			tls.GetMode() == networking.ServerTLSSettings_OPTIONAL_MUTUAL
		for _, ref := range credentialRefs(tls, path) {
			for _, ns := range place.namespaces {
				c := credentialCheck{r: r, gw: gw, place: place, namespace: ns, ref: ref}
				v, err := c.run(mutual && tls.GetCaCertCredentialName() == "" && ref.role == roleCert)
				if err != nil {
					return nil, err
				}
				out = append(out, v...)
			}
		}
	}
	return out, nil
}

// terminatesTLS reports whether a server terminates TLS with a credential.
func terminatesTLS(tls *networking.ServerTLSSettings) bool {
	switch tls.GetMode() {
	case networking.ServerTLSSettings_SIMPLE, networking.ServerTLSSettings_MUTUAL,
		networking.ServerTLSSettings_OPTIONAL_MUTUAL:
		return tls != nil
	}
	return false
}

type credentialRole int

const (
	roleCert credentialRole = iota // certificate and key
	roleCA                         // CA certificate only
)

// credentialRef is one Secret name a TLS block refers to.
type credentialRef struct {
	name string
	path *field.Path
	role credentialRole
}

// credentialRefs lists credentialName, credentialNames and
// caCertCredentialName, skipping values with a scheme (sds://, builtin://,
// kubernetes-gateway://, configmap://), which are not Secrets.
func credentialRefs(tls *networking.ServerTLSSettings, path *field.Path) []credentialRef {
	var out []credentialRef
	add := func(name string, p *field.Path, role credentialRole) {
		if name != "" && !strings.Contains(name, "://") {
			out = append(out, credentialRef{name: name, path: p, role: role})
		}
	}
	add(tls.GetCredentialName(), path.Child("credentialName"), roleCert)
	for j, n := range tls.GetCredentialNames() {
		add(n, path.Child("credentialNames").Index(j), roleCert)
	}
	add(tls.GetCaCertCredentialName(), path.Child("caCertCredentialName"), roleCA)
	return out
}

// credentialCheck checks one credential in one namespace.
type credentialCheck struct {
	r         *request
	gw        *networkingv1.Gateway
	place     placement
	namespace string
	ref       credentialRef
}

// secret names a Secret of the namespace the credential is read from.
func (c credentialCheck) secret(name string) types.NamespacedName {
	return types.NamespacedName{Namespace: c.namespace, Name: name}
}

// run reports a missing Secret, missing keys, or a missing CA for mutual TLS.
func (c credentialCheck) run(needCA bool) ([]violation, error) {
	snap := c.r.snapshot
	if !snap.SecretsReadable(c.namespace) {
		return c.unreadable(), nil
	}
	if !snap.SecretExists(c.secret(c.ref.name)) {
		return c.absent(), nil
	}
	keys, err := snap.SecretKeys(c.r.ctx, c.secret(c.ref.name))
	if err != nil {
		return nil, fmt.Errorf("reading key names of Secret %s/%s: %w", c.namespace, c.ref.name, err)
	}
	secret := c.namespace + "/" + c.ref.name
	switch {
	case c.ref.role == roleCA && !hasCAKey(keys):
		return c.invalid(fmt.Sprintf("Secret %s has no ca.crt or cacert key", secret)), nil
	case c.ref.role == roleCert && !hasCertKeys(keys):
		return c.invalid(fmt.Sprintf("Secret %s has neither tls.crt+tls.key nor cert+key, so Istio cannot load it", secret)), nil
	case needCA && !hasCAKey(keys):
		return c.missingCA()
	}
	return nil, nil
}

// unreadable warns that the Secret sits where gateguard may not look, so
// that a scoped install never mistakes what it cannot see for a missing
// Secret, nor stays silent about it.
func (c credentialCheck) unreadable() []violation {
	return []violation{{warnOnly: true, err: field.Forbidden(c.ref.path, msgSecretsUnreadable(c.ref.name, c.namespace))}}
}

// absent reports a Secret that does not exist: pending when cert-manager
// will issue it, else denied.
func (c credentialCheck) absent() []violation {
	if cert, ok := c.r.snapshot.CertificateForSecret(c.secret(c.ref.name)); ok {
		return []violation{{warnOnly: true, err: withDetail(field.NotFound(c.ref.path, c.ref.name), fmt.Sprintf(
			"Secret %s/%s is not issued yet: cert-manager Certificate %s/%s will create it; until then TLS "+
				"handshakes on this server fail", c.namespace, c.ref.name, c.namespace, cert))}}
	}
	if c.place.source == placementAssumed {
		return []violation{{err: withDetail(field.NotFound(c.ref.path, c.ref.name), fmt.Sprintf(
			"Secret %q does not exist in namespace %s: no gateway pods selected by %s were found and no "+
				"gatewayNamespaces entry places them, so the Gateway's own namespace was checked; Istio reads the "+
				"Secret where those pods run: create it there, or fix the name", c.ref.name, c.namespace,
			selectorString(c.gw.Spec.Selector)))}}
	}
	return []violation{{err: withDetail(field.NotFound(c.ref.path, c.ref.name), fmt.Sprintf(
		"Secret %q does not exist in namespace %s, where Istio reads it (%s), not the Gateway's namespace: "+
			"create the Secret in %s or fix the name", c.ref.name, c.namespace, c.place.describe(c.gw), c.namespace))}}
}

// missingCA checks the <name>-cacert Secret that mutual TLS falls back to.
func (c credentialCheck) missingCA() ([]violation, error) {
	caName := c.ref.name + "-cacert"
	if c.r.snapshot.SecretExists(c.secret(caName)) {
		keys, err := c.r.snapshot.SecretKeys(c.r.ctx, c.secret(caName))
		if err != nil {
			return nil, fmt.Errorf("reading key names of Secret %s/%s: %w", c.namespace, caName, err)
		}
		if hasCAKey(keys) {
			return nil, nil
		}
	}
	return c.invalid(fmt.Sprintf("mutual TLS needs a CA: add ca.crt (or cacert) to Secret %s/%s, or create "+
		"Secret %s/%s with it", c.namespace, c.ref.name, c.namespace, caName)), nil
}

func (c credentialCheck) invalid(msg string) []violation {
	return []violation{{err: field.Invalid(c.ref.path, c.ref.name, msg)}}
}

func hasCertKeys(keys []string) bool {
	return (slices.Contains(keys, "tls.crt") && slices.Contains(keys, "tls.key")) ||
		(slices.Contains(keys, "cert") && slices.Contains(keys, "key"))
}

func hasCAKey(keys []string) bool {
	return slices.Contains(keys, "ca.crt") || slices.Contains(keys, "cacert")
}
