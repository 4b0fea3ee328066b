package cluster

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/util/sets"
)

// lowestPort is the bottom of the range FreeAddr draws from: above the
// well-known and registered ports most daemons listen on.
const lowestPort = 10000

// FreeAddr returns a loopback address whose port is free now, for a
// process about to be started listening there. The port lies below the
// kernel's ephemeral range: a port from that range, which 127.0.0.1:0
// gives, can be taken between this check and the process's bind as the
// source port of any outgoing connection on the machine, and the suite
// opens thousands; a port below it is only ever taken by a listener.
func FreeAddr() (string, error) {
	top := ephemeralLow()
	for range 100 {
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(lowestPort+rand.IntN(top-lowestPort)))
		if l, err := net.Listen("tcp", addr); err == nil {
			return addr, l.Close()
		}
	}
	return "", fmt.Errorf("no free loopback port in [%d, %d) after 100 tries", lowestPort, top)
}

// ephemeralLow is the first port of the kernel's ephemeral range, or
// Linux's default when it cannot be read.
func ephemeralLow() int {
	const linuxDefault = 32768
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return linuxDefault
	}
	// " x" gives an empty or blank file a first field, which Atoi refuses.
	low, err := strconv.Atoi(strings.Fields(string(b) + " x")[0])
	if err != nil || low <= lowestPort+100 {
		return linuxDefault
	}
	return low
}

// handedOut remembers the addresses a Cluster has given its processes:
// FreeAddr sees only whether a port is bound now, and the replicas' ports
// are all drawn before the first of them starts.
type handedOut struct {
	mu    sync.Mutex
	addrs sets.Set[string]
	draw  func() (string, error) // FreeAddr when nil
}

// freeAddr is a FreeAddr not handed out before.
func (h *handedOut) freeAddr() (string, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	draw := h.draw
	if draw == nil {
		draw = FreeAddr
	}
	if h.addrs == nil {
		h.addrs = sets.New[string]()
	}
	for range 100 {
		addr, err := draw()
		if err != nil {
			return "", err
		}
		if !h.addrs.Has(addr) {
			h.addrs.Insert(addr)
			return addr, nil
		}
	}
	return "", fmt.Errorf("every free loopback port drawn in 100 tries was handed out already")
}
