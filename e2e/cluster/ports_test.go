package cluster

import (
	"net"
	"slices"
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

// TestHandedOutSkipsWhatItGaveBefore: a drawn address handed out before is
// drawn again until a new one comes, and a draw that only repeats ends in
// an error rather than a second owner.
func TestHandedOutSkipsWhatItGaveBefore(t *testing.T) {
	draws := []string{"127.0.0.1:20001", "127.0.0.1:20001", "127.0.0.1:20001", "127.0.0.1:20002"}
	h := handedOut{draw: func() (string, error) {
		next := draws[0]
		draws = draws[min(1, len(draws)-1):]
		return next, nil
	}}
	var got []string
	for range 2 {
		addr, err := h.freeAddr()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, addr)
	}
	if want := []string{"127.0.0.1:20001", "127.0.0.1:20002"}; !slices.Equal(got, want) {
		t.Errorf("handed out %q, want %q", got, want)
	}
	if addr, err := h.freeAddr(); err == nil {
		t.Errorf("a third address %s from a draw that repeats 127.0.0.1:20002, want an error", addr)
	}
}
