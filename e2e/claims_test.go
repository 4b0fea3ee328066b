package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	gateguardv1alpha1 "github.com/gateguard/gateguard/api/v1alpha1"
	"github.com/gateguard/gateguard/e2e/cluster"
	"github.com/gateguard/gateguard/webhook"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// The HostClaims tests run two replicas of gateguard behind a
// per-connection round-robin proxy, as two pods behind a Service, so
// that the apiserver spreads simultaneous requests over processes that
// share nothing but etcd (docs/claims.md).

// claimsGrace is the replicas' --claims-grace-period, the shortest the
// flag accepts: longer than the webhook timeout (5s) plus the write.
const claimsGrace = 10 * time.Second

// burstSize is how many namespaces create one host at once.
const burstSize = 20

// startReplicas stops the suite's gateguard and starts two replicas with
// extraArgs behind the round-robin proxy the webhooks then call; the
// test's cleanup stops them and brings the suite's gateguard back.
func startReplicas(t *testing.T, extraArgs ...string) *cluster.Replicas {
	t.Helper()
	requireLocalGateguard(t)
	fixtures(t)
	claimNamespaces(t)
	// Alone, the replicas are the only writers of claims: the counts the
	// tests take are theirs.
	env.Gateguard.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := append([]string{"--claims-grace-period", claimsGrace.String()}, extraArgs...)
	r, err := env.StartReplicas(ctx, 2, args...)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if r != nil {
			if err := r.Stop(ctx); err != nil {
				t.Errorf("stopping the replicas: %v", err)
			}
		}
		restartGateguard(t)
	})
	if err != nil {
		t.Fatalf("starting two replicas: %v", err)
	}
	return r
}

// claimNamespace is the i-th of the namespaces the claims tests create from.
func claimNamespace(i int) string { return fmt.Sprintf("claims-%02d", i) }

// claimNamespaces creates the burst's namespaces.
func claimNamespaces(t *testing.T) {
	t.Helper()
	for i := range burstSize {
		create(t, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: claimNamespace(i)}})
	}
}

