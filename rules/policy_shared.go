package rules

import (
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// SharedHostnames names hostnames that every namespace listed may serve
// beside the others. Hostnames match exactly: "*.shop.example.com" shares
// that wildcard, not the names under it.
type SharedHostnames struct {
	Hostnames  []string `yaml:"hostnames"`
	Namespaces []string `yaml:"namespaces"`
}

// hostnameShared reports whether the policy lets namespaces nsA and nsB
// both serve host (any case): some entry lists the host and both of them.
func (p *Policy) hostnameShared(host, nsA, nsB string) bool {
	host = strings.ToLower(host)
	return slices.ContainsFunc(p.config(DuplicateHost).SharedHostnames, func(s SharedHostnames) bool {
		return slices.Contains(s.Hostnames, host) && slices.Contains(s.Namespaces, nsA) && slices.Contains(s.Namespaces, nsB)
	})
}

// validateSharedHostnames checks that each entry names hostnames, written as
// a route's are, and at least two namespaces, since one shares nothing.
func validateSharedHostnames(entriesPath *field.Path, entries []SharedHostnames) field.ErrorList {
	var errs field.ErrorList
	for i, e := range entries {
		path := entriesPath.Index(i)
		if len(e.Hostnames) == 0 {
			errs = append(errs, field.Required(path.Child("hostnames"), "the hostnames these namespaces share"))
		}
		for j, h := range e.Hostnames {
			errs = append(errs, validateSharedHostname(path.Child("hostnames").Index(j), h)...)
		}
		if len(e.Namespaces) < 2 {
			errs = append(errs, field.Required(path.Child("namespaces"), "at least two namespaces to share the hostnames"))
		}
		for j, ns := range e.Namespaces {
			errs = append(errs, validateNamespaceName(path.Child("namespaces").Index(j), ns)...)
		}
	}
	return errs
}

// validateSharedHostname: a lower-case DNS name, or "*." and one, as the
// Gateway API's Hostname type allows.
func validateSharedHostname(path *field.Path, host string) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range validation.IsDNS1123Subdomain(strings.TrimPrefix(host, "*.")) {
		errs = append(errs, field.Invalid(path, host, msg))
	}
	return errs
}
