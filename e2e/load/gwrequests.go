package main

import (
	"encoding/json"
	"flag"
	"fmt"
)

// routeRequest fills r, request i of the pool, with an HTTPRoute
// admission: a new hostname on kgw-<i%G> (allowed), or another team's
// route for a seeded route's hostname on that route's Gateway, which
// duplicate-host denies on both listeners. uid is the new object's.
func routeRequest(o options, r request, i int, uid string) request {
	g := i % o.Gateways
	ns, name, host := teamNamespace(i, o.Namespaces), fmt.Sprintf("load-route-%d", i), fmt.Sprintf("load-route-%d.%s", i, routeDomain(g))
	if r.kind == kindDuplicateRoute {
		j := (i * 7919) % o.HTTPRoutes // a seeded route, owned by team-<j%N>
		ns, name, host, g = teamNamespace(j+1, o.Namespaces), fmt.Sprintf("dup-route-%d", i), seededRouteHost(j, o.Gateways), j%o.Gateways
		r.allowed, r.field = false, "spec.hostnames[0]"
	}
	spec, err := json.Marshal(httpRouteSpec(name, host, g))
	if err != nil {
		panic(err) // a typed spec of strings and numbers: cannot fail
	}
	r.body = review(r.uid, gatewayAPIGroup, "HTTPRoute", ns, name, objectJSON(gatewayAPIGroup, "HTTPRoute", ns, name, uid, string(spec)), false)
	return r
}

// hasRoutes reports whether the mix sends HTTPRoutes.
func (m mix) hasRoutes() bool { return m[kindNewRoute] > 0 || m[kindDuplicateRoute] > 0 }

// withoutRoutes is the mix with the HTTPRoute kinds weighing 0.
func (m mix) withoutRoutes() mix {
	m[kindNewRoute], m[kindDuplicateRoute] = 0, 0
	return m
}

// flagSet reports whether the flag was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
