package rules

import (
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// PolicyAPIVersion and PolicyKind identify a GatewayPolicy document.
const (
	PolicyAPIVersion = "gateguard.dev/v1alpha1"
	PolicyKind       = "GatewayPolicy"
)

// ExemptAnnotation lets an object exempt itself from the rules it lists
// ("wildcard-host,overlapping-host"), where an exemption with objectAnnotation:
// true allows it. It is an annotation because a label value cannot hold
// the comma-separated list.
const ExemptAnnotation = "gateguard.dev/exempt"

// Policy is the org policy: one GatewayPolicy document.
type Policy struct {
	APIVersion        string                `yaml:"apiVersion"`
	Kind              string                `yaml:"kind"`
	Rules             map[RuleID]RuleConfig `yaml:"rules"`
	HostOwnership     []HostOwner           `yaml:"hostOwnership"`
	Defaults          Defaults              `yaml:"defaults"`
	GatewayNamespaces []GatewayNamespace    `yaml:"gatewayNamespaces"`
	Exemptions        []Exemption           `yaml:"exemptions"`

	// selectors caches parsed label selectors; filled by compile.
	selectors map[*LabelSelector]labels.Selector
	// catalog is Catalog(), built once by compile: every admission walks
	// it, and building it allocates the whole table of rules.
	catalog []Rule
}

// RuleConfig overrides one rule's action and carries its knobs.
type RuleConfig struct {
	Action Action `yaml:"action"`
	// AllowSameNamespaceMerge (duplicate-host) turns a duplicate within one
	// namespace on a named gateway into a warning: Istio's split pattern.
	AllowSameNamespaceMerge bool `yaml:"allowSameNamespaceMerge"`
	// SharedHostnames (duplicate-host) lets platform teams give a hostname
	// to several namespaces at once: their routes for it are not
	// duplicates of each other (docs/rules.md#duplicate-host).
	SharedHostnames []SharedHostnames `yaml:"sharedHostnames"`
	// AllowedWildcards (wildcard-host): when set, the only wildcard hosts
	// allowed are those covered by an entry.
	AllowedWildcards []string `yaml:"allowedWildcards"`
}

// HostOwner gives the namespaces it selects the domains they may claim.
type HostOwner struct {
	Namespaces        []string       `yaml:"namespaces"`
	NamespaceSelector *LabelSelector `yaml:"namespaceSelector"`
	Domains           []string       `yaml:"domains"`
}

// Defaults are what the mutating rules add.
type Defaults struct {
	GatewaySelector map[string]string `yaml:"gatewaySelector"`
	// GatewaySelectorByNamespace overrides GatewaySelector per namespace.
	GatewaySelectorByNamespace map[string]map[string]string `yaml:"gatewaySelectorByNamespace"`
	Labels                     map[string]string            `yaml:"labels"`
	// LabelsFromNamespace copies a label of the object's namespace:
	// object label key -> namespace label key.
	LabelsFromNamespace map[string]string `yaml:"labelsFromNamespace"`
}

// GatewayNamespace says where gateway pods with these labels run, for
// clusters where the pods cannot be seen.
type GatewayNamespace struct {
	Selector  map[string]string `yaml:"selector"`
	Namespace string            `yaml:"namespace"`
}

// Exemption turns rules off for the requests it matches. Every criterion
// given must match; Rules empty means every rule.
type Exemption struct {
	Namespaces        []string       `yaml:"namespaces"`
	NamespaceSelector *LabelSelector `yaml:"namespaceSelector"`
	Users             []string       `yaml:"users"`
	Groups            []string       `yaml:"groups"`
	Rules             []RuleID       `yaml:"rules"`
	// ObjectAnnotation: the exemption applies only to the rules an object lists
	// in its gateguard.dev/exempt annotation.
	ObjectAnnotation bool `yaml:"objectAnnotation"`
}

// LabelSelector mirrors metav1.LabelSelector with YAML field names.
type LabelSelector struct {
	MatchLabels      map[string]string          `yaml:"matchLabels"`
	MatchExpressions []LabelSelectorRequirement `yaml:"matchExpressions"`
}

// LabelSelectorRequirement mirrors metav1.LabelSelectorRequirement.
type LabelSelectorRequirement struct {
	Key      string   `yaml:"key"`
	Operator string   `yaml:"operator"`
	Values   []string `yaml:"values"`
}

// DefaultPolicy is the policy in force with no file: the catalog defaults
// and the Helm default gateway selector.
func DefaultPolicy() *Policy {
	p := &Policy{
		APIVersion: PolicyAPIVersion,
		Kind:       PolicyKind,
		Defaults:   Defaults{GatewaySelector: map[string]string{"istio": "ingressgateway"}},
	}
	p.compile() // no selectors here, so nothing can fail
	return p
}

// rules is the catalog compile built, or a new one for a Policy built in
// Go and never compiled.
func (p *Policy) rules() []Rule {
	if p.catalog == nil {
		return Catalog()
	}
	return p.catalog
}

// actionFor is the action in force for rule: the policy's, else the default.
func (p *Policy) actionFor(r Rule) Action {
	if c, ok := p.Rules[r.ID]; ok && c.Action != "" {
		return c.Action
	}
	return r.DefaultAction
}

// config returns the knobs for rule id.
func (p *Policy) config(id RuleID) RuleConfig { return p.Rules[id] }

// gatewaySelectorFor is the default selector for a Gateway in namespace.
func (p *Policy) gatewaySelectorFor(namespace string) map[string]string {
	if s, ok := p.Defaults.GatewaySelectorByNamespace[namespace]; ok {
		return s
	}
	return p.Defaults.GatewaySelector
}

// selectorMatches evaluates a selector against namespace labels; nil
// matches nothing, so that an absent criterion is handled by the caller. A
// policy built in Go without ValidatePolicy has no compiled selectors: they
// are converted on demand, and an invalid one matches nothing.
func (p *Policy) selectorMatches(s *LabelSelector, nsLabels map[string]string) bool {
	if s == nil {
		return false
	}
	sel, ok := p.selectors[s]
	if !ok {
		var err error
		if sel, err = metav1.LabelSelectorAsSelector(s.toMeta()); err != nil {
			return false
		}
	}
	return sel.Matches(labels.Set(nsLabels))
}

// compile parses every label selector once so that matching is cheap.
func (p *Policy) compile() field.ErrorList {
	p.selectors = map[*LabelSelector]labels.Selector{}
	p.catalog = Catalog()
	var errs field.ErrorList
	add := func(s *LabelSelector, path *field.Path) {
		if s == nil {
			return
		}
		sel, err := metav1.LabelSelectorAsSelector(s.toMeta())
		if err != nil {
			errs = append(errs, field.Invalid(path, s.MatchExpressions, err.Error()))
			return
		}
		p.selectors[s] = sel
	}
	for i := range p.HostOwnership {
		add(p.HostOwnership[i].NamespaceSelector, field.NewPath("hostOwnership").Index(i).Child("namespaceSelector"))
	}
	for i := range p.Exemptions {
		add(p.Exemptions[i].NamespaceSelector, field.NewPath("exemptions").Index(i).Child("namespaceSelector"))
	}
	return errs
}

func (s *LabelSelector) toMeta() *metav1.LabelSelector {
	m := &metav1.LabelSelector{MatchLabels: s.MatchLabels}
	for _, r := range s.MatchExpressions {
		m.MatchExpressions = append(m.MatchExpressions, metav1.LabelSelectorRequirement{
			Key: r.Key, Operator: metav1.LabelSelectorOperator(r.Operator), Values: slices.Clone(r.Values),
		})
	}
	return m
}
