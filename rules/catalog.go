package rules

import (
	"context"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	gatewayv1beta1 "sigs.k8s.io/gateway-api/apis/v1beta1"
)

// RuleID is a rule's stable name, used in policies, messages and metrics.
type RuleID string

// The rule catalog (docs/rules.md).
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
	ReferenceGrant     RuleID = "reference-grant"
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
)

// Rule is one validating policy rule. It has a check for each kind it
// judges, and is asked only about objects of those kinds.
type Rule struct {
	ID            RuleID
	DefaultAction Action
	// Summary is one line for help text (README, SARIF).
	Summary        string
	Gateway        check[*networkingv1.Gateway]
	VirtualService check[*networkingv1.VirtualService]
	Secret         check[*corev1.Secret]
	// The Gateway API kinds (docs/gateway-api.md#rules-for-the-gateway-api):
	// one check for the four route kinds, which bind alike.
	KubeGateway    check[*gatewayv1.Gateway]
	ListenerSet    check[*gatewayv1.ListenerSet]
	Route          func(r *request, rt route) ([]violation, error)
	ReferenceGrant check[*gatewayv1beta1.ReferenceGrant]
}

// check judges one object of the kind it is declared for.
type check[T client.Object] func(r *request, obj T) ([]violation, error)

// checkOf binds the rule's check for obj's kind to obj, or is nil when the
// rule does not judge that kind.
func (rule Rule) checkOf(obj client.Object) func(*request) ([]violation, error) {
	switch o := obj.(type) {
	case *networkingv1.Gateway:
		return bind(rule.Gateway, o)
	case *networkingv1.VirtualService:
		return bind(rule.VirtualService, o)
	case *corev1.Secret:
		return bind(rule.Secret, o)
	case *gatewayv1.Gateway:
		return bind(rule.KubeGateway, o)
	case *gatewayv1.ListenerSet:
		return bind(rule.ListenerSet, o)
	case *gatewayv1beta1.ReferenceGrant:
		return bind(rule.ReferenceGrant, o)
	}
	if rt, ok := routeOf(obj); ok && rule.Route != nil {
		return func(r *request) ([]violation, error) { return rule.Route(r, rt) }
	}
	return nil
}

func bind[T client.Object](c check[T], obj T) func(*request) ([]violation, error) {
	if c == nil {
		return nil
	}
	return func(r *request) ([]violation, error) { return c(r, obj) }
}

// violation is what a check reports before the policy's action is applied.
type violation struct {
	err *field.Error
	// warnOnly marks a finding the rule itself only warns about, whatever
	// the configured action (a bare "*" with only TLS routes, say).
	warnOnly bool
	// id, when set, is what the ratchet compares instead of the message.
	id *identity
}

// Catalog is the table of validating rules, in reporting order.
func Catalog() []Rule {
	return []Rule{
		{ID: DuplicateHost, DefaultAction: Deny, VirtualService: checkDuplicateHost, Route: checkRouteDuplicateHost,
			Summary: "A host already claimed in the same gateway route table by another VirtualService or route."},
		{ID: OverlappingHost, DefaultAction: Warn, VirtualService: checkOverlappingHost, Route: checkRouteOverlappingHost,
			Summary: "A wildcard host that overlaps another VirtualService's or route's host in the same route table."},
		{ID: WildcardHost, DefaultAction: Deny, VirtualService: virtualServiceWildcards, Gateway: gatewayWildcards,
			KubeGateway: kubeGatewayWildcards, ListenerSet: listenerSetWildcards, Route: routeWildcards,
			Summary: "A catch-all or public-suffix wildcard host, or one outside the allowed wildcards."},
		{ID: HostOwnership, DefaultAction: Deny, VirtualService: checkVirtualServiceOwnership, Gateway: checkGatewayOwnership,
			KubeGateway: kubeGatewayOwnership, ListenerSet: listenerSetOwnership, Route: routeOwnership,
			Summary: "A host outside the domains the policy gives the object's namespace."},
		{ID: MissingCredential, DefaultAction: Deny, Gateway: checkMissingCredential,
			KubeGateway: checkKubeGatewayCredentials, ListenerSet: checkListenerSetCredentials,
			Summary: "A TLS server whose credential Secret is absent where the gateway pods run, or lacks its keys; " +
				"a listener whose certificateRef Secret is absent or lacks its keys."},
		{ID: ConflictingGateway, DefaultAction: Deny, Gateway: checkConflictingGateway,
			KubeGateway: checkKubeGatewayListeners, ListenerSet: checkListenerSetListeners,
			Summary: "A server with a tls block whose host, port and bind another Gateway on the same pods already serves, " +
				"or a plain-text server whose protocol cannot merge with another Gateway's on that port and bind; " +
				"a listener that conflicts with one merged before it, or with a TLS listener on the same pods."},
		{ID: UnknownGateway, DefaultAction: Warn, VirtualService: checkUnknownGateway, Route: routeUnknownParents,
			Summary: "A referenced gateway or listener that does not exist, or one of the other API, which binds nothing."},
		{ID: HostNotInGateway, DefaultAction: Warn, VirtualService: checkHostNotInGateway, Route: routeHostNotInGateway,
			Summary: "A referenced Gateway that exposes none of the object's hosts to its namespace (IST0132)."},
		{ID: SecretInUse, DefaultAction: Warn, Secret: checkSecretDeletion, ReferenceGrant: checkGrantInUse,
			Summary: "Deleting a Secret that a Gateway's TLS server or a listener reads, or the ReferenceGrant " +
				"that alone permits a reference."},
		{ID: ReferenceGrant, DefaultAction: Deny, KubeGateway: checkKubeGatewayGrants, ListenerSet: checkListenerSetGrants,
			Route:   checkRouteGrants,
			Summary: "A certificateRef or backendRef into another namespace that no ReferenceGrant there permits."},
	}
}

// request is what every check of one object shares: read-only state, and
// what one check computed that another reuses.
type request struct {
	ctx       context.Context
	policy    *Policy
	snapshot  Snapshot
	namespace string
	// collisions caches the VirtualService's route-table claims and
	// collisions, shared by duplicate-host and overlapping-host.
	collisions *[]collision
	// workloads remembers the pods of the Gateways a request looks at, by
	// selector (workloadsOf).
	workloads map[string][]workload
	// bindings caches a route's parent bindings, shared by the rules
	// that judge where it attaches.
	bindings *[]parentBinding
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
