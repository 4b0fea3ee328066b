package claims

import (
	"context"
	"maps"
	"strings"
	"testing"
	"time"

	gateguardv1alpha1 "github.com/gateguard/gateguard/api/v1alpha1"
	"github.com/gateguard/gateguard/webhook/claims"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// TestDryRunWritesNothing: a dry run decides as a real request would —
// granted for a free host and a stale claim, denied for a held one — and
// the HostClaims are the same objects, at the same resourceVersions, after.
func TestDryRunWritesNothing(t *testing.T) {
	w := newWorld(t, admin)
	free, stale, heldKey := w.key("free.example.com"), w.key("stale.example.com"), w.key("held.example.com")
	w.mustClaim(ghost("never-stored"), stale)
	w.clock.advance(grace + time.Second)
	holder := ghost("holder")
	w.mustClaim(holder, heldKey)
	before := versions(w)
	denials, err := w.registry().Claim(context.Background(), ghost("dry"), []claims.Key{free, stale, heldKey}, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(denials) != 1 || denials[0].Key != heldKey || denials[0].Owner != holder {
		t.Errorf("dry-run denials %+v, want one for %s naming holder", denials, heldKey.Host)
	}
	if after := versions(w); !maps.Equal(before, after) {
		t.Errorf("a dry run changed the HostClaims: before %v, after %v", before, after)
	}
	if n := len(before); n != 2 {
		t.Errorf("%d HostClaims, want 2", n)
	}
	if got := w.counter("gateguard_claims_takeovers_total", ""); got != 0 {
		t.Errorf("gateguard_claims_takeovers_total = %v after a dry run, want 0", got)
	}
}

// versions is the test's HostClaims, name to resourceVersion.
func versions(w *world) map[string]string {
	out := map[string]string{}
	for _, hc := range w.claimsOf() {
		out[hc.Name] = hc.ResourceVersion
	}
	return out
}

// TestDenialRollsBackTheRest: an object denied one host leaves none of
// its other hosts claimed, and every collision is named.
func TestDenialRollsBackTheRest(t *testing.T) {
	w := newWorld(t, admin)
	a, b, c := w.key("a.example.com"), w.key("b.example.com"), w.key("c.example.com")
	holder := ghost("holder")
	w.mustClaim(holder, b, c)
	denials, err := w.registry().Claim(context.Background(), ghost("late"), []claims.Key{a, b, c}, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(denials) != 2 || denials[0].Key != b || denials[1].Key != c {
		t.Errorf("denials %+v, want b and c", denials)
	}
	if hc := w.claim(a); hc != nil {
		t.Errorf("a.example.com is left claimed by %s after the denial", hc.Spec.Owner.Name)
	}
	if got := w.counter("gateguard_claims_releases_total", "reason=rollback"); got != 1 {
		t.Errorf("releases{rollback} = %v, want 1", got)
	}
}

// TestRefusedCreateLeavesNothing: the apiserver refuses the second claim
// (its host is longer than the CRD allows): Claim returns the apiserver's
// reason and the first claim, already created, is deleted again.
func TestRefusedCreateLeavesNothing(t *testing.T) {
	w := newWorld(t, admin)
	first, refused := w.key("a.example.com"), w.key("z"+strings.Repeat(".long-label", 30))
	_, err := w.registry().Claim(context.Background(), ghost("vs"), []claims.Key{refused, first}, false)
	if err == nil || !strings.Contains(err.Error(), "spec.host: Too long") {
		t.Fatalf("Claim = %v, want the apiserver's refusal of spec.host", err)
	}
	if left := w.claimsOf(); len(left) != 0 {
		t.Errorf("%d HostClaims left after a refused write, want 0: %s", len(left), left[0].Name)
	}
	if got := w.counter("gateguard_claims_errors_total", "operation=claim"); got != 1 {
		t.Errorf("errors{claim} = %v, want 1", got)
	}
}

// TestForbiddenCreateLeavesNothing: a ServiceAccount that may update but
// not create HostClaims (RBAC) takes over a stale claim, then is refused
// the next one: the error says forbidden, and the claim it took over is
// deleted rather than left half-claimed.
func TestForbiddenCreateLeavesNothing(t *testing.T) {
	limited := limitedClient(t, "claims-no-create", []string{"get", "list", "watch", "update", "delete"})
	w := newWorld(t, limited)
	stale, fresh := w.key("a.example.com"), w.key("b.example.com")
	admins := newWorld(t, admin)
	admins.clock = w.clock
	admins.mustClaim(ghost("never-stored"), stale)
	w.clock.advance(grace + time.Second)
	_, err := w.registry().Claim(context.Background(), ghost("vs"), []claims.Key{stale, fresh}, false)
	if err == nil || !strings.Contains(err.Error(), `cannot create resource "hostclaims"`) {
		t.Fatalf("Claim = %v, want RBAC's refusal to create hostclaims", err)
	}
	if left := w.claimsOf(); len(left) != 0 {
		t.Errorf("%d HostClaims left after a refused write, want 0 (owner %s)", len(left), left[0].Spec.Owner.Name)
	}
	if got := w.counter("gateguard_claims_releases_total", "reason=rollback"); got != 1 {
		t.Errorf("releases{rollback} = %v, want 1 (the takeover undone)", got)
	}
}

// limitedClient is a client impersonating user, who may do verbs on
// hostclaims and read ConfigMaps (the owners), nothing else.
func limitedClient(t *testing.T, user string, verbs []string) client.Client {
	t.Helper()
	ctx := context.Background()
	role := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: user}, Rules: []rbacv1.PolicyRule{
		{APIGroups: []string{"gateguard.dev"}, Resources: []string{"hostclaims"}, Verbs: verbs},
		{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get"}},
	}}
	binding := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: user},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: user},
		Subjects: []rbacv1.Subject{{Kind: "User", Name: user}}}
	for _, o := range []client.Object{role, binding} {
		if err := admin.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = admin.Delete(ctx, o) })
	}
	cfg := rest.CopyConfig(config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: user}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	// The authorizer learns of the binding through its informers.
	err = wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 10*time.Second, true, func(ctx context.Context) (bool, error) {
		return c.List(ctx, &gateguardv1alpha1.HostClaimList{}) == nil, nil
	})
	if err != nil {
		t.Fatalf("%s never got its RBAC: %v", user, err)
	}
	return c
}
