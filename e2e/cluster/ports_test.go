package cluster

import (
	"net"
	"strconv"
	"testing"
)

// TestFreeAddrIsBelowTheEphemeralRange: the port is one no outgoing
// connection can take, and it is free to listen on.
func TestFreeAddrIsBelowTheEphemeralRange(t *testing.T) {
	addr, err := FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		t.Fatal(err)
	}
	if host != "127.0.0.1" || port < lowestPort || port >= ephemeralLow() {
		t.Fatalf("FreeAddr() = %s, want 127.0.0.1 with a port in [%d, %d)", addr, lowestPort, ephemeralLow())
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listening on FreeAddr()'s %s: %v", addr, err)
	}
	l.Close()
}
