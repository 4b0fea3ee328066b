package replicas

import (
	"io"
	"net"
	"sync/atomic"
)

// balancer hands each new connection to the next backend in turn, as a
// Service's kube-proxy rules spread connections over its endpoints. TLS
// passes through untouched.
type balancer struct {
	addr     string
	backends []string
	next     atomic.Uint64
}

// newBalancer listens on a loopback port before backends.
func newBalancer(backends []string) (*balancer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	b := &balancer{addr: ln.Addr().String(), backends: backends}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go b.forward(c)
		}
	}()
	return b, nil
}

// forward copies both ways between c and the next backend.
func (b *balancer) forward(c net.Conn) {
	defer c.Close()
	target := b.backends[(b.next.Add(1)-1)%uint64(len(b.backends))]
	s, err := net.Dial("tcp", target)
	if err != nil {
		return
	}
	defer s.Close()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(s, c); done <- struct{}{} }()
	go func() { _, _ = io.Copy(c, s); done <- struct{}{} }()
	<-done
}
