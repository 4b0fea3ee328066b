package main

import (
	"strings"
	"testing"
)

// TestServeRefusesAnInvalidPolicyWithItsLine: an invalid policy file stops
// startup before any cluster is contacted, naming the line and field.
func TestServeRefusesAnInvalidPolicyWithItsLine(t *testing.T) {
	code, _, stderr := runCLI(t, "", "serve", "--policy", "testdata/bad-policy.yaml", "--kubeconfig", "testdata/nope")
	want := `gateguard serve: policy testdata/bad-policy.yaml: invalid GatewayPolicy: line 4: rules.wildcard-host.action: ` +
		`Unsupported value: "block": supported values: "deny", "warn", "off"` + "\n"
	if code != 1 || stderr != want {
		t.Errorf("exit %d, stderr\n%q\nwant\n%q", code, stderr, want)
	}
}

// TestUsageErrorsSayWhatIsWrong: every usage error exits 2 and prints what
// is wrong, then the usage of the command it concerns, on stderr. Each serve
// case passes a kubeconfig that does not exist: the flags are refused before
// it is read, so none of them may report it.
func TestUsageErrorsSayWhatIsWrong(t *testing.T) {
	const kc = "--kubeconfig=testdata/nope"
	cases := []struct {
		args       []string
		want, then string // the first line of stderr, and a line of the usage after it
	}{
		{nil, "gateguard: a command is required", "Usage:"},
		{[]string{"frobnicate"}, `gateguard: unknown command "frobnicate"`, "Usage:"},
		{[]string{"version", "extra"}, `gateguard version: unexpected arguments ["extra"]`, "Usage:"},
		{[]string{"serve", kc, "extra"}, `gateguard serve: unexpected arguments ["extra"]`, "Usage: gateguard serve [flags]"},
		{[]string{"serve", "--no-such-flag"}, "flag provided but not defined: -no-such-flag", "Usage: gateguard serve [flags]"},
		{[]string{"serve", kc, "--reservation-ttl", "0"}, "gateguard serve: --reservation-ttl must be positive, not 0s", "  -reservation-ttl duration"},
		{[]string{"serve", kc, "--policy-poll-interval", "-1s"}, "gateguard serve: --policy-poll-interval must be positive, not -1s", "Flags:"},
		{[]string{"serve", kc, "--shutdown-delay", "-5s"}, "gateguard serve: --shutdown-delay must not be negative, not -5s", "Flags:"},
		{[]string{"serve", kc, "--audit-interval", "-1m"}, "gateguard serve: --audit-interval must not be negative, not -1m0s", "Flags:"},
		{[]string{"serve", kc, "--port", "70000"}, "gateguard serve: --port 70000 is out of range: want 1 to 65535", "Flags:"},
		{[]string{"serve", kc, "--port", "0"}, "gateguard serve: --port 0 is out of range: want 1 to 65535", "Flags:"},
		{[]string{"serve", kc, "--metrics-bind-address", "8080"}, `gateguard serve: --metrics-bind-address "8080" is not a host:port address`, "Flags:"},
		{[]string{"serve", kc, "--health-probe-bind-address", ":99999"}, `gateguard serve: --health-probe-bind-address ":99999": port "99999" is out of range: want 0 to 65535`, "Flags:"},
		{[]string{"serve", kc, "--pprof-bind-address", "localhost"}, `gateguard serve: --pprof-bind-address "localhost" is not a host:port address`, "Flags:"},
		{[]string{"serve", kc, "--cert-dir", ""}, "gateguard serve: --cert-dir must not be empty", "Flags:"},
		{[]string{"serve", kc, "--self-signed-certs", "--cert-namespace", "gg", "--cert-validity", "1h", "--cert-renew-before", "2h"},
			"gateguard serve: --cert-validity 1h0m0s must exceed --cert-renew-before 2h0m0s", "Flags:"},
		{[]string{"serve", kc, "--secret-namespaces", "istio-system,Bad_NS"},
			`gateguard serve: --secret-namespaces: "Bad_NS" is not a namespace name: a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`, "Flags:"},
		{[]string{"serve", kc, "--secret-namespaces="},
			`invalid value "" for flag -secret-namespaces: an empty namespace in "": list namespaces, or leave the flag out for every namespace`, "Flags:"},
		{[]string{"serve", kc, "--self-signed-certs", "--cert-namespace", "gg", "--cert-dir", ""}, "gateguard serve: --cert-dir is required", "Flags:"},
		{[]string{"audit", "--secret-namespaces", "x.y"},
			`gateguard audit: --secret-namespaces: "x.y" is not a namespace name: must not contain dots`, "Usage: gateguard audit"},
		{[]string{"serve", kc, "--claims-grace-period", "5s"},
			"gateguard serve: --claims-grace-period must be at least 10s (longer than the webhook timeout plus the write), not 5s", "  -claims-grace-period duration"},
		{[]string{"serve", kc, "--claims-sweep-interval", "0"}, "gateguard serve: --claims-sweep-interval must be positive, not 0s", "Flags:"},
		{[]string{"serve", kc, "--leader-election-namespace", "Gateguard"},
			`gateguard serve: --leader-election-namespace: "Gateguard" is not a namespace name: a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`, "Flags:"},
		{[]string{"serve", kc, "--claims=maybe"}, `invalid boolean value "maybe" for -claims: parse error`, "Flags:"},
		{[]string{"serve", kc, "--reservation-ttl", "abc"}, `invalid value "abc" for flag -reservation-ttl: parse error`, "Flags:"},
		{[]string{"check"}, "gateguard check: at least one -f PATH is required", "Usage: gateguard check -f PATH"},
		{[]string{"check", "-f", "x.yaml", "extra"}, `gateguard check: unexpected arguments ["extra"]`, "Usage: gateguard check -f PATH"},
		{[]string{"check", "-f", "x.yaml", "-o", "xml"}, `gateguard check: -o must be text, json or sarif, not "xml"`, "Usage: gateguard check"},
		{[]string{"audit", "extra"}, `gateguard audit: unexpected arguments ["extra"]`, "Usage: gateguard audit"},
		{[]string{"audit", "-o", "xml"}, `gateguard audit: -o must be text, json or sarif, not "xml"`, "Usage: gateguard audit"},
	}
	for _, c := range cases {
		code, stdout, stderr := runCLI(t, "", c.args...)
		first, rest, _ := strings.Cut(stderr, "\n")
		if code != 2 || first != c.want || !strings.Contains(rest, c.then) || stdout != "" {
			t.Errorf("gateguard %q: exit %d, stdout %q, stderr:\n%s\nwant exit 2, first line %q, then %q",
				c.args, code, stdout, stderr, c.want, c.then)
		}
	}
}

