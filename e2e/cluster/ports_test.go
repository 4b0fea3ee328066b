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

// TestHandedOutNeverRepeats: a Cluster never gives two processes one
// address, though each is free when drawn.
func TestHandedOutNeverRepeats(t *testing.T) {
	var h handedOut
	seen := map[string]bool{}
	for range 300 {
		addr, err := h.freeAddr()
		if err != nil {
			t.Fatal(err)
		}
		if seen[addr] {
			t.Fatalf("%s handed out twice", addr)
		}
		seen[addr] = true
	}
}
