package rules

import (
	"context"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// RuleID is a rule's stable name, used in policies, messages and metrics.
type RuleID string

// The rule catalog (DESIGN §4).
const (
	DuplicateHost      RuleID = "duplicate-host"
	OverlappingHost    RuleID = "overlapping-host"
	WildcardHost       RuleID = "wildcard-host"
	HostOwnership      RuleID = "host-ownership"
	MissingCredential  RuleID = "missing-credential"
	ConflictingGateway RuleID = "conflicting-gateway"
	UnknownGateway     RuleID = "unknown-gateway"
	HostNotInGateway   RuleID = "host-not-in-gateway"
	SecretInUse        RuleID = "secret-in-use"
	DefaultSelectorID  RuleID = "default-selector"
	DefaultLabelsID    RuleID = "default-labels"
)

// Action is what a finding does to the request.
type Action string

// Actions a policy may set. Mutating rules are on or off.
const (
	Deny Action = "deny"
	Warn Action = "warn"
	Off  Action = "off"
	On   Action = "on"
)

// Kind is an object kind the rules read.
type Kind string

// Kinds the rules judge.
const (
	KindGateway        Kind = "Gateway"
	KindVirtualService Kind = "VirtualService"
	KindSecret         Kind = "Secret"
)

// Rule is one validating policy rule.
type Rule struct {
	ID            RuleID
	DefaultAction Action
	Kinds         []Kind
	// Summary is one line for help text (README, SARIF).
	Summary string
	Check   func(*request) ([]violation, error)
}

// violation is what a check reports before the policy's action is applied.
type violation struct {
	err *field.Error
	// warnOnly marks a finding the rule itself only warns about, whatever
	// the configured action (a bare "*" with only TLS routes, say).
	warnOnly bool
}

// Catalog is the table of validating rules, in reporting order.
func Catalog() []Rule {
	return []Rule{
		{ID: DuplicateHost, DefaultAction: Deny, Kinds: []Kind{KindVirtualService}, Check: checkDuplicateHost,
			Summary: "A host already claimed in the same gateway route table by another VirtualService."},
		{ID: OverlappingHost, DefaultAction: Warn, Kinds: []Kind{KindVirtualService}, Check: checkOverlappingHost,
			Summary: "A wildcard host that overlaps another VirtualService's host in the same route table."},
		{ID: WildcardHost, DefaultAction: Deny, Kinds: []Kind{KindVirtualService, KindGateway}, Check: checkWildcardHost,
			Summary: "A catch-all or public-suffix wildcard host, or one outside the allowed wildcards."},
		{ID: HostOwnership, DefaultAction: Deny, Kinds: []Kind{KindVirtualService, KindGateway}, Check: checkHostOwnership,
			Summary: "A host outside the domains the policy gives the object's namespace."},
		{ID: MissingCredential, DefaultAction: Deny, Kinds: []Kind{KindGateway}, Check: checkMissingCredential,
			Summary: "A TLS server whose credential Secret is absent where the gateway pods run, or lacks its keys."},
		{ID: ConflictingGateway, DefaultAction: Deny, Kinds: []Kind{KindGateway}, Check: checkConflictingGateway,
			Summary: "A server with a tls block whose host, port and bind another Gateway on the same pods already serves."},
		{ID: UnknownGateway, DefaultAction: Warn, Kinds: []Kind{KindVirtualService}, Check: checkUnknownGateway,
			Summary: "A referenced gateway that does not exist."},
		{ID: HostNotInGateway, DefaultAction: Warn, Kinds: []Kind{KindVirtualService}, Check: checkHostNotInGateway,
			Summary: "A referenced Gateway that exposes none of the VirtualService's hosts to its namespace (IST0132)."},
		{ID: SecretInUse, DefaultAction: Warn, Kinds: []Kind{KindSecret}, Check: checkSecretInUse,
			Summary: "Deleting a Secret that a Gateway's TLS server reads as its credential."},
	}
}

// request is what one rule check sees: one object and read-only state.
type request struct {
	ctx       context.Context
	policy    *Policy
	snapshot  Snapshot
	namespace string
	gateway   *networkingv1.Gateway
	vs        *networkingv1.VirtualService
	// secret is the Secret being deleted.
	secret *corev1.Secret
	// claims caches the VirtualService's route-table claims and collisions,
	// shared by duplicate-host and overlapping-host.
	collisions *[]collision
}

// knownRule reports whether id names a rule, and whether it mutates.
func knownRule(id RuleID) (mutating bool, ok bool) {
	for _, r := range mutatingCatalog() {
		if r.ID == id {
			return true, true
		}
	}
	for _, r := range Catalog() {
		if r.ID == id {
			return false, true
		}
	}
	return false, false
}
