package claims

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// hashLen is how many hex digits of the key's hash end a name: 40 bits,
// so two keys whose hosts read alike collide about once in 10^12 pairs.
const hashLen = 10

// maxName is a DNS subdomain's length, the limit of a cluster-scoped name.
const maxName = 253

// Name is the HostClaim name of host in routeTable: the host made a valid
// DNS subdomain ("*" spelled "wildcard", other characters "-"), the
// table's port when its key has one, then a hash of the exact key, so
// that hosts which read alike once sanitised ("*.x.com" and
// "wildcard.x.com", "a.com." and "a.com") and one host in two route
// tables get names of their own (docs/claims.md#hostclaim-names).
func Name(routeTable, host string) string {
	sum := sha256.Sum256([]byte(routeTable + "\x00" + host))
	suffix := "-" + hex.EncodeToString(sum[:])[:hashLen]
	if port := portOf(routeTable); port != "" {
		suffix = "-" + port + suffix
	}
	readable := readableHost(host, maxName-len(suffix))
	if readable == "" {
		readable = "port" // a claim of a whole port has no host
	}
	return readable + suffix
}

// portOf is the port in a route-table key ("http|<pods>|80|<bind>", see
// docs/claims.md#route-table-keys), or "" for a key without one. It only
// makes names readable: the hash tells keys apart.
func portOf(routeTable string) string {
	fields := strings.Split(routeTable, "|")
	if len(fields) < 3 || len(fields[2]) == 0 || len(fields[2]) > 5 {
		return ""
	}
	for _, r := range fields[2] {
		if r < '0' || r > '9' {
			return ""
		}
	}
	return fields[2]
}

// readableHost spells host as a DNS subdomain of at most max characters:
// lower case, "*" as "wildcard", anything else not a letter, digit, "-"
// or "." as "-", empty labels dropped and each label trimmed of "-".
func readableHost(host string, max int) string {
	host = strings.ReplaceAll(strings.ToLower(host), "*", "wildcard")
	var labels []string
	for _, l := range strings.Split(host, ".") {
		l = strings.Trim(strings.Map(dnsRune, l), "-")
		if l != "" {
			labels = append(labels, l)
		}
	}
	out := strings.Join(labels, ".")
	if len(out) > max {
		out = strings.TrimRight(out[:max], ".-")
	}
	return out
}

// dnsRune keeps what a DNS label may hold and turns the rest into "-".
func dnsRune(r rune) rune {
	if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' {
		return r
	}
	return '-'
}
