package cluster

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
)

// Proxy forwards raw TCP on a loopback port; TLS passes through untouched.
// With one target it stands between gateguard and the apiserver, so a
// test can cut gateguard off (as an apiserver restart does: every
// connection dropped, new ones refused) and restore it, while the
// apiserver keeps calling the webhook. With several it balances per
// connection, round robin, as a Service's ClusterIP does in front of the
// webhook's replicas.
type Proxy struct {
	targets []string
	next    atomic.Uint64
	served  []atomic.Int64 // connections forwarded, per target
	armed   []atomic.Pointer[func()]
	addr    string
	mu      sync.Mutex
	ln      net.Listener
	conns   map[net.Conn]bool
}

// newProxy listens on a loopback port forwarding each connection to the
// next of targets in turn.
func newProxy(targets ...string) (*Proxy, error) {
	p := &Proxy{targets: targets, served: make([]atomic.Int64, len(targets)), armed: make([]atomic.Pointer[func()], len(targets)),
		conns: map[net.Conn]bool{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	return p, nil
}

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return p.addr }

// Served is how many connections the proxy forwarded to target i.
func (p *Proxy) Served(i int) int64 { return p.served[i].Load() }

// OnNextSend calls fn once, when the proxy next forwards bytes from a
// client to target i: a request is then on its way into it, so a test can
// kill the target with a request in flight.
func (p *Proxy) OnNextSend(i int, fn func()) { p.armed[i].Store(&fn) }

// Cut closes the listener and every connection through it.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
}

// Restore listens again on the same address.
func (p *Proxy) Restore() error {
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		return err
	}
	p.serve(ln)
	return nil
}

func (p *Proxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.forward(c)
		}
	}()
}

// forward copies both ways until either side closes.
func (p *Proxy) forward(client net.Conn) {
	server, target, err := p.dial()
	if err != nil {
		client.Close()
		return
	}
	p.track(client, server)
	defer p.untrack(client, server)
	done := make(chan struct{}, 2)
	go func() { io.Copy(sendWatcher{server, &p.armed[target]}, client); done <- struct{}{} }()
	go func() { io.Copy(client, server); done <- struct{}{} }()
	<-done
}

// dial connects to the next target in turn, returning which; a target
// that refuses is passed over for the one after it, as a Service drops an
// endpoint whose pod is gone. Connections already open to it fail with it.
func (p *Proxy) dial() (net.Conn, int, error) {
	first := p.next.Add(1) - 1
	var err error
	for i := range uint64(len(p.targets)) {
		t := int((first + i) % uint64(len(p.targets)))
		var c net.Conn
		if c, err = net.Dial("tcp", p.targets[t]); err == nil {
			p.served[t].Add(1)
			return c, t, nil
		}
	}
	return nil, 0, err
}

// sendWatcher writes to a target's connection, first calling the
// function armed for the target, if any, once.
type sendWatcher struct {
	net.Conn
	armed *atomic.Pointer[func()]
}

func (w sendWatcher) Write(b []byte) (int, error) {
	if fn := w.armed.Swap(nil); fn != nil {
		(*fn)()
	}
	return w.Conn.Write(b)
}

func (p *Proxy) track(conns ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range conns {
		p.conns[c] = true
	}
}

func (p *Proxy) untrack(conns ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range conns {
		c.Close()
		delete(p.conns, c)
	}
}
