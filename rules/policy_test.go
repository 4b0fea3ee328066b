package rules

import (
	"errors"
	"reflect"
	"testing"
)

// fullPolicy is the policy of docs/rules.md#the-policy-file with every section filled in.
const fullPolicy = `apiVersion: gateguard.dev/v1alpha1
kind: GatewayPolicy
rules:
  duplicate-host: {action: deny, allowSameNamespaceMerge: true}
  overlapping-host: {action: off}
  wildcard-host: {action: deny, allowedWildcards: ["*.apps.example.com"]}
  host-ownership: {action: warn}
  missing-credential: {action: deny}
  conflicting-gateway: {action: warn}
  unknown-gateway: {action: off}
  host-not-in-gateway: {action: deny}
  secret-in-use: {action: deny}
  reference-grant: {action: warn}
  default-selector: {action: on}
  default-labels: {action: off}
hostOwnership:
- namespaceSelector: {matchLabels: {team: payments}}
  domains: ["payments.example.com", "*.payments.example.com"]
- namespaces: [shop, shop-staging]
  domains: ["shop.example.com"]
defaults:
  gatewaySelector: {istio: ingressgateway}
  gatewaySelectorByNamespace:
    partners: {istio: partner-gateway}
  labels: {app.kubernetes.io/managed-by: gateguard}
  labelsFromNamespace: {team: example.com/team}
gatewayNamespaces:            # where gateway pods run, when not discovered
- selector: {istio: ingressgateway}
  namespace: istio-system
exemptions:
- namespaces: [istio-system]
  rules: [wildcard-host]
- namespaceSelector:
    matchExpressions: [{key: gateguard.dev/legacy, operator: Exists}]
- users: [alice]
  groups: [platform:break-glass]
- objectAnnotation: true
  rules: [overlapping-host, wildcard-host]
`

func TestParsePolicyFull(t *testing.T) {
	p, err := ParsePolicy([]byte(fullPolicy))
	if err != nil {
		t.Fatal(err)
	}
	wantRules := map[RuleID]RuleConfig{
		DuplicateHost:      {Action: Deny, AllowSameNamespaceMerge: true},
		OverlappingHost:    {Action: Off},
		WildcardHost:       {Action: Deny, AllowedWildcards: []string{"*.apps.example.com"}},
		HostOwnership:      {Action: Warn},
		MissingCredential:  {Action: Deny},
		ConflictingGateway: {Action: Warn},
		UnknownGateway:     {Action: Off},
		HostNotInGateway:   {Action: Deny},
		SecretInUse:        {Action: Deny},
		ReferenceGrant:     {Action: Warn},
		DefaultSelectorID:  {Action: On},
		DefaultLabelsID:    {Action: Off},
	}
	if !reflect.DeepEqual(p.Rules, wantRules) {
		t.Errorf("rules = %+v", p.Rules)
	}
	if got := p.HostOwnership[1]; !reflect.DeepEqual(got.Namespaces, []string{"shop", "shop-staging"}) ||
		!reflect.DeepEqual(got.Domains, []string{"shop.example.com"}) {
		t.Errorf("hostOwnership[1] = %+v", got)
	}
	if got := p.HostOwnership[0].NamespaceSelector.MatchLabels; !reflect.DeepEqual(got, map[string]string{"team": "payments"}) {
		t.Errorf("hostOwnership[0].namespaceSelector = %v", got)
	}
	if got := p.gatewaySelectorFor("partners"); !reflect.DeepEqual(got, map[string]string{"istio": "partner-gateway"}) {
		t.Errorf("selector for partners = %v", got)
	}
	if got := p.gatewaySelectorFor("shop"); !reflect.DeepEqual(got, map[string]string{"istio": "ingressgateway"}) {
		t.Errorf("selector for shop = %v", got)
	}
	if got := p.Defaults.LabelsFromNamespace; !reflect.DeepEqual(got, map[string]string{"team": "example.com/team"}) {
		t.Errorf("labelsFromNamespace = %v", got)
	}
	if got := p.GatewayNamespaces; len(got) != 1 || got[0].Namespace != "istio-system" {
		t.Errorf("gatewayNamespaces = %+v", got)
	}
	if len(p.Exemptions) != 4 || !p.Exemptions[3].ObjectAnnotation ||
		!reflect.DeepEqual(p.Exemptions[2].Groups, []string{"platform:break-glass"}) {
		t.Errorf("exemptions = %+v", p.Exemptions)
	}
	// the selectors are compiled and usable
	if !p.selectorMatches(p.Exemptions[1].NamespaceSelector, map[string]string{"gateguard.dev/legacy": ""}) ||
		p.selectorMatches(p.Exemptions[1].NamespaceSelector, map[string]string{"team": "payments"}) {
		t.Error("exemptions[1].namespaceSelector does not match as written")
	}
	if got := p.domainsOf("payments-prod", map[string]string{"team": "payments"}); !reflect.DeepEqual(got,
		[]string{"payments.example.com", "*.payments.example.com"}) {
		t.Errorf("domainsOf(payments-prod) = %v", got)
	}
	for _, r := range Catalog() {
		if want := wantRules[r.ID].Action; p.actionFor(r) != want {
			t.Errorf("actionFor(%s) = %s, want %s", r.ID, p.actionFor(r), want)
		}
	}
}

