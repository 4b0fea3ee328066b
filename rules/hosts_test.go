package rules

import (
	"reflect"
	"testing"
)

func TestResolveGatewayRef(t *testing.T) {
	tests := []struct {
		ref  string
		want GatewayRef
	}{
		{"public-gw", GatewayRef{Namespace: "shop", Name: "public-gw"}},
		{"istio-system/public-gw", GatewayRef{Namespace: "istio-system", Name: "public-gw"}},
		{"public-gw.istio-system.svc.cluster.local", GatewayRef{Namespace: "istio-system", Name: "public-gw"}},
		{"public-gw.istio-system", GatewayRef{Namespace: "istio-system", Name: "public-gw"}},
		// case is kept: Istio binds Public-GW to nothing
		{"istio-system/Public-GW", GatewayRef{Namespace: "istio-system", Name: "Public-GW"}},
		{"Public-GW", GatewayRef{Namespace: "shop", Name: "Public-GW"}},
	}
	for _, tc := range tests {
		if got := resolveGatewayRef(tc.ref, "shop"); got != tc.want {
			t.Errorf("resolveGatewayRef(%q) = %v, want %v", tc.ref, got, tc.want)
		}
	}
	if got := (GatewayRef{Namespace: "istio-system", Name: "gw"}).String(); got != "istio-system/gw" {
		t.Errorf("String() = %q", got)
	}
}

func TestGatewayRefs(t *testing.T) {
	tests := []struct {
		name     string
		gateways []string
		refs     []GatewayRef
		mesh     bool
	}{
		{"empty list is the mesh only", nil, nil, true},
		{"mesh", []string{"mesh"}, nil, true},
		{"named only", []string{"gw"}, []GatewayRef{{Namespace: "shop", Name: "gw"}}, false},
		{"named and mesh", []string{"istio-system/gw", "mesh"}, []GatewayRef{{Namespace: "istio-system", Name: "gw"}}, true},
	}
	for _, tc := range tests {
		refs, mesh := gatewayRefs(tc.gateways, "shop")
		if !reflect.DeepEqual(refs, tc.refs) || mesh != tc.mesh {
			t.Errorf("%s: gatewayRefs(%q) = %v, %v; want %v, %v", tc.name, tc.gateways, refs, mesh, tc.refs, tc.mesh)
		}
	}
}

func TestFQDN(t *testing.T) {
	tests := []struct{ host, want string }{
		{"reviews", "reviews.bookinfo.svc.cluster.local"},
		{"reviews.bookinfo", "reviews.bookinfo"},
		{"reviews.bookinfo.svc.cluster.local", "reviews.bookinfo.svc.cluster.local"},
		{"*", "*"},
		{"*.example.com", "*.example.com"},
		{"Reviews", "Reviews.bookinfo.svc.cluster.local"},
	}
	for _, tc := range tests {
		if got := fqdn(tc.host, "bookinfo"); got != tc.want {
			t.Errorf("fqdn(%q) = %q, want %q", tc.host, got, tc.want)
		}
	}
}

func TestHostCovers(t *testing.T) {
	tests := []struct {
		pattern, host string
		want          bool
	}{
		{"*", "a.x.com", true},
		{"*", "*.x.com", true},
		{"*", "*", true},
		{"a.x.com", "a.x.com", true},
		{"*.x.com", "a.x.com", true},
		{"*.x.com", "a.b.x.com", true},
		{"*.x.com", "*.a.x.com", true},
		{"*.x.com", "*.x.com", true},
		{"*.x.com", "x.com", false},
		{"*.x.com", "ax.com", false},
		{"*.x.com", ".x.com", false},
		{"*.x.com", "*", false},
		{"a.x.com", "*.x.com", false},
		{"a.x.com", "b.x.com", false},
		// case-sensitive, as Istio's binding
		{"*.example.com", "Shop.Example.COM", false},
		{"shop.example.com", "Shop.Example.COM", false},
		// a trailing dot is part of the name
		{"*.example.com", "shop.example.com.", false},
		{"shop.example.com.", "shop.example.com", false},
	}
	for _, tc := range tests {
		if got := hostCovers(tc.pattern, tc.host); got != tc.want {
			t.Errorf("hostCovers(%q, %q) = %v, want %v", tc.pattern, tc.host, got, tc.want)
		}
	}
}