// TestServeRefusesSeveralFlagsAtOnce: every bad flag is named, not only the first.
func TestServeRefusesSeveralFlagsAtOnce(t *testing.T) {
	code, _, stderr := runCLI(t, "", "serve", "--kubeconfig=testdata/nope", "--reservation-ttl=0", "--port=-1")
	want := "gateguard serve: --port -1 is out of range: want 1 to 65535\n--reservation-ttl must be positive, not 0s\n\nUsage:"
	if code != 2 || !strings.HasPrefix(stderr, want) {
		t.Errorf("exit %d, stderr:\n%s\nwant exit 2 and a prefix\n%s", code, stderr, want)
	}
}

// TestAuditErrorsNameAudit: audit's own failures say gateguard audit.
func TestAuditErrorsNameAudit(t *testing.T) {
	code, _, stderr := runCLI(t, "", "audit", "--policy", "testdata/bad-policy.yaml")
	want := `gateguard audit: testdata/bad-policy.yaml: invalid GatewayPolicy: line 4: rules.wildcard-host.action: ` +
		`Unsupported value: "block": supported values: "deny", "warn", "off"` + "\n"
	if code != 2 || stderr != want {
		t.Errorf("exit %d, stderr %q; want 2 and %q", code, stderr, want)
	}
	code, _, stderr = runCLI(t, "", "audit", "--kubeconfig", "testdata/nope")
	if want := "gateguard audit: stat testdata/nope: no such file or directory\n"; code != 1 || stderr != want {
		t.Errorf("exit %d, stderr %q; want 1 and %q", code, stderr, want)
	}
}
