package replicas

import (
	"context"
	"strings"
	"testing"
	"time"

	networking "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// virtualService is an HTTP VirtualService of team-a for hosts on the
// public Gateway.
func virtualService(name string, hosts ...string) *networkingv1.VirtualService {
	return &networkingv1.VirtualService{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "team-a"},
		Spec: networking.VirtualService{Hosts: hosts, Gateways: []string{"istio-system/public"},
			Http: []*networking.HTTPRoute{{Route: []*networking.HTTPRouteDestination{{Destination: &networking.Destination{Host: name}}}}}},
	}
}

// TestDryRunClaimsNothing: a server-side dry run of a new host is admitted
// and leaves no HostClaim; once the host is claimed, a dry run of another
// owner is denied naming it, as the real create is.
func TestDryRunClaimsNothing(t *testing.T) {
	ctx := context.Background()
	if err := env.Client.Create(ctx, virtualService("dry", "dry.example.com"), client.DryRunAll); err != nil {
		t.Fatalf("dry run: %v", err)
	}
	if hc := claimOf(t, "dry.example.com"); hc != nil {
		t.Fatalf("a dry run left HostClaim %s", hc.Name)
	}
	owner := virtualService("dry-owner", "dry.example.com")
	if err := env.Client.Create(ctx, owner); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Client.Delete(ctx, owner) })
	err := env.Client.Create(ctx, virtualService("dry-other", "dry.example.com"), client.DryRunAll)
	if err == nil || !strings.Contains(err.Error(), "VirtualService team-a/dry-owner") {
		t.Errorf("a dry run of a claimed host: %v, want a denial naming VirtualService team-a/dry-owner", err)
	}
}

// TestReleases: an update that drops a host releases its claim and keeps
// the other; deleting the VirtualService releases the rest.
func TestReleases(t *testing.T) {
	ctx := context.Background()
	vs := virtualService("release", "keep.example.com", "drop.example.com")
	if err := env.Client.Create(ctx, vs); err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"keep.example.com", "drop.example.com"} {
		if hc := claimOf(t, h); hc == nil || hc.Spec.Owner.UID != vs.UID {
			t.Fatalf("%s: HostClaim %+v, want one owned by team-a/release", h, hc)
		}
	}
	vs.Spec.Hosts = []string{"keep.example.com"}
	if err := env.Client.Update(ctx, vs); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "drop.example.com released", func() bool { return claimOf(t, "drop.example.com") == nil })
	if claimOf(t, "keep.example.com") == nil {
		t.Error("keep.example.com was released with drop.example.com")
	}
	if err := env.Client.Delete(ctx, vs); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "keep.example.com released", func() bool { return claimOf(t, "keep.example.com") == nil })
}

// waitFor polls cond for up to 15s: releases follow the informers.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, 15*time.Second, true,
		func(context.Context) (bool, error) { return cond(), nil })
	if err != nil {
		t.Errorf("%s: not within 15s", what)
	}
}