func TestBindHost(t *testing.T) {
	tests := []struct {
		vsHost, serverHost string
		want               string
		ok                 bool
	}{
		{"shop.example.com", "*", "shop.example.com", true},
		{"shop.example.com", "*.example.com", "shop.example.com", true},
		{"shop.example.com", "shop.example.com", "shop.example.com", true},
		// the more specific of the two wins
		{"*", "shop.example.com", "shop.example.com", true},
		{"*.example.com", "shop.example.com", "shop.example.com", true},
		{"*.example.com", "*.eu.example.com", "*.eu.example.com", true},
		{"*.eu.example.com", "*.example.com", "*.eu.example.com", true},
		{"*", "*", "*", true},
		// case: binds only through "*", and keeps its case until the caller
		// lower-cases the virtual host
		{"Shop.Example.COM", "*", "Shop.Example.COM", true},
		{"Shop.Example.COM", "*.example.com", "", false},
		{"shop.example.com.", "*.example.com", "", false},
		{"shop.example.org", "*.example.com", "", false},
		{"example.com", "*.example.com", "", false},
	}
	for _, tc := range tests {
		got, ok := bindHost(tc.vsHost, tc.serverHost)
		if got != tc.want || ok != tc.ok {
			t.Errorf("bindHost(%q, %q) = %q, %v; want %q, %v", tc.vsHost, tc.serverHost, got, ok, tc.want, tc.ok)
		}
	}
}

func TestSplitServerHost(t *testing.T) {
	tests := []struct{ in, ns, host string }{
		{"shop.example.com", "*", "shop.example.com"},
		{"*/shop.example.com", "*", "shop.example.com"},
		{"./shop.example.com", ".", "shop.example.com"},
		{"shop/shop.example.com", "shop", "shop.example.com"},
		{"*/*", "*", "*"},
		{"*", "*", "*"},
	}
	for _, tc := range tests {
		if ns, host := splitServerHost(tc.in); ns != tc.ns || host != tc.host {
			t.Errorf("splitServerHost(%q) = %q, %q; want %q, %q", tc.in, ns, host, tc.ns, tc.host)
		}
	}
}

func TestServerAdmitsNamespace(t *testing.T) {
	tests := []struct {
		nsPart, gwNS, vsNS string
		want               bool
	}{
		{"*", "istio-system", "shop", true},
		{".", "shop", "shop", true},
		{".", "istio-system", "shop", false},
		{"shop", "istio-system", "shop", true},
		{"shop", "istio-system", "blog", false},
	}
	for _, tc := range tests {
		if got := serverAdmitsNamespace(tc.nsPart, tc.gwNS, tc.vsNS); got != tc.want {
			t.Errorf("serverAdmitsNamespace(%q, %q, %q) = %v, want %v", tc.nsPart, tc.gwNS, tc.vsNS, got, tc.want)
		}
	}
}

func TestParentDomains(t *testing.T) {
	tests := []struct {
		host string
		want []string
	}{
		{"a.b.x.com", []string{"b.x.com", "x.com", "com"}},
		{"*.x.com", []string{"x.com", "com"}},
		{"localhost", nil},
		{"*", nil},
		{"x.com.", []string{"com."}},
	}
	for _, tc := range tests {
		if got := parentDomains(tc.host); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("parentDomains(%q) = %q, want %q", tc.host, got, tc.want)
		}
	}
}

func TestIsPublicSuffix(t *testing.T) {
	tests := []struct {
		domain string
		want   bool
	}{
		// ICANN section
		{"com", true},
		{"co.uk", true},
		{"org", true},
		{"kawasaki.jp", false},      // the rule is *.kawasaki.jp: kawasaki.jp itself is not a suffix
		{"foo.kawasaki.jp", true},   // named by the wildcard rule
		{"city.kawasaki.jp", false}, // the exception rule !city.kawasaki.jp
		// private section
		{"github.io", true},
		{"appspot.com", true},
		{"us-east-1.elb.amazonaws.com", true},
		// covered only by the implicit "*" rule: not named by the list
		{"local", false},
		{"internal", false},
		{"cluster.local", false},
		{"svc.cluster.local", false},
		{"localhost", false},
		// registrable domains, not suffixes
		{"example.com", false},
		{"example.co.uk", false},
		{"user.github.io", false},
		{"amazonaws.com", false},
		// spelling variants
		{"COM", true},
		{"Co.UK", true},
		{"com.", true},
	}
	for _, tc := range tests {
		if got := isPublicSuffix(tc.domain); got != tc.want {
			t.Errorf("isPublicSuffix(%q) = %v, want %v", tc.domain, got, tc.want)
		}
	}
}