// claimsClient is a cluster-admin client whose scheme knows HostClaims.
func claimsClient(t *testing.T) client.Client {
	t.Helper()
	scheme, err := webhook.NewScheme()
	if err == nil {
		err = gateguardv1alpha1.AddToScheme(scheme)
	}
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(env.AdminConfig, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// claimsOf lists the HostClaims of host.
func claimsOf(t *testing.T, c client.Client, host string) []gateguardv1alpha1.HostClaim {
	t.Helper()
	var list gateguardv1alpha1.HostClaimList
	if err := c.List(context.Background(), &list); err != nil {
		t.Fatalf("listing HostClaims: %v", err)
	}
	var out []gateguardv1alpha1.HostClaim
	for _, hc := range list.Items {
		if hc.Spec.Host == host {
			out = append(out, hc)
		}
	}
	return out
}

// outcome is what one create of a burst got: admitted, or the error.
type outcome struct {
	namespace string
	err       error
}

// burst creates every object at once (each from a goroutine released
// together, without client-side rate limiting) and returns each outcome.
// during, unless nil, runs alongside, released with the creates.
func burst(t *testing.T, objs []client.Object, during func()) []outcome {
	t.Helper()
	c := unthrottledClient(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out := make([]outcome, len(objs))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, obj := range objs {
		wg.Go(func() {
			<-start
			out[i] = outcome{namespace: obj.GetNamespace(), err: c.Create(ctx, obj)}
		})
	}
	if during != nil {
		wg.Go(func() { <-start; during() })
	}
	close(start)
	wg.Wait()
	return out
}

// admitted are the namespaces whose create succeeded.
func admitted(outcomes []outcome) []string {
	var ns []string
	for _, o := range outcomes {
		if o.err == nil {
			ns = append(ns, o.namespace)
		}
	}
	return ns
}

// checkDenials reports each refused create whose error is not exactly one
// of want, and returns how many denials took each form of want.
func checkDenials(t *testing.T, round int, outcomes []outcome, want []string) []int {
	t.Helper()
	forms := make([]int, len(want))
	for _, o := range outcomes {
		if o.err == nil {
			continue
		}
		i := slices.Index(want, o.err.Error())
		if !apierrors.IsInvalid(o.err) || i < 0 {
			t.Errorf("round %d: %s was refused with\n  %v\nwant one of\n  %s", round, o.namespace, o.err, strings.Join(want, "\n  "))
			continue
		}
		forms[i]++
	}
	return forms
}

// deleteAll deletes objs, as cleanup, and waits a while for their claims
// to be released: the claims tests leave nothing that holds a host, nor a
// claim for the next test's sweeper to remove.
func deleteAll(t *testing.T, objs []client.Object) {
	t.Helper()
	c := unthrottledClient(t)
	owners := map[types.UID]bool{}
	for _, obj := range objs {
		if err := c.Get(context.Background(), client.ObjectKeyFromObject(obj), obj); err != nil {
			continue // refused at admission, or deleted already
		}
		owners[obj.GetUID()] = true
		if err := client.IgnoreNotFound(c.Delete(context.Background(), obj)); err != nil {
			t.Errorf("deleting %s/%s: %v", obj.GetNamespace(), obj.GetName(), err)
		}
	}
	claims := claimsClient(t)
	released := waitUntil(func() bool {
		var list gateguardv1alpha1.HostClaimList
		if err := claims.List(context.Background(), &list); err != nil {
			return false
		}
		return !slices.ContainsFunc(list.Items, func(hc gateguardv1alpha1.HostClaim) bool { return owners[hc.Spec.Owner.UID] })
	}, 20*time.Second)
	if !released {
		t.Errorf("claims of deleted objects still present 20s after their deletion")
	}
}

// spread checks that both replicas decided some of the test's requests:
// a burst that one replica alone decided would prove nothing about claims.
func spread(t *testing.T, r *cluster.Replicas) {
	t.Helper()
	for i, p := range r.Procs {
		m, err := p.Metrics(context.Background())
		if err != nil {
			t.Fatalf("replica %d metrics: %v", i, err)
		}
		n := m.Sum("controller_runtime_webhook_requests_total", map[string]string{"webhook": "/validate"})
		t.Logf("replica %d answered %.0f validation requests", i, n)
		if n == 0 {
			t.Errorf("replica %d answered no validation request: the proxy did not spread the load", i)
		}
	}
}

// webhookDenial is how the apiserver words a validating webhook's 422 for
// kind (with its group) and name with one field error.
func webhookDenial(kind, name, fieldError string) string {
	return fmt.Sprintf(`admission webhook "validate.gateguard.dev" denied the request: %s %q is invalid: %s`, kind, name, fieldError)
}

// publicPort80 is where the public Gateway's port 80 route table is, in
// messages.
const publicPort80 = "HTTP port 80 of gateway pods {istio=ingressgateway}"

// duplicateHostDenials are the exact refusals of the VirtualService name
// for host that winner/name holds on the public Gateway by the HostClaim
// claim: the loser's replica saw the winner in its own reservations or
// cache (the rules' wording), or found the winner's claim, held (the
// winner still in admission) or owned.
func duplicateHostDenials(name, host, winner, claim string) []string {
	field := fmt.Sprintf(`spec.hosts[0]: Duplicate value: %q: [duplicate-host] `, host)
	owner := winner + "/" + name
	kind := "VirtualService.networking.istio.io"
	return []string{
		webhookDenial(kind, name, field+fmt.Sprintf(`host %q is already claimed by VirtualService %s on %s (Gateway istio-system/public); `+
			`use a different host, bind to another gateway, or ask the owner of %s`, host, owner, publicPort80, owner)),
		webhookDenial(kind, name, field+heldDenial(host, publicPort80, "VirtualService "+owner, claim)),
		webhookDenial(kind, name, field+ownedDenial(host, publicPort80, "VirtualService "+owner, claim)),
	}
}

// conflictingGatewayDenials are the exact refusals of the Gateway name
// serving host with a tls block on port 443 that winner/name serves,
// holding the HostClaim claim.
func conflictingGatewayDenials(name, host, winner, claim string) []string {
	field := fmt.Sprintf(`spec.servers[0].hosts[0]: Duplicate value: %q: [conflicting-gateway] `, host)
	owner := winner + "/" + name
	kind := "Gateway.networking.istio.io"
	where := "TLS port 443 of gateway pods {istio=ingressgateway}"
	return []string{
		webhookDenial(kind, name, field+fmt.Sprintf(`Gateway %s already serves host %q with a tls block on port 443 of the same `+
			`gateway pods {istio=ingressgateway}; Istio keeps the older server and silently skips the other: serve the host `+
			`from one Gateway only (remove it here, or agree with the owner of %s), or use another port`, owner, host, owner)),
		webhookDenial(kind, name, field+heldDenial(host, where, "Gateway "+owner, claim)),
		webhookDenial(kind, name, field+ownedDenial(host, where, "Gateway "+owner, claim)),
	}
}

// heldDenial is the claims' refusal of host in the route table where
// while owner's HostClaim claim is within its grace period.
func heldDenial(host, where, owner, claim string) string {
	return fmt.Sprintf(`%q on %s was claimed moments ago by %s, which is being admitted or was just deleted (HostClaim %s); `+
		`use a different host, or ask the owner of %s`, host, where, owner, claim, strings.SplitN(owner, " ", 2)[1])
}

// ownedDenial is the claims' refusal of host in the route table where
// that owner holds by the HostClaim claim past its grace period.
func ownedDenial(host, where, owner, claim string) string {
	return fmt.Sprintf(`%q on %s is claimed by %s (HostClaim %s); use a different host, or ask the owner of %s`,
		host, where, owner, claim, strings.SplitN(owner, " ", 2)[1])
}
