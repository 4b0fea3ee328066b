package main

import (
	"strings"
	"testing"
)

// TestCheckRouteTablesKeyedByPods: through the CLI, a Gateway on the same
// pods by another selector, or by none (default-selector off), shares the
// plain-HTTP route table of port 80; so a second VirtualService for the
// host is a duplicate.
func TestCheckRouteTablesKeyedByPods(t *testing.T) {
	const dir = "../../rules/check/testdata/pods/"
	for _, tc := range []struct{ file, want string }{
		{"by-app.yaml", `:9: VirtualService team-b/shop: spec.hosts[0]: deny: host "shop.example.com" is already ` +
			`claimed by VirtualService team-a/shop on HTTP port 80 of gateway pods {app=edge} (Gateway ` +
			`istio-system/by-app); use a different host, bind to another gateway, or ask the owner of team-a/shop ` +
			`[duplicate-host]`},
		{"all.yaml", `:10: VirtualService team-b/shop: spec.hosts[0]: deny: host "shop.example.com" is already ` +
			`claimed by VirtualService team-a/shop on HTTP port 80 of every gateway pod (Gateway istio-system/all); use ` +
			`a different host, bind to another gateway, or ask the owner of team-a/shop [duplicate-host]`},
	} {
		t.Run(tc.file, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, "", "check", "--policy", dir+"policy.yaml", "--existing", dir+"state.yaml",
				"-f", dir+tc.file)
			if lines := strings.Split(stdout, "\n"); code != 1 || lines[0] != dir+tc.file+tc.want {
				t.Errorf("exit %d, stderr %q\n got: %s\nwant: %s", code, stderr, lines[0], dir+tc.file+tc.want)
			}
		})
	}
}