func TestExportSet(t *testing.T) {
	tests := []struct {
		name     string
		exportTo []string
		want     exportSet
	}{
		{"empty is everywhere", nil, exportSet{all: true}},
		{"*", []string{"*"}, exportSet{all: true}},
		{"* wins over the rest", []string{".", "*"}, exportSet{all: true}},
		{". is the own namespace", []string{"."}, exportSet{namespaces: map[string]bool{"shop": true}}},
		{"named", []string{".", "istio-system"}, exportSet{namespaces: map[string]bool{"shop": true, "istio-system": true}}},
		{"~ is nowhere", []string{"~"}, exportSet{namespaces: map[string]bool{}}},
	}
	for _, tc := range tests {
		if got := exportSetOf(tc.exportTo, "shop"); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: exportSetOf(%q) = %+v, want %+v", tc.name, tc.exportTo, got, tc.want)
		}
	}

	all := exportSetOf(nil, "shop")
	own := exportSetOf([]string{"."}, "shop")
	gateways := exportSetOf([]string{"istio-system"}, "shop")
	nowhere := exportSetOf([]string{"~"}, "shop")
	visible := []struct {
		name string
		set  exportSet
		in   []string
		want bool
	}{
		{"everywhere", all, []string{"istio-system"}, true},
		{"own namespace, pods elsewhere", own, []string{"istio-system"}, false},
		{"own namespace, pods there", own, []string{"gateways", "shop"}, true},
		{"exported to the pods", gateways, []string{"istio-system"}, true},
		{"nowhere", nowhere, []string{"istio-system"}, false},
		{"no pod namespace known errs towards visible", own, nil, true},
	}
	for _, tc := range visible {
		if got := tc.set.visibleInAny(tc.in); got != tc.want {
			t.Errorf("visibleInAny %s = %v, want %v", tc.name, got, tc.want)
		}
	}

	overlaps := []struct {
		name string
		a, b exportSet
		want bool
	}{
		{"everywhere and everywhere", all, all, true},
		{"everywhere and own", all, own, true},
		{"own and everywhere", own, all, true},
		{"own and another namespace's own", own, exportSetOf([]string{"."}, "blog"), false},
		{"own and exported to it", own, exportSetOf([]string{"shop"}, "blog"), true},
		{"nowhere and everywhere", nowhere, all, false},
		{"everywhere and nowhere", all, nowhere, false},
	}
	for _, tc := range overlaps {
		if got := tc.a.overlaps(tc.b); got != tc.want {
			t.Errorf("overlaps %s = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestIndexValues: what each index files an object under.
func TestIndexValues(t *testing.T) {
	vs := httpVS("shop", "shop", []string{"Shop.Example.com", "cart", "*.api.example.com"}, "istio-system/gw", "mesh")
	if got, want := hostIndexValues(vs), []string{"*.api.example.com", "cart", "cart.shop.svc.cluster.local",
		"shop.example.com"}; !reflect.DeepEqual(got, want) {
		t.Errorf("hostIndexValues = %q, want %q", got, want)
	}
	if got, want := domainIndexValues(vs), []string{"api.example.com", "cluster.local", "com", "example.com", "local",
		"shop.svc.cluster.local", "svc.cluster.local"}; !reflect.DeepEqual(got, want) {
		t.Errorf("domainIndexValues = %q, want %q", got, want)
	}
	if got, want := gatewayIndexValues(vs), []string{"istio-system/gw"}; !reflect.DeepEqual(got, want) {
		t.Errorf("gatewayIndexValues = %q, want %q", got, want)
	}
	gw := gateway("istio-system", "gw", map[string]string{"istio": "ingressgateway", "app": "gw"},
		httpServer(80, "*"), httpsServer(443, "https", simpleTLS("c"), "*"), httpServer(80, "x"))
	if got, want := workloadPortIndexValues(gw), []string{"app=gw:443", "app=gw:443|*", "app=gw:80",
		"istio=ingressgateway:443", "istio=ingressgateway:443|*", "istio=ingressgateway:80"}; !reflect.DeepEqual(got, want) {
		t.Errorf("workloadPortIndexValues = %q, want %q", got, want)
	}
	gw.Spec.Selector = nil
	gw.Spec.Servers = append(gw.Spec.Servers, tcpServer(31400, "*"))
	if got, want := workloadPortIndexValues(gw), []string{"*:31400", "*:31400!non-http", "*:443", "*:443|*", "*:80"}; !reflect.DeepEqual(got, want) {
		t.Errorf("workloadPortIndexValues without a selector = %q, want %q", got, want)
	}
}
