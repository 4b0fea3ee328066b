package claims

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation"
)

// TestName pins the readable part of claim names; the hash is checked by
// TestNameDistinguishesKeys.
func TestName(t *testing.T) {
	long := strings.Repeat("a", 63) + "." + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." +
		strings.Repeat("d", 61)
	for _, tc := range []struct{ host, readable string }{
		{"shop.example.com", "shop.example.com"},
		{"*.example.com", "wildcard.example.com"},
		{"*", "wildcard"},
		{"Shop.Example.COM", "shop.example.com"},
		{"shop.example.com.", "shop.example.com"},
		{"", "port"},
		{"under_score.example.com", "under-score.example.com"},
		{"-lead.trail-.x", "lead.trail.x"},
		{"a..b", "a.b"},
		{"...", "port"},
		{long, long[:maxName-hashLen-1]},
	} {
		name := Name("mesh", tc.host)
		if got := name[:len(name)-hashLen-1]; got != tc.readable {
			t.Errorf("Name(%q) = %q, want readable part %q", tc.host, name, tc.readable)
		}
		if problems := validation.IsDNS1123Subdomain(name); len(problems) > 0 {
			t.Errorf("Name(%q) = %q is not a DNS subdomain: %v", tc.host, name, problems)
		}
	}
}

// TestNameHasThePort: a key with a port ("http|<pods>|<port>|<bind>")
// puts it between the host and the hash.
func TestNameHasThePort(t *testing.T) {
	for rt, readable := range map[string]string{
		"http|pods:app=edge,istio=ingressgateway|80|": "shop.example.com-80",
		"https|team-a/shop-gw|443|https":              "shop.example.com-443",
		"tcp|policy:istio=ingressgateway|31400|":      "shop.example.com-31400",
		"mesh":                                        "shop.example.com",
		"http|pods:x|not-a-port|":                     "shop.example.com",
		"https|team-a/gw/listener|8443":               "shop.example.com-8443",
	} {
		name := Name(rt, "shop.example.com")
		if got := name[:len(name)-hashLen-1]; got != readable {
			t.Errorf("Name(%q, shop.example.com) = %q, want readable part %q", rt, name, readable)
		}
	}
}

// TestNameDistinguishesKeys: keys that read alike once sanitised, or one
// host in two route tables, get different names; one key always the same.
func TestNameDistinguishesKeys(t *testing.T) {
	pairs := [][4]string{
		{"rt", "*.x.com", "rt", "wildcard.x.com"},
		{"rt", "a.com.", "rt", "a.com"},
		{"rt", "Shop.x.com", "rt", "shop.x.com"},
		{"pods:a|80", "shop.x.com", "pods:a|8080", "shop.x.com"},
		{"a", "b\x00c", "a\x00b", "c"},
	}
	for _, p := range pairs {
		if a, b := Name(p[0], p[1]), Name(p[2], p[3]); a == b {
			t.Errorf("Name(%q, %q) = Name(%q, %q) = %q", p[0], p[1], p[2], p[3], a)
		}
	}
	if a, b := Name("rt", "shop.x.com"), Name("rt", "shop.x.com"); a != b {
		t.Errorf("Name is not deterministic: %q, %q", a, b)
	}
}

// FuzzName: whatever the key, the name is a valid cluster-scoped name.
func FuzzName(f *testing.F) {
	for _, h := range []string{"shop.example.com", "*", "", "a..b", "ÄÖ.example.com", strings.Repeat("x.", 200)} {
		f.Add("https|team-a/gw|443|server", h)
		f.Add("http|pods:istio=ingressgateway|65535|", h)
	}
	f.Fuzz(func(t *testing.T, routeTable, host string) {
		if problems := validation.IsDNS1123Subdomain(Name(routeTable, host)); len(problems) > 0 {
			t.Errorf("Name(%q, %q) = %q: %v", routeTable, host, Name(routeTable, host), problems)
		}
	})
}
