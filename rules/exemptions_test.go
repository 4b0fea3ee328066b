package rules

import (
	"testing"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

func exemptionState() []runtime.Object {
	return []runtime.Object{
		namespace("istio-system", map[string]string{"kubernetes.io/metadata.name": "istio-system"}),
		namespace("legacy", map[string]string{"gateguard.dev/tier": "legacy"}),
		namespace("web", nil),
		pod("istio-system", "ingress-1", ingressSelector),
		gateway("istio-system", "public-gw", ingressSelector, httpServer(80, "*")),
		httpVS("shop", "shop", []string{"shop.example.com"}, "istio-system/public-gw"),
	}
}

// TestExemptions judges one VirtualService that breaks two rules: a
// wildcard over a public suffix (wildcard-host) and a host another
// namespace claims (duplicate-host); each exemption turns off what it
// matches, no more.
func TestExemptions(t *testing.T) {
	both := []want{
		{rule: DuplicateHost, action: Deny, field: "spec.hosts[0]"},
		{rule: WildcardHost, action: Deny, field: "spec.hosts[1]"},
	}
	onlyDuplicate := both[:1]
	onlyWildcard := both[1:]
	tests := []struct {
		name       string
		exemptions string
		ns         string
		user       UserInfo
		annotation string // gateguard.dev/exempt on the object
		want       []want
	}{
		{name: "no exemption", want: both},
		{
			name:       "namespace, every rule",
			exemptions: "- namespaces: [web]\n",
		},
		{
			name:       "namespace, one rule",
			exemptions: "- namespaces: [web]\n  rules: [wildcard-host]\n",
			want:       onlyDuplicate,
		},
		{
			name:       "another namespace",
			exemptions: "- namespaces: [istio-system]\n  rules: [wildcard-host]\n",
			want:       both,
		},
		{
			name:       "namespaceSelector",
			exemptions: "- namespaceSelector: {matchLabels: {gateguard.dev/tier: legacy}}\n  rules: [duplicate-host]\n",
			ns:         "legacy",
			want:       onlyWildcard,
		},
		{
			name:       "namespaceSelector, unlabelled namespace",
			exemptions: "- namespaceSelector: {matchLabels: {gateguard.dev/tier: legacy}}\n",
			want:       both,
		},
		{
			name:       "namespaceSelector, unknown namespace",
			exemptions: "- namespaceSelector: {matchExpressions: [{key: gateguard.dev/tier, operator: DoesNotExist}]}\n",
			ns:         "not-in-the-snapshot",
		},
		{
			name:       "user",
			exemptions: "- users: [alice, system:serviceaccount:argocd:argocd-application-controller]\n",
			user:       UserInfo{Username: "system:serviceaccount:argocd:argocd-application-controller"},
		},
		{
			name:       "another user",
			exemptions: "- users: [alice]\n",
			user:       UserInfo{Username: "bob", Groups: []string{"alice"}},
			want:       both,
		},
		{
			name:       "break-glass group",
			exemptions: "- groups: [platform:break-glass]\n",
			user:       UserInfo{Username: "bob", Groups: []string{"system:authenticated", "platform:break-glass"}},
		},
		{
			name:       "another group",
			exemptions: "- groups: [platform:break-glass]\n",
			user:       UserInfo{Username: "bob", Groups: []string{"system:authenticated"}},
			want:       both,
		},
		{
			name:       "every criterion must match: namespace and group",
			exemptions: "- namespaces: [web]\n  groups: [platform:break-glass]\n",
			user:       UserInfo{Username: "bob", Groups: []string{"system:authenticated"}},
			want:       both,
		},
		{
			name:       "objectAnnotation: the object lists one rule",
			exemptions: "- objectAnnotation: true\n",
			annotation: "wildcard-host",
			want:       onlyDuplicate,
		},
		{
			name:       "objectAnnotation: a list with spaces",
			exemptions: "- objectAnnotation: true\n",
			annotation: "duplicate-host, wildcard-host",
		},
		{
			name:       "objectAnnotation: only the rules the policy allows",
			exemptions: "- objectAnnotation: true\n  rules: [wildcard-host]\n",
			annotation: "duplicate-host,wildcard-host",
			want:       onlyDuplicate,
		},
		{
			name:       "objectAnnotation: only in the namespaces the policy allows",
			exemptions: "- objectAnnotation: true\n  namespaces: [legacy]\n",
			annotation: "duplicate-host,wildcard-host",
			want:       both,
		},
		{
			name:       "objectAnnotation not allowed by the policy",
			exemptions: "- namespaces: [legacy]\n",
			annotation: "duplicate-host,wildcard-host",
			want:       both,
		},
		{
			name:       "objectAnnotation: an empty annotation exempts nothing",
			exemptions: "- objectAnnotation: true\n",
			annotation: "",
			want:       both,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := ""
			if tc.exemptions != "" {
				body = "exemptions:\n" + tc.exemptions
			}
			p := mustPolicy(t, body)
			ns := tc.ns
			if ns == "" {
				ns = "web"
			}
			vs := httpVS(ns, "web", []string{"shop.example.com", "*.co.uk"}, "istio-system/public-gw")
			if tc.annotation != "" {
				vs.Annotations = map[string]string{ExemptAnnotation: tc.annotation}
			}
			c := create(vs)
			c.User = tc.user
			expectFindings(t, validate(t, p, snapshotOf(t, exemptionState()...), c), tc.want)
		})
	}
}

