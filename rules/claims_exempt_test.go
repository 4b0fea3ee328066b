package rules

import "testing"

// TestPolicyExempt: Exempt answers as the rules judge exemptions, per rule,
// namespace and user.
func TestPolicyExempt(t *testing.T) {
	p := mustPolicy(t, "exemptions:\n- namespaces: [web]\n  rules: [duplicate-host]\n- groups: [platform:break-glass]\n")
	snap := snapshotOf(t, exemptionState()...)
	vs := httpVS("web", "web", []string{"shop.example.com"}, "istio-system/public-gw")
	other := httpVS("shop", "other", []string{"shop.example.com"}, "istio-system/public-gw")
	breakGlass := create(other)
	breakGlass.User = UserInfo{Username: "bob", Groups: []string{"platform:break-glass"}}
	for _, tc := range []struct {
		name string
		rule RuleID
		c    Change
		want bool
	}{
		{"exempt namespace, its rule", DuplicateHost, create(vs), true},
		{"exempt namespace, another rule", ConflictingGateway, create(vs), false},
		{"another namespace", DuplicateHost, create(other), false},
		{"break-glass group", DuplicateHost, breakGlass, true},
	} {
		if got := p.Exempt(tc.rule, snap, tc.c, tc.c.Object); got != tc.want {
			t.Errorf("%s: Exempt = %v, want %v", tc.name, got, tc.want)
		}
	}
}
