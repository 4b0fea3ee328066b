package rules

import (
	"errors"
	"reflect"
	"testing"
)

const sharedPolicy = `rules:
  duplicate-host:
    sharedHostnames:
    - hostnames: ["shop.example.com", "*.shop.example.com"]
      namespaces: [team-a, team-b]
    - hostnames: [api.example.com]
      namespaces: [team-b, team-c, team-d]
`

func TestHostnameShared(t *testing.T) {
	p := mustPolicy(t, sharedPolicy)
	want := []SharedHostnames{
		{Hostnames: []string{"shop.example.com", "*.shop.example.com"}, Namespaces: []string{"team-a", "team-b"}},
		{Hostnames: []string{"api.example.com"}, Namespaces: []string{"team-b", "team-c", "team-d"}},
	}
	if !reflect.DeepEqual(p.Rules[DuplicateHost].SharedHostnames, want) {
		t.Errorf("sharedHostnames = %+v", p.Rules[DuplicateHost].SharedHostnames)
	}
	tests := []struct {
		host, nsA, nsB string
		want           bool
	}{
		{"shop.example.com", "team-a", "team-b", true},
		{"shop.example.com", "team-b", "team-a", true},
		{"Shop.Example.COM", "team-a", "team-b", true},
		{"*.shop.example.com", "team-a", "team-b", true},
		{"cart.shop.example.com", "team-a", "team-b", false}, // a wildcard entry shares itself only
		{"shop.example.com", "team-a", "team-c", false},
		{"api.example.com", "team-a", "team-b", false}, // each entry's own namespaces
		{"api.example.com", "team-c", "team-d", true},
		{"shop.example.com", "team-a", "team-a", true},
		{"shop.example.com", "team-z", "team-z", false},
	}
	for _, tc := range tests {
		if got := p.hostnameShared(tc.host, tc.nsA, tc.nsB); got != tc.want {
			t.Errorf("hostnameShared(%q, %s, %s) = %v, want %v", tc.host, tc.nsA, tc.nsB, got, tc.want)
		}
	}
	if DefaultPolicy().hostnameShared("shop.example.com", "team-a", "team-b") {
		t.Error("the default policy shares a hostname")
	}
}

func TestSharedHostnamesErrors(t *testing.T) {
	const header = "apiVersion: gateguard.dev/v1alpha1\nkind: GatewayPolicy\n"
	tests := []struct {
		name string
		in   string
		want PolicyErrors
	}{
		{
			name: "an entry without hostnames or a second namespace",
			in:   header + "rules:\n  duplicate-host:\n    sharedHostnames:\n    - namespaces: [team-a]\n",
			want: PolicyErrors{
				{Line: 6, Field: "rules.duplicate-host.sharedHostnames[0].hostnames",
					Message: "Required value: the hostnames these namespaces share"},
				{Line: 6, Field: "rules.duplicate-host.sharedHostnames[0].namespaces",
					Message: "Required value: at least two namespaces to share the hostnames"},
			},
		},
		{
			name: "bad hostnames and namespaces, each at its line",
			in: header + "rules:\n  duplicate-host:\n    sharedHostnames:\n    - hostnames:\n      - shop.example.com\n" +
				"      - Shop.Example.com\n      namespaces: [team-a, Team_B]\n",
			want: PolicyErrors{
				{Line: 8, Field: "rules.duplicate-host.sharedHostnames[0].hostnames[1]", Message: `Invalid value: ` +
					`"Shop.Example.com": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric ` +
					`characters, '-' or '.', and must start and end with an alphanumeric character (e.g. ` +
					`'example.com', regex used for validation is ` +
					`'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`},
				{Line: 9, Field: "rules.duplicate-host.sharedHostnames[0].namespaces[1]", Message: `Invalid value: "Team_B": ` +
					`a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must ` +
					`start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for ` +
					`validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`},
			},
		},
		{
			name: "a bare * is no hostname",
			in:   header + "rules:\n  duplicate-host:\n    sharedHostnames:\n    - hostnames: [\"*\"]\n      namespaces: [a, b]\n",
			want: PolicyErrors{{Line: 6, Field: "rules.duplicate-host.sharedHostnames[0].hostnames[0]", Message: `Invalid value: ` +
				`"*": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and ` +
				`must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is ` +
				`'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`}},
		},
		{
			name: "on another rule",
			in:   header + "rules:\n  wildcard-host:\n    sharedHostnames:\n    - hostnames: [a.example.com]\n      namespaces: [a, b]\n",
			want: PolicyErrors{{Line: 5, Field: "rules.wildcard-host.sharedHostnames", Message: `Forbidden: applies only to duplicate-host`}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParsePolicy([]byte(tc.in))
			var got PolicyErrors
			if p != nil || !errors.As(err, &got) {
				t.Fatalf("ParsePolicy = %v, %v; want PolicyErrors", p, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("\n got: %#v\nwant: %#v", got, tc.want)
			}
		})
	}
}
