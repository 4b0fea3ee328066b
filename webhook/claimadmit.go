package webhook

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/gateguard/gateguard/rules"
	"github.com/gateguard/gateguard/webhook/claims"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// claimRule is the rule a kind's claims enforce: conflicting-gateway for
// a classic Gateway's servers, duplicate-host for the rest.
func claimRule(obj client.Object) rules.RuleID {
	if _, ok := obj.(*networkingv1.Gateway); ok {
		return rules.ConflictingGateway
	}
	return rules.DuplicateHost
}

// exclusive are obj's claims, in change c, that give one owner per key
// under policy, over snap: none when the rule does not deny or exempts
// obj. Mesh claims are left out: whether two collide there depends on
// both objects' exportTo (docs/claims.md#claims), which a claim of one
// cannot say.
func exclusive(p *rules.Policy, snap rules.Snapshot, c rules.Change, obj client.Object) []rules.Claim {
	if obj == nil || !p.Denies(claimRule(obj)) || p.Exempt(claimRule(obj), snap, c, obj) {
		return nil
	}
	return slices.DeleteFunc(rules.Claims(p, snap, obj), func(c rules.Claim) bool {
		return c.RouteTable == "mesh"
	})
}

// keyOf is a rules claim as the registry keys it.
func keyOf(c rules.Claim) claims.Key {
	return claims.Key{RouteTable: c.RouteTable, Host: c.Host, Where: c.Where, Protocol: c.Protocol}
}

// ClaimsOf is what obj claims under the policy in force, over a fresh
// snapshot: the registry's question when it judges a claim's owner.
func (h *hostClaims) ClaimsOf(ctx context.Context, obj client.Object) ([]claims.Key, error) {
	var out []claims.Key
	stored := rules.Change{Operation: rules.Update, Namespace: obj.GetNamespace(), Object: obj} // no user: as stored
	for _, c := range exclusive(h.policy.Load(), h.snapshot(ctx), stored, obj) {
		out = append(out, keyOf(c))
	}
	return out, nil
}

// Shares: two claims that do not collide (plain-text HTTP servers on one
// port), HTTPRoutes and GRPCRoutes of one namespace splitting a hostname,
// and VirtualServices of one namespace under allowSameNamespaceMerge, as
// duplicate-host allows them.
func (h *hostClaims) Shares(held claims.Key, holder claims.Owner, want claims.Key, claimant claims.Owner) bool {
	a := rules.Claim{RouteTable: held.RouteTable, Host: held.Host, Protocol: held.Protocol}
	b := rules.Claim{RouteTable: want.RouteTable, Host: want.Host, Protocol: want.Protocol}
	if !a.Collides(b) {
		return true
	}
	if holder.Namespace != claimant.Namespace || !httpTable(held.RouteTable) {
		return false
	}
	route := func(o claims.Owner) bool { return o.Kind == "HTTPRoute" || o.Kind == "GRPCRoute" }
	vs := func(o claims.Owner) bool { return o.Kind == "VirtualService" }
	merge := h.policy.Load().Rules[rules.DuplicateHost].AllowSameNamespaceMerge
	return route(holder) && route(claimant) || merge && vs(holder) && vs(claimant)
}

// httpTable is true for the route tables of HTTP hosts, plain or
// terminated (docs/claims.md#route-table-keys).
func httpTable(key string) bool {
	return strings.HasPrefix(key, "http|") || strings.HasPrefix(key, "https|")
}

// claimPlan is what one request is to claim, decided with the rules.
type claimPlan struct {
	rule   rules.RuleID
	owner  claims.Owner
	err    error // the owner could not be named
	wanted []rules.Claim
	keys   []claims.Key // wanted as the registry claims them
}

// plan lists, for a request the rules allowed, what its object newly
// claims (on an UPDATE, what the old object did not); nil for nothing, or
// with the claims off. It reads only the snapshot, so it may run under
// the reservations' lock, while the apiserver writes of apply do not.
func (h *hostClaims) plan(p *rules.Policy, snap rules.Snapshot, c rules.Change) *claimPlan {
	if h == nil || c.Object == nil || c.Object.GetUID() == "" {
		return nil
	}
	wanted := exclusive(p, snap, c, c.Object)
	if c.Operation == rules.Update {
		before := exclusive(p, snap, c, c.OldObject)
		wanted = slices.DeleteFunc(wanted, func(w rules.Claim) bool {
			return slices.ContainsFunc(before, func(b rules.Claim) bool { return b.RouteTable == w.RouteTable && b.Host == w.Host })
		})
	}
	if len(wanted) == 0 {
		return nil
	}
	owner, err := h.registry.OwnerOf(c.Object)
	heldElsewhere := rules.HeldElsewhere(p, snap, c.Object)
	keys := make([]claims.Key, len(wanted))
	for i, w := range wanted {
		keys[i] = keyOf(w)
		keys[i].Unheld = !heldElsewhere(w)
	}
	return &claimPlan{rule: claimRule(c.Object), owner: owner, err: err, wanted: wanted, keys: keys}
}

// apply claims what pl lists and adds a denial per claim another owner
// holds; a dry run only reads. A claim the apiserver would not record
// denies the request too: without it nothing stops another replica
// admitting the same host.
func (h *hostClaims) apply(ctx context.Context, pl *claimPlan, dryRun bool, dec rules.Decision) rules.Decision {
	err := pl.err
	var denials []claims.Denial
	if err == nil {
		denials, err = h.registry.Claim(ctx, pl.owner, pl.keys, dryRun)
	}
	if err != nil {
		e := field.InternalError(pl.wanted[0].Path, fmt.Errorf("[%s] the host claims could not be recorded, so another "+
			"replica could admit the same host: %w", pl.rule, err))
		return rules.Decision{Findings: append(dec.Findings, rules.Finding{Rule: pl.rule, Action: rules.Deny, Error: e})}
	}
	for _, d := range denials {
		dec.Findings = append(dec.Findings, rules.Finding{Rule: pl.rule, Action: rules.Deny, Error: claimError(pl.rule, d, pl.wanted)})
	}
	return dec
}

// claimError is the field error of a claim another owner holds, at the
// field that made the claim.
func claimError(rule rules.RuleID, d claims.Denial, wanted []rules.Claim) *field.Error {
	i := slices.IndexFunc(wanted, func(w rules.Claim) bool { return w.RouteTable == d.Key.RouteTable && w.Host == d.Key.Host })
	detail := fmt.Sprintf("[%s] %s; use a different host, or ask the owner of %s/%s", rule, d.Message(),
		d.Owner.Namespace, d.Owner.Name)
	if d.Key.Host == "" {
		return field.Forbidden(wanted[i].Path, detail)
	}
	e := field.Duplicate(wanted[i].Path, d.Key.Host)
	e.Detail = detail
	return e
}