func TestDefaultPolicy(t *testing.T) {
	p := DefaultPolicy()
	want := map[RuleID]Action{DuplicateHost: Deny, OverlappingHost: Warn, WildcardHost: Deny, HostOwnership: Deny,
		MissingCredential: Deny, ConflictingGateway: Deny, UnknownGateway: Warn, HostNotInGateway: Warn, SecretInUse: Warn,
		ReferenceGrant: Deny}
	for _, r := range Catalog() {
		if got := p.actionFor(r); got != want[r.ID] {
			t.Errorf("default action of %s = %s, want %s", r.ID, got, want[r.ID])
		}
	}
	if errs := ValidatePolicy(p); len(errs) != 0 {
		t.Errorf("DefaultPolicy is invalid: %v", errs)
	}
}

func TestParsePolicyErrors(t *testing.T) {
	const header = "apiVersion: gateguard.dev/v1alpha1\nkind: GatewayPolicy\n"
	tests := []struct {
		name string
		in   string
		want PolicyErrors
		// wantText, when set, is the whole error message.
		wantText string
	}{
		{
			name:     "unknown top-level field",
			in:       header + "rule:\n  duplicate-host: {action: deny}\n",
			want:     PolicyErrors{{Line: 3, Field: "rule", Message: `unknown field "rule"`}},
			wantText: `invalid GatewayPolicy: line 3: rule: unknown field "rule"`,
		},
		{
			name: "unknown nested field",
			in:   header + "rules:\n  wildcard-host:\n    action: deny\n    allowedWildcard: [\"*.example.com\"]\n",
			want: PolicyErrors{{Line: 6, Field: "rules.wildcard-host.allowedWildcard", Message: `unknown field "allowedWildcard"`}},
		},
		{
			name: "unknown field in a flow mapping is named, not its neighbour",
			in:   header + "rules:\n  wildcard-host: {action: deny, allowSameNamespaceMerg: true}\n",
			want: PolicyErrors{{Line: 4, Field: "rules.wildcard-host.allowSameNamespaceMerg",
				Message: `unknown field "allowSameNamespaceMerg"`}},
		},
		{
			name: "unknown field in a list item",
			in:   header + "exemptions:\n- namespaces: [a]\n  rule: [wildcard-host]\n",
			want: PolicyErrors{{Line: 5, Field: "exemptions[0].rule", Message: `unknown field "rule"`}},
		},
		{
			name: "mistyped value",
			in:   header + "rules:\n  duplicate-host:\n    allowSameNamespaceMerge: sometimes\n",
			want: PolicyErrors{{Line: 5, Field: "rules.duplicate-host.allowSameNamespaceMerge",
				Message: "cannot unmarshal !!str `sometimes` into bool"}},
		},
		{
			name: "a list where a map belongs is named, not its first item",
			in:   header + "defaults:\n  labels: [a, b]\n",
			want: PolicyErrors{{Line: 4, Field: "defaults.labels", Message: "cannot unmarshal !!seq into map[string]string"}},
		},
		{
			name: "a block list where a map belongs",
			in:   header + "defaults:\n  labels:\n  - a\n",
			want: PolicyErrors{{Line: 5, Field: "defaults.labels", Message: "cannot unmarshal !!seq into map[string]string"}},
		},
		{
			name: "mistyped value in a flow mapping is named by its value",
			in:   header + "rules:\n  duplicate-host: {action: deny, allowSameNamespaceMerge: definitely-not}\n",
			want: PolicyErrors{{Line: 4, Field: "rules.duplicate-host.allowSameNamespaceMerge",
				Message: "cannot unmarshal !!str `definit...` into bool"}},
		},
		{
			name: "a document that is not a mapping",
			in:   "- apiVersion: gateguard.dev/v1alpha1\n",
			want: PolicyErrors{{Line: 1, Field: "", Message: "cannot unmarshal !!seq into rules.Policy"}},
		},
		{
			name: "bad action",
			in:   header + "rules:\n  wildcard-host:\n    action: block\n",
			want: PolicyErrors{{Line: 5, Field: "rules.wildcard-host.action",
				Message: `Unsupported value: "block": supported values: "deny", "warn", "off"`}},
			wantText: `invalid GatewayPolicy: line 5: rules.wildcard-host.action: Unsupported value: "block": ` +
				`supported values: "deny", "warn", "off"`,
		},
		{
			name: "deny is no action of a mutating rule",
			in:   header + "rules:\n  default-labels: {action: deny}\n",
			want: PolicyErrors{{Line: 4, Field: "rules.default-labels.action",
				Message: `Unsupported value: "deny": supported values: "on", "off"`}},
		},
		{
			name: "unknown rule",
			in:   header + "rules:\n  duplicate-hosts: {action: deny}\n",
			want: PolicyErrors{{Line: 4, Field: "rules.duplicate-hosts", Message: `Unsupported value: "duplicate-hosts": ` +
				`supported values: "duplicate-host", "overlapping-host", "wildcard-host", "host-ownership", ` +
				`"missing-credential", "conflicting-gateway", "unknown-gateway", "host-not-in-gateway", "secret-in-use", "reference-grant", ` +
				`"default-selector", "default-labels"`}},
		},
		{
			name: "a knob on the wrong rule",
			in:   header + "rules:\n  wildcard-host: {allowSameNamespaceMerge: true}\n",
			want: PolicyErrors{{Line: 4, Field: "rules.wildcard-host.allowSameNamespaceMerge",
				Message: "Forbidden: applies only to duplicate-host"}},
		},
		{
			name: "several faults at once, in file order",
			in: header + "rules:\n  wildcard-host: {action: block, allowedWildcards: [\"example.com\"]}\n" +
				"  duplicate-host: {action: nope}\nhostOwnership:\n- domains: [\"*\"]\nexemptions:\n- rules: [wildcard-host]\n",
			want: PolicyErrors{
				{Line: 4, Field: "rules.wildcard-host.action", Message: `Unsupported value: "block": supported values: "deny", "warn", "off"`},
				{Line: 4, Field: "rules.wildcard-host.allowedWildcards[0]", Message: `Invalid value: "example.com": must look like "*.example.com"`},
				{Line: 5, Field: "rules.duplicate-host.action", Message: `Unsupported value: "nope": supported values: "deny", "warn", "off"`},
				{Line: 7, Field: "hostOwnership[0]", Message: "Required value: namespaces or namespaceSelector"},
				{Line: 7, Field: "hostOwnership[0].domains[0]", Message: `Invalid value: "*": must be a lower-case domain ("shop.example.com") or "*." and a domain`},
				{Line: 9, Field: "exemptions[0]", Message: "Required value: namespaces, namespaceSelector, users, groups or objectAnnotation"},
			},
		},
		{
			name: "several decoding faults at once",
			in:   header + "bogus: 1\nrules:\n  duplicate-host:\n    allowSameNamespaceMerge: 3\n",
			want: PolicyErrors{
				{Line: 3, Field: "bogus", Message: `unknown field "bogus"`},
				{Line: 6, Field: "rules.duplicate-host.allowSameNamespaceMerge", Message: "cannot unmarshal !!int `3` into bool"},
			},
		},
		{
			name:     "empty file",
			in:       "",
			want:     PolicyErrors{{Message: "the policy file is empty"}},
			wantText: "invalid GatewayPolicy: the policy file is empty",
		},
		{
			name: "comments only",
			in:   "# nothing yet\n",
			want: PolicyErrors{{Message: "the policy file is empty"}},
		},
		{
			name: "two documents",
			in:   header + "---\n" + header,
			want: PolicyErrors{{Message: "the policy file must hold exactly one YAML document"}},
		},
		{
			name: "wrong apiVersion and kind",
			in:   "apiVersion: gateguard.dev/v1\nkind: Policy\n",
			want: PolicyErrors{
				{Line: 1, Field: "apiVersion", Message: `Unsupported value: "gateguard.dev/v1": supported values: "gateguard.dev/v1alpha1"`},
				{Line: 2, Field: "kind", Message: `Unsupported value: "Policy": supported values: "GatewayPolicy"`},
			},
		},
		{
			name: "istio.io/rev is Istio's",
			in:   header + "defaults:\n  labels:\n    istio.io/rev: canary\n",
			want: PolicyErrors{{Line: 5, Field: "defaults.labels.istio.io/rev",
				Message: "Forbidden: istio.io/rev and internal.istio.io/ keys belong to Istio"}},
		},
		{
			name: "internal.istio.io keys in the default selector",
			in:   header + "defaults:\n  gatewaySelector: {internal.istio.io/gateway: x}\n",
			want: PolicyErrors{{Line: 4, Field: "defaults.gatewaySelector.internal.istio.io/gateway",
				Message: "Forbidden: istio.io/rev and internal.istio.io/ keys belong to Istio"}},
		},
		{
			name: "istio.io/rev copied from the namespace",
			in:   header + "defaults:\n  labelsFromNamespace: {istio.io/rev: istio.io/rev}\n",
			want: PolicyErrors{{Line: 4, Field: "defaults.labelsFromNamespace.istio.io/rev",
				Message: "Forbidden: istio.io/rev and internal.istio.io/ keys belong to Istio"}},
		},
		{
			name: "exemption with no criterion",
			in:   header + "exemptions:\n- rules: [wildcard-host]\n",
			want: PolicyErrors{{Line: 4, Field: "exemptions[0]",
				Message: "Required value: namespaces, namespaceSelector, users, groups or objectAnnotation"}},
		},
		{
			name: "exemption of an unknown rule",
			in:   header + "exemptions:\n- namespaces: [a]\n  rules: [wildcard]\n",
			want: PolicyErrors{{Line: 5, Field: "exemptions[0].rules[0]", Message: `Unsupported value: "wildcard": ` +
				`supported values: "duplicate-host", "overlapping-host", "wildcard-host", "host-ownership", ` +
				`"missing-credential", "conflicting-gateway", "unknown-gateway", "host-not-in-gateway", "secret-in-use", "reference-grant", ` +
				`"default-selector", "default-labels"`}},
		},
		{
			name: "bad selector operator",
			in:   header + "exemptions:\n- namespaceSelector:\n    matchExpressions: [{key: a, operator: Is}]\n",
			want: PolicyErrors{{Line: 4, Field: "exemptions[0].namespaceSelector",
				Message: `Invalid value: [{"Key":"a","Operator":"Is","Values":null}]: "Is" is not a valid label ` +
					`selector operator`}},
		},
		{
			name: "gatewayNamespaces without selector, bad namespace",
			in:   header + "gatewayNamespaces:\n- namespace: Istio_System\n",
			want: PolicyErrors{
				{Line: 4, Field: "gatewayNamespaces[0].selector", Message: "Required value: the labels of the gateway pods"},
				{Line: 4, Field: "gatewayNamespaces[0].namespace", Message: `Invalid value: "Istio_System": a lowercase RFC ` +
					`1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an ` +
					`alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is ` +
					`'[a-z0-9]([-a-z0-9]*[a-z0-9])?')`},
			},
		},
		{
			name: "YAML syntax error",
			in:   header + "rules: [\n",
			want: PolicyErrors{{Line: 3, Message: "did not find expected node content"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParsePolicy([]byte(tc.in))
			if p != nil {
				t.Errorf("got a policy with errors")
			}
			var got PolicyErrors
			if !errors.As(err, &got) {
				t.Fatalf("error %v (%T) is not PolicyErrors", err, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("\n got: %#v\nwant: %#v", got, tc.want)
			}
			if tc.wantText != "" && err.Error() != tc.wantText {
				t.Errorf("\n got: %s\nwant: %s", err, tc.wantText)
			}
		})
	}
}

// TestParsePolicyDeterministic: faults from maps come out in one order.
func TestParsePolicyDeterministic(t *testing.T) {
	in := []byte("apiVersion: gateguard.dev/v1alpha1\nkind: GatewayPolicy\nrules:\n" +
		"  wildcard-host: {action: a}\n  duplicate-host: {action: b}\n  overlapping-host: {action: c}\n" +
		"  host-ownership: {action: d}\ndefaults:\n  labels: {istio.io/rev: x, internal.istio.io/a: y, \"bad key\": z}\n")
	_, first := ParsePolicy(in)
	for range 50 {
		if _, err := ParsePolicy(in); err.Error() != first.Error() {
			t.Fatalf("error text changed between runs:\n%s\n%s", first, err)
		}
	}
}
