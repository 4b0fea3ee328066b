package rules

// routeBindings binds the route's parentRefs once per request: four rules
// read where it attaches.
func (r *request) routeBindings(rt route) []parentBinding {
	if r.bindings == nil {
		b := bindRoute(r.snapshot, rt)
		r.bindings = &b
	}
	return *r.bindings
}