// TestExemptionsOnUpdate: on UPDATE the new object's annotation decides;
// an old object that was exempt does not keep its successor exempt.
func TestExemptionsOnUpdate(t *testing.T) {
	p := mustPolicy(t, "exemptions:\n- objectAnnotation: true\n")
	old := httpVS("web", "web", []string{"*.co.uk"}, "istio-system/public-gw")
	old.Annotations = map[string]string{ExemptAnnotation: "wildcard-host"}
	vs := old.DeepCopy()
	vs.Annotations = nil
	var obj client.Object = vs
	got := validate(t, p, snapshotOf(t, exemptionState()...), update(old, obj))
	expectFindings(t, got, []want{{rule: WildcardHost, action: Deny, field: "spec.hosts[0]"}})
}

func TestAnnotationExempts(t *testing.T) {
	tests := []struct {
		value string
		rule  RuleID
		want  bool
	}{
		{"wildcard-host", WildcardHost, true},
		{" wildcard-host , duplicate-host ", DuplicateHost, true},
		{"wildcard-host", DuplicateHost, false},
		{"wildcard-hosts", WildcardHost, false},
		{"Wildcard-Host", WildcardHost, false},
		{"", WildcardHost, false},
		{"*", WildcardHost, false},
	}
	for _, tc := range tests {
		if got := annotationExempts(tc.value, tc.rule); got != tc.want {
			t.Errorf("annotationExempts(%q, %s) = %v, want %v", tc.value, tc.rule, got, tc.want)
		}
	}
}

// TestUncompiledPolicySelectorsDoNotPanic: a Policy built in Go, never
// passed through ValidatePolicy, still evaluates its selectors.
func TestUncompiledPolicySelectorsDoNotPanic(t *testing.T) {
	p := &Policy{Exemptions: []Exemption{{NamespaceSelector: &LabelSelector{MatchLabels: map[string]string{"tier": "platform"}}}}}
	snap := NewMemorySnapshot()
	if err := snap.Add(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "ops", Labels: map[string]string{"tier": "platform"}}}); err != nil {
		t.Fatal(err)
	}
	c := Change{Namespace: "ops", Object: &networkingv1.VirtualService{}}
	if !p.exempt(WildcardHost, snap, c, c.Object) {
		t.Error("the namespace selector did not match")
	}
}
