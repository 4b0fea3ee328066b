package rules

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// checkSecretInUse: a Secret that a Gateway's TLS server reads as its
// credential, from the namespace where that Gateway's pods run, is not
// deleted.
func checkSecretInUse(r *request, sec *corev1.Secret) ([]violation, error) {
	var users []string
	for _, gw := range r.snapshot.GatewaysReferencingCredential(sec.Name) {
		if slices.Contains(podNamespaces(r.policy, r.snapshot, gw).namespaces, sec.Namespace) &&
			slices.Contains(credentialIndexValues(gw), sec.Name) {
			users = append(users, gw.Namespace+"/"+gw.Name)
		}
	}
	if len(users) == 0 {
		return nil, nil
	}
	slices.SortFunc(users, cmp.Compare)
	users = slices.Compact(users)
	noun := "Gateway"
	if len(users) > 1 {
		noun = "Gateways"
	}
	reissue := ""
	if cert, ok := r.snapshot.CertificateForSecret(client.ObjectKeyFromObject(sec)); ok {
		reissue = fmt.Sprintf(" until cert-manager Certificate %s/%s issues it again", sec.Namespace, cert)
	}
	return []violation{{err: field.Forbidden(field.NewPath("metadata", "name"), fmt.Sprintf(
		"Secret %s/%s is the TLS credential of %s %s, whose gateway pods read it from %s; deleting it makes TLS "+
			"handshakes on those servers fail%s: remove the references from the %s first, or update the Secret "+
			"in place instead of deleting it",
		sec.Namespace, sec.Name, noun, strings.Join(users, ", "), sec.Namespace, reissue, noun))}}, nil
}
