package main

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	gateguard "github.com/gateguard/gateguard/webhook"
)

// kind is one kind of request of the mix.
type kind uint8

const (
	kindNew            kind = iota // a VirtualService with a host no one has: allowed
	kindDuplicate                  // another team claiming a seeded host on its gateway: denied
	kindGateway                    // a Gateway whose TLS server uses an existing credential: allowed
	kindDryRun                     // dryRun: true, alternately a new host (allowed) and a duplicate (denied)
	kindMutate                     // /mutate of a Gateway without selector: allowed, with a patch
	kindNewRoute                   // an HTTPRoute with a hostname no one has: allowed
	kindDuplicateRoute             // another team's HTTPRoute for a seeded route's hostname on its Gateway: denied
	numKinds
)

var kindNames = [numKinds]string{"new-vs", "duplicate-vs", "tls-gateway", "dry-run", "mutate-gateway", "new-route",
	"duplicate-route"}

func (k kind) String() string { return kindNames[k] }

// mix is the weight of each kind; a flag.Value.
type mix [numKinds]int

func defaultMix() mix {
	return mix{kindNew: 40, kindDuplicate: 20, kindGateway: 10, kindDryRun: 15, kindMutate: 15, kindNewRoute: 20, kindDuplicateRoute: 10}
}

var mixKeys = map[string]kind{"new": kindNew, "duplicate": kindDuplicate, "gateway": kindGateway, "dryrun": kindDryRun,
	"mutate": kindMutate, "route": kindNewRoute, "duproute": kindDuplicateRoute}

