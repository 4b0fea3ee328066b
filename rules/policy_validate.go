package rules

import (
	"maps"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ValidatePolicy checks a decoded policy and returns every fault at once.
// It also prepares the policy for use (compiles its selectors).
func ValidatePolicy(p *Policy) field.ErrorList {
	var errs field.ErrorList
	if p.APIVersion != PolicyAPIVersion {
		errs = append(errs, field.NotSupported(field.NewPath("apiVersion"), p.APIVersion, []string{PolicyAPIVersion}))
	}
	if p.Kind != PolicyKind {
		errs = append(errs, field.NotSupported(field.NewPath("kind"), p.Kind, []string{PolicyKind}))
	}
	errs = append(errs, validateRuleConfigs(p.Rules)...)
	errs = append(errs, validateHostOwnership(p.HostOwnership)...)
	errs = append(errs, validateDefaults(p.Defaults, field.NewPath("defaults"))...)
	for i, g := range p.GatewayNamespaces {
		path := field.NewPath("gatewayNamespaces").Index(i)
		if len(g.Selector) == 0 {
			errs = append(errs, field.Required(path.Child("selector"), "the labels of the gateway pods"))
		}
		errs = append(errs, validateNamespaceName(path.Child("namespace"), g.Namespace)...)
	}
	errs = append(errs, validateExemptions(p.Exemptions)...)
	return append(errs, p.compile()...)
}

// validateRuleConfigs checks rule names, actions and that each knob is set
// only on the rule it belongs to. Maps are walked in key order so that the
// same file always reports the same faults in the same order.
func validateRuleConfigs(rules map[RuleID]RuleConfig) field.ErrorList {
	var errs field.ErrorList
	for _, id := range slices.Sorted(maps.Keys(rules)) {
		c := rules[id]
		path := field.NewPath("rules").Child(string(id))
		mutating, ok := knownRule(id)
		if !ok {
			errs = append(errs, field.NotSupported(path, id, allRuleIDs()))
			continue
		}
		actions := []Action{Deny, Warn, Off}
		if mutating {
			actions = []Action{On, Off}
		}
		if c.Action != "" && !slices.Contains(actions, c.Action) {
			errs = append(errs, field.NotSupported(path.Child("action"), c.Action, actions))
		}
		if c.AllowSameNamespaceMerge && id != DuplicateHost {
			errs = append(errs, field.Forbidden(path.Child("allowSameNamespaceMerge"), "applies only to duplicate-host"))
		}
		if len(c.SharedHostnames) > 0 && id != DuplicateHost {
			errs = append(errs, field.Forbidden(path.Child("sharedHostnames"), "applies only to duplicate-host"))
		}
		errs = append(errs, validateSharedHostnames(path.Child("sharedHostnames"), c.SharedHostnames)...)
		if len(c.AllowedWildcards) > 0 && id != WildcardHost {
			errs = append(errs, field.Forbidden(path.Child("allowedWildcards"), "applies only to wildcard-host"))
		}
		for i, w := range c.AllowedWildcards {
			if !strings.HasPrefix(w, "*.") || strings.Count(w, "*") != 1 {
				errs = append(errs, field.Invalid(path.Child("allowedWildcards").Index(i), w, `must look like "*.example.com"`))
			}
		}
	}
	return errs
}

// validateHostOwnership checks that each owner names namespaces and domains.
func validateHostOwnership(owners []HostOwner) field.ErrorList {
	var errs field.ErrorList
	for i, o := range owners {
		path := field.NewPath("hostOwnership").Index(i)
		if len(o.Namespaces) == 0 && o.NamespaceSelector == nil {
			errs = append(errs, field.Required(path, "namespaces or namespaceSelector"))
		}
		for j, ns := range o.Namespaces {
			errs = append(errs, validateNamespaceName(path.Child("namespaces").Index(j), ns)...)
		}
		if len(o.Domains) == 0 {
			errs = append(errs, field.Required(path.Child("domains"), "the domains these namespaces own"))
		}
		for j, d := range o.Domains {
			if d == "*" || strings.Contains(strings.TrimPrefix(d, "*."), "*") || d != strings.ToLower(d) {
				errs = append(errs, field.Invalid(path.Child("domains").Index(j), d,
					`must be a lower-case domain ("shop.example.com") or "*." and a domain`))
			}
		}
	}
	return errs
}

// validateDefaults checks the labels and selectors the mutating rules add.
func validateDefaults(d Defaults, path *field.Path) field.ErrorList {
	errs := validateLabels(d.GatewaySelector, path.Child("gatewaySelector"))
	for _, ns := range slices.Sorted(maps.Keys(d.GatewaySelectorByNamespace)) {
		sel := d.GatewaySelectorByNamespace[ns]
		p := path.Child("gatewaySelectorByNamespace").Child(ns)
		errs = append(errs, validateNamespaceName(p, ns)...)
		errs = append(errs, validateLabels(sel, p)...)
	}
	errs = append(errs, validateLabels(d.Labels, path.Child("labels"))...)
	for _, key := range slices.Sorted(maps.Keys(d.LabelsFromNamespace)) {
		nsKey := d.LabelsFromNamespace[key]
		p := path.Child("labelsFromNamespace").Child(key)
		errs = append(errs, validateLabelKey(p, key)...)
		for _, msg := range validation.IsQualifiedName(nsKey) {
			errs = append(errs, field.Invalid(p, nsKey, msg))
		}
	}
	return errs
}

// validateLabels checks label keys and values, and refuses the keys that
// belong to Istio's revision machinery.
func validateLabels(labels map[string]string, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		v := labels[k]
		errs = append(errs, validateLabelKey(path.Child(k), k)...)
		for _, msg := range validation.IsValidLabelValue(v) {
			errs = append(errs, field.Invalid(path.Child(k), v, msg))
		}
	}
	return errs
}

func validateLabelKey(path *field.Path, key string) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range validation.IsQualifiedName(key) {
		errs = append(errs, field.Invalid(path, key, msg))
	}
	if key == "istio.io/rev" || strings.HasPrefix(key, "internal.istio.io/") {
		errs = append(errs, field.Forbidden(path, "istio.io/rev and internal.istio.io/ keys belong to Istio"))
	}
	return errs
}

// validateExemptions refuses an exemption with no criterion: it would
// switch rules off for every request.
func validateExemptions(exemptions []Exemption) field.ErrorList {
	var errs field.ErrorList
	for i, e := range exemptions {
		path := field.NewPath("exemptions").Index(i)
		if len(e.Namespaces) == 0 && e.NamespaceSelector == nil && len(e.Users) == 0 && len(e.Groups) == 0 &&
			!e.ObjectAnnotation {
			errs = append(errs, field.Required(path, "namespaces, namespaceSelector, users, groups or objectAnnotation"))
		}
		for j, id := range e.Rules {
			if _, ok := knownRule(id); !ok {
				errs = append(errs, field.NotSupported(path.Child("rules").Index(j), id, allRuleIDs()))
			}
		}
	}
	return errs
}

func validateNamespaceName(path *field.Path, ns string) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range validation.IsDNS1123Label(ns) {
		errs = append(errs, field.Invalid(path, ns, msg))
	}
	return errs
}

func allRuleIDs() []RuleID {
	var ids []RuleID
	for _, r := range Catalog() {
		ids = append(ids, r.ID)
	}
	for _, r := range mutatingCatalog() {
		ids = append(ids, r.ID)
	}
	return ids
}
