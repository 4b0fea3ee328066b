package cluster

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
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
	low, err := strconv.Atoi(strings.Fields(string(b) + " x")[0])
	if err != nil || low <= lowestPort+100 {
		return linuxDefault
	}
	return low
}
