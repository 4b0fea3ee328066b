package claims

import (
	"context"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	gateguardv1alpha1 "github.com/gateguard/gateguard/api/v1alpha1"
	"github.com/gateguard/gateguard/webhook/claims"
)

// TestKubectlGetHostClaims: `kubectl get hostclaims` answers who owns a
// host in which route table, through the CRD's printer columns; -o wide
// adds the owner's kind and when it claimed.
func TestKubectlGetHostClaims(t *testing.T) {
	w := newWorld(t, admin)
	k := w.key("shop.example.com")
	k.Where = "port 80 of pods istio=ingressgateway"
	w.mustClaim(w.owner("storefront", k), k)
	name := claims.Name(k.RouteTable, k.Host)
	out := kubectl(t, "get", "hostclaims", name)
	want := regexp.MustCompile(`^NAME +HOST +ROUTE TABLE +OWNER NAMESPACE +OWNER +AGE\n` +
		regexp.QuoteMeta(name) + ` +shop\.example\.com +port 80 of pods istio=ingressgateway +default +storefront +\d+s\n$`)
	if !want.MatchString(out) {
		t.Errorf("kubectl get hostclaims:\n%s\nwant it to match %s", out, want)
	}
	wide := kubectl(t, "get", "hostclaims", name, "-o", "wide")
	if header := strings.Fields(strings.SplitN(wide, "\n", 2)[0]); !strings.Contains(strings.Join(header, " "), "OWNER KIND CLAIMED AGE") ||
		!strings.Contains(wide, " ConfigMap ") {
		t.Errorf("kubectl get hostclaims -o wide:\n%s\nwant the columns KIND and CLAIMED and the kind ConfigMap", wide)
	}
}

// TestHostClaimKeyIsImmutable: the apiserver refuses to change a claim's
// host or route table (its name derives from them), and accepts a new owner.
func TestHostClaimKeyIsImmutable(t *testing.T) {
	w := newWorld(t, admin)
	k := w.key("shop.example.com")
	w.mustClaim(ghost("vs"), k)
	for _, tc := range []struct {
		change func(*gateguardv1alpha1.HostClaim)
		want   string
	}{
		{func(hc *gateguardv1alpha1.HostClaim) { hc.Spec.Host = "other.example.com" }, "host is immutable"},
		{func(hc *gateguardv1alpha1.HostClaim) { hc.Spec.RouteTable += "-x" }, "routeTable is immutable"},
	} {
		hc := w.claim(k)
		tc.change(hc)
		update(t, hc, tc.want)
	}
	hc := w.claim(k)
	hc.Spec.Owner.Name = "renamed"
	update(t, hc, "")
}

// update writes hc as admin, wanting a refusal containing want ("" for
// success).
func update(t *testing.T, hc *gateguardv1alpha1.HostClaim, want string) {
	t.Helper()
	err := admin.Update(context.Background(), hc)
	switch {
	case want == "" && err != nil:
		t.Errorf("updating %s: %v", hc.GetName(), err)
	case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
		t.Errorf("updating %s: %v, want a refusal saying %q", hc.GetName(), err, want)
	}
}

// kubectl runs kubectl as cluster-admin and returns its output.
func kubectl(t *testing.T, args ...string) string {
	t.Helper()
	k := env.ControlPlane.KubeCtl()
	k.Path = filepath.Join(env.BinaryAssetsDirectory, "kubectl")
	stdout, stderr, err := k.Run(args...)
	if err != nil {
		msg, _ := io.ReadAll(stderr)
		t.Fatalf("kubectl %v: %v\n%s", args, err, msg)
	}
	out, _ := io.ReadAll(stdout)
	return string(out)
}