func (m *mix) String() string {
	var parts []string
	for name, k := range mixKeys {
		parts = append(parts, fmt.Sprintf("%s=%d", name, m[k]))
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// Set parses kind=weight,...; kinds left out weigh 0.
func (m *mix) Set(s string) error {
	*m = mix{}
	total := 0
	for _, part := range strings.Split(s, ",") {
		name, w, ok := strings.Cut(strings.TrimSpace(part), "=")
		k, known := mixKeys[name]
		n, err := strconv.Atoi(w)
		if !ok || !known || err != nil || n < 0 {
			return fmt.Errorf("%q: want kind=weight with kind one of new, duplicate, gateway, dryrun, mutate, route, duproute", part)
		}
		m[k] = n
		total += n
	}
	if total == 0 {
		return fmt.Errorf("the weights sum to 0")
	}
	return nil
}

// request is one pre-built AdmissionReview and the answer gateguard must give.
type request struct {
	kind    kind
	path    string
	uid     string
	body    []byte
	allowed bool
	field   string // the field a denial must name, as kubectl prints it
	patch   bool   // the answer carries a JSON patch
}

// buildPool pre-builds o.Pool requests, interleaving the kinds by weight
// (a smooth weighted round robin), so every stretch of the pool has the mix.
func buildPool(o options) []request {
	pool := make([]request, 0, o.Pool)
	var credit [numKinds]int
	total := 0
	for _, w := range o.Mix {
		total += w
	}
	for i := range o.Pool {
		best := kind(0)
		for k := range numKinds {
			credit[k] += o.Mix[k]
			if credit[k] > credit[best] {
				best = k
			}
		}
		credit[best] -= total
		pool = append(pool, newRequest(o, best, i))
	}
	return pool
}

// newRequest builds request i of kind k.
func newRequest(o options, k kind, i int) request {
	g := i % o.Gateways
	ns := teamNamespace(i, o.Namespaces)
	r := request{kind: k, path: gateguard.ValidatePath, uid: fmt.Sprintf("4f1c2d3e-0000-4000-8000-%012d", i), allowed: true}
	// kube-apiserver gives a new object its UID after mutation, before
	// validation: /validate sees it, /mutate does not.
	uid := fmt.Sprintf("0b5e9a7c-0000-4000-9000-%012d", i)
	switch {
	case k == kindNew || (k == kindDryRun && i%2 == 0):
		name := fmt.Sprintf("load-%d", i)
		r.body = review(r.uid, istioGroup, "VirtualService", ns, name, virtualServiceJSON(ns, name, uid, fmt.Sprintf("load-%d.%s", i, gatewayDomain(g)), g), k == kindDryRun)
	case k == kindDuplicate || k == kindDryRun:
		j := (i * 7919) % o.VirtualServices // a seeded VirtualService, owned by team-<j%N>
		ns = teamNamespace(j+1, o.Namespaces)
		name := fmt.Sprintf("dup-%d", i)
		r.body = review(r.uid, istioGroup, "VirtualService", ns, name, virtualServiceJSON(ns, name, uid, seededHost(j, o.Gateways), j%o.Gateways), k == kindDryRun)
		r.allowed, r.field = false, "spec.hosts[0]"
	case k == kindGateway:
		name := fmt.Sprintf("edge-%d", i)
		r.body = review(r.uid, istioGroup, "Gateway", ns, name, gatewayJSON(ns, name, uid, fmt.Sprintf("edge-%d.example.com", i), credentialName(g), true), false)
	case k == kindMutate:
		name := fmt.Sprintf("bare-%d", i)
		r.body = review(r.uid, istioGroup, "Gateway", ns, name, gatewayJSON(ns, name, "", fmt.Sprintf("bare-%d.example.com", i), "", false), false)
		r.path, r.patch = gateguard.MutatePath, true
	case k == kindNewRoute || k == kindDuplicateRoute:
		r = routeRequest(o, r, i, uid)
	}
	return r
}

// API groups of the requests' objects; both serve their kinds as v1.
const (
	istioGroup      = "networking.istio.io"
	gatewayAPIGroup = "gateway.networking.k8s.io"
)

// review wraps an object of group/v1 in an AdmissionReview v1 CREATE
// request as kube-apiserver sends it.
func review(uid, group, kind, namespace, name string, object []byte, dryRun bool) []byte {
	resource := strings.ToLower(kind) + "s"
	gvk := map[string]string{"group": group, "version": "v1", "kind": kind}
	gvr := map[string]string{"group": group, "version": "v1", "resource": resource}
	body, err := json.Marshal(map[string]any{
		"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
		"request": map[string]any{
			"uid": uid, "kind": gvk, "resource": gvr, "requestKind": gvk, "requestResource": gvr,
			"name": name, "namespace": namespace, "operation": "CREATE", "dryRun": dryRun,
			"userInfo": map[string]any{"username": "alice@example.com", "uid": "8d7e3c1a-5b6f-4e2d-9a1b-3c4d5e6f7a8b",
				"groups": []string{"team-devs", "system:authenticated"}},
			"object":    json.RawMessage(object),
			"oldObject": nil,
			"options":   map[string]any{"apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions", "fieldManager": "kubectl-client-side-apply"},
		},
	})
	if err != nil {
		panic(err) // only maps of strings and raw JSON: cannot fail
	}
	return body
}

// virtualServiceJSON is a VirtualService as kubectl apply sends it: with
// the last-applied annotation and a managedFields entry.
func virtualServiceJSON(ns, name, uid, host string, gateway int) []byte {
	spec := fmt.Sprintf(`{"hosts":[%q],"gateways":["%s/%s"],"http":[{"match":[{"uri":{"prefix":"/"}}],`+
		`"route":[{"destination":{"host":%q,"port":{"number":8080}}}],"timeout":"10s"}]}`,
		host, gatewayNamespace, gatewayName(gateway), name+"."+ns+".svc.cluster.local")
	return objectJSON(istioGroup, "VirtualService", ns, name, uid, spec)
}

// gatewayJSON is a Gateway with one server: HTTPS with credential when
// tls, else plain HTTP; with or without the ingressgateway selector.
func gatewayJSON(ns, name, uid, host, credential string, tls bool) []byte {
	server := fmt.Sprintf(`{"port":{"number":80,"name":"http","protocol":"HTTP"},"hosts":[%q]}`, host)
	selector := ""
	if tls {
		server = fmt.Sprintf(`{"port":{"number":443,"name":"https","protocol":"HTTPS"},"hosts":[%q],`+
			`"tls":{"mode":"SIMPLE","credentialName":%q}}`, host, credential)
		selector = `"selector":{"istio":"ingressgateway"},`
	}
	return objectJSON(istioGroup, "Gateway", ns, name, uid, `{`+selector+`"servers":[`+server+`]}`)
}

// objectJSON renders a group/v1 object around spec, with the metadata
// kubectl apply leaves; uid, when set, is its metadata.uid.
func objectJSON(group, kind, ns, name, uid, spec string) []byte {
	apiVersion := group + "/v1"
	lastApplied := fmt.Sprintf(`{"apiVersion":%q,"kind":%q,"metadata":{"annotations":{},"name":%q,"namespace":%q},"spec":%s}`,
		apiVersion, kind, name, ns, spec)
	meta := map[string]any{
		"name": name, "namespace": ns, "generation": 1, "creationTimestamp": "2026-07-01T10:00:00Z",
		"labels":      map[string]string{"app.kubernetes.io/part-of": "shop"},
		"annotations": map[string]string{"kubectl.kubernetes.io/last-applied-configuration": lastApplied + "\n"},
		"managedFields": []any{map[string]any{
			"manager": "kubectl-client-side-apply", "operation": "Update", "apiVersion": apiVersion,
			"time": "2026-07-01T10:00:00Z", "fieldsType": "FieldsV1", "fieldsV1": json.RawMessage(
				`{"f:metadata":{"f:annotations":{".":{},"f:kubectl.kubernetes.io/last-applied-configuration":{}},` +
					`"f:labels":{".":{},"f:app.kubernetes.io/part-of":{}}},"f:spec":{}}`),
		}},
	}
	if uid != "" {
		meta["uid"] = uid
	}
	obj, err := json.Marshal(map[string]any{"apiVersion": apiVersion, "kind": kind, "metadata": meta,
		"spec": json.RawMessage(spec)})
	if err != nil {
		panic(err) // maps of strings and valid raw JSON: cannot fail
	}
	return obj
}
