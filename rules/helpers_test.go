package rules

import (
	"context"
	"testing"

	certmanagerv1 "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	networking "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Builders for the table tests: each returns a fresh object, so a test
// case's mutate func may change it freely.

var ingressSelector = map[string]string{"istio": "ingressgateway"}

func gateway(ns, name string, selector map[string]string, servers ...*networking.Server) *networkingv1.Gateway {
	gw := &networkingv1.Gateway{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	gw.Spec.Selector = selector
	gw.Spec.Servers = servers
	return gw
}

func server(protocol string, port uint32, portName string, hosts ...string) *networking.Server {
	return &networking.Server{Port: &networking.Port{Number: port, Name: portName, Protocol: protocol}, Hosts: hosts}
}

func httpServer(port uint32, hosts ...string) *networking.Server {
	return server("HTTP", port, "http", hosts...)
}

func httpsServer(port uint32, portName string, tls *networking.ServerTLSSettings, hosts ...string) *networking.Server {
	s := server("HTTPS", port, portName, hosts...)
	s.Tls = tls
	return s
}

func simpleTLS(credentialName string) *networking.ServerTLSSettings {
	return &networking.ServerTLSSettings{Mode: networking.ServerTLSSettings_SIMPLE, CredentialName: credentialName}
}

func passthroughServer(port uint32, hosts ...string) *networking.Server {
	s := server("TLS", port, "tls", hosts...)
	s.Tls = &networking.ServerTLSSettings{Mode: networking.ServerTLSSettings_PASSTHROUGH}
	return s
}

func tcpServer(port uint32, hosts ...string) *networking.Server {
	return server("TCP", port, "tcp", hosts...)
}

// httpVS is a VirtualService with one HTTP route.
func httpVS(ns, name string, hosts []string, gateways ...string) *networkingv1.VirtualService {
	vs := &networkingv1.VirtualService{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	vs.Spec.Hosts = hosts
	vs.Spec.Gateways = gateways
	vs.Spec.Http = []*networking.HTTPRoute{{Route: []*networking.HTTPRouteDestination{
		{Destination: &networking.Destination{Host: name}},
	}}}
	return vs
}

// tcpVS is a VirtualService with one TCP route and no port match.
func tcpVS(ns, name string, hosts []string, gateways ...string) *networkingv1.VirtualService {
	vs := &networkingv1.VirtualService{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	vs.Spec.Hosts = hosts
	vs.Spec.Gateways = gateways
	vs.Spec.Tcp = []*networking.TCPRoute{{Route: []*networking.RouteDestination{
		{Destination: &networking.Destination{Host: name}},
	}}}
	return vs
}

// tlsVS is a VirtualService with one TLS route matching sniHosts.
func tlsVS(ns, name string, hosts, sniHosts []string, gateways ...string) *networkingv1.VirtualService {
	vs := &networkingv1.VirtualService{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	vs.Spec.Hosts = hosts
	vs.Spec.Gateways = gateways
	vs.Spec.Tls = []*networking.TLSRoute{{
		Match: []*networking.TLSMatchAttributes{{SniHosts: sniHosts}},
		Route: []*networking.RouteDestination{{Destination: &networking.Destination{Host: name}}},
	}}
	return vs
}

func pod(ns, name string, labels map[string]string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels}}
}

func secret(ns, name string, keys ...string) *corev1.Secret {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Data: map[string][]byte{}}
	for _, k := range keys {
		s.Data[k] = []byte("x")
	}
	return s
}

func namespace(name string, labels map[string]string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
}

func certificate(ns, name, secretName string) *certmanagerv1.Certificate {
	return &certmanagerv1.Certificate{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       certmanagerv1.CertificateSpec{SecretName: secretName},
	}
}

func snapshotOf(t testing.TB, objs ...runtime.Object) *MemorySnapshot {
	t.Helper()
	s := NewMemorySnapshot()
	for _, o := range objs {
		if err := s.Add(o); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// mustPolicy parses a policy body after the apiVersion/kind header.
func mustPolicy(t testing.TB, body string) *Policy {
	t.Helper()
	p, err := ParsePolicy([]byte("apiVersion: gateguard.dev/v1alpha1\nkind: GatewayPolicy\n" + body))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func create(obj client.Object) Change {
	return Change{Operation: Create, Object: obj, Namespace: obj.GetNamespace()}
}

func update(old, obj client.Object) Change {
	return Change{Operation: Update, Object: obj, OldObject: old, Namespace: obj.GetNamespace()}
}

// want is one expected finding. msg, when set, is the whole rendered
// field error: path, type, value and detail.
type want struct {
	rule   RuleID
	action Action
	field  string
	msg    string
}

func validate(t testing.TB, p *Policy, snap Snapshot, c Change) []Finding {
	t.Helper()
	d, err := Validate(context.Background(), p, snap, c)
	if err != nil {
		t.Fatalf("Validate: %v", err)
	}
	return d.Findings
}

// expectFindings compares findings with wants, in order and exactly.
func expectFindings(t testing.TB, got []Finding, wants []want) {
	t.Helper()
	if len(got) != len(wants) {
		t.Errorf("got %d findings, want %d:\n%s", len(got), len(wants), renderFindings(got))
		return
	}
	for i, w := range wants {
		g := got[i]
		if g.Rule != w.rule || g.Action != w.action || g.Error.Field != w.field {
			t.Errorf("finding %d: got %s %s %s, want %s %s %s", i, g.Action, g.Rule, g.Error.Field, w.action, w.rule, w.field)
		}
		if w.msg != "" && g.Error.Error() != w.msg {
			t.Errorf("finding %d message:\n got: %s\nwant: %s", i, g.Error.Error(), w.msg)
		}
	}
}

func renderFindings(fs []Finding) string {
	out := ""
	for _, f := range fs {
		out += "  " + string(f.Action) + " " + string(f.Rule) + " " + f.Error.Error() + "\n"
	}
	return out
}

// vsCase is a table row for a VirtualService rule: the test's base object,
// or vs in its place, changed by mutate and judged as a CREATE under policy.
type vsCase struct {
	name   string
	policy string // policy body; empty for the default policy
	vs     func() *networkingv1.VirtualService
	mutate func(*networkingv1.VirtualService)
	want   []want
}

// runVSCases judges every case against a snapshot of state.
func runVSCases(t *testing.T, base func() *networkingv1.VirtualService, state []runtime.Object, cases []vsCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := DefaultPolicy()
			if tc.policy != "" {
				p = mustPolicy(t, tc.policy)
			}
			vs := base()
			if tc.vs != nil {
				vs = tc.vs()
			}
			if tc.mutate != nil {
				tc.mutate(vs)
			}
			expectFindings(t, validate(t, p, snapshotOf(t, state...), create(vs)), tc.want)
		})
	}
}
