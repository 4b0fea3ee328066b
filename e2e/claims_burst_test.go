package e2e

import (
	"fmt"
	"testing"

	networking "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// burstRounds is how many bursts each test sends.
const burstRounds = 20

// contest is one kind of burst: what each namespace creates in a round,
// and the exact denials a loser may get, naming the winner.
type contest struct {
	host    func(round int) string
	object  func(namespace string, round int) client.Object
	denials func(round int, winner, claim string) []string
}

// run sends burstRounds bursts of burstSize creates, one per namespace,
// and returns the namespaces admitted in each round; every object is
// deleted when the test ends.
func (c contest) run(t *testing.T, check func(round int, outcomes []outcome)) [][]string {
	t.Helper()
	return c.runWith(t, func(int) func() { return nil }, check)
}

// runWith is run calling before(round) before each burst; what it
// returns, unless nil, runs during the burst.
func (c contest) runWith(t *testing.T, before func(round int) func(), check func(round int, outcomes []outcome)) [][]string {
	t.Helper()
	var rounds [][]string
	for round := range burstRounds {
		during := before(round)
		var objs []client.Object
		for i := range burstSize {
			objs = append(objs, c.object(claimNamespace(i), round))
		}
		t.Cleanup(func() { deleteAll(t, objs) })
		outcomes := burst(t, objs, during)
		rounds = append(rounds, admitted(outcomes))
		if check != nil {
			check(round, outcomes)
		}
	}
	return rounds
}

// exactlyOneWinner checks a claims-on round: one create admitted, every
// other denied naming it, and the one HostClaim of the host is the
// winner's, by UID. It adds up into forms how many denials took each
// form of c.denials: a replica's own reservations or cache, or the
// winner's HostClaim, held or owned.
func (c contest) exactlyOneWinner(t *testing.T, forms []int) func(round int, outcomes []outcome) {
	claims := claimsClient(t)
	return func(round int, outcomes []outcome) {
		t.Helper()
		winners := admitted(outcomes)
		if len(winners) != 1 {
			t.Errorf("round %d: %d creates of %s admitted (%v), want exactly one", round, len(winners), c.host(round), winners)
			return
		}
		stored := c.object(winners[0], round)
		if err := env.Client.Get(t.Context(), client.ObjectKeyFromObject(stored), stored); err != nil {
			t.Fatalf("round %d: reading the winner: %v", round, err)
		}
		hcs := claimsOf(t, claims, c.host(round))
		if len(hcs) != 1 || hcs[0].Spec.Owner.UID != stored.GetUID() || hcs[0].Spec.Owner.Namespace != winners[0] {
			t.Errorf("round %d: HostClaims of %s: %+v, want one, owned by %s/%s (uid %s)", round, c.host(round), hcs,
				winners[0], stored.GetName(), stored.GetUID())
			return
		}
		for i, n := range checkDenials(t, round, outcomes, c.denials(round, winners[0], hcs[0].Name)) {
			forms[i] += n
		}
	}
}

// virtualServices: each namespace binds the same host to the public
// Gateway; losers get duplicate-host.
func virtualServices(prefix string) contest {
	host := func(round int) string { return fmt.Sprintf("r%02d.%s.example.com", round, prefix) }
	return contest{
		host: host,
		object: func(namespace string, round int) client.Object {
			vs := &networkingv1.VirtualService{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-r%02d", prefix, round), Namespace: namespace}}
			vs.Spec.Hosts = []string{host(round)}
			vs.Spec.Gateways = []string{"istio-system/public"}
			vs.Spec.Http = []*networking.HTTPRoute{{Route: []*networking.HTTPRouteDestination{{Destination: &networking.Destination{Host: "shop"}}}}}
			return vs
		},
		denials: func(round int, winner, claim string) []string {
			return duplicateHostDenials(fmt.Sprintf("%s-r%02d", prefix, round), host(round), winner, claim)
		},
	}
}

// tlsGateways: each namespace serves the same host with a TLS
// passthrough server on port 443 of the ingress pods; losers get
// conflicting-gateway.
func tlsGateways(prefix string) contest {
	host := func(round int) string { return fmt.Sprintf("r%02d.%s.example.com", round, prefix) }
	return contest{
		host: host,
		object: func(namespace string, round int) client.Object {
			gw := &networkingv1.Gateway{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-r%02d", prefix, round), Namespace: namespace}}
			gw.Spec.Selector = map[string]string{"istio": "ingressgateway"}
			gw.Spec.Servers = []*networking.Server{{
				Port:  &networking.Port{Number: 443, Name: "tls", Protocol: "TLS"},
				Tls:   &networking.ServerTLSSettings{Mode: networking.ServerTLSSettings_PASSTHROUGH},
				Hosts: []string{host(round)},
			}}
			return gw
		},
		denials: func(round int, winner, claim string) []string {
			return conflictingGatewayDenials(fmt.Sprintf("%s-r%02d", prefix, round), host(round), winner, claim)
		},
	}
}

// TestClaimsOneWinnerPerBurst: 20 namespaces create one host on one
// Gateway at once, 20 times; the two replicas admit exactly one each time
// and deny the rest naming it.
func TestClaimsOneWinnerPerBurst(t *testing.T) {
	oneWinnerEachRound(t, virtualServices("burst"))
}

// TestClaimsOneWinnerPerTLSBurst: the same for 20 Gateways serving one
// host with a tls block on one port of the same pods.
func TestClaimsOneWinnerPerTLSBurst(t *testing.T) {
	oneWinnerEachRound(t, tlsGateways("tlsburst"))
}

// oneWinnerEachRound runs c's bursts through two replicas with claims on,
// checking each round with exactlyOneWinner.
func oneWinnerEachRound(t *testing.T, c contest) {
	t.Helper()
	r := startReplicas(t)
	forms := make([]int, 3)
	c.run(t, c.exactlyOneWinner(t, forms))
	logForms(t, forms)
	spread(t, r)
}

// TestClaimsOffAdmitsTwo is the counter-proof: the same bursts with
// --claims=false, where each replica guards hosts only in its own memory,
// admit two owners of one host in some rounds. If this test passes while
// the ones above fail, the claims are what closes the race.
func TestClaimsOffAdmitsTwo(t *testing.T) {
	r := startReplicas(t, "--claims=false")
	for _, c := range []contest{virtualServices("unclaimed"), tlsGateways("tlsunclaimed")} {
		rounds := c.run(t, nil)
		doubled := 0
		var perRound []int
		for _, winners := range rounds {
			perRound = append(perRound, len(winners))
			if len(winners) > 1 {
				doubled++
			}
		}
		t.Logf("with claims off, %d of %d rounds of %s admitted more than one owner (owners admitted per round: %v)",
			doubled, len(rounds), c.host(0), perRound)
		if doubled == 0 {
			t.Errorf("with claims off, no round of %s admitted two: the burst did not race, so the claims-on tests prove nothing", c.host(0))
		}
	}
	spread(t, r)
}

// logForms says how the losers were denied, and fails the test if no
// denial came from a HostClaim: then the replicas never disagreed, and
// the burst proved nothing about the claims.
func logForms(t *testing.T, forms []int) {
	t.Helper()
	t.Logf("denials by the loser's replica's own reservations or cache: %d; by the winner's HostClaim, held: %d, owned: %d",
		forms[0], forms[1], forms[2])
	if forms[1]+forms[2] == 0 {
		t.Error("no denial came from a HostClaim: the replicas never raced")
	}
}
