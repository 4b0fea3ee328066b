package rules

import (
	"cmp"
	"maps"
	"slices"
	"strings"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
)

// workload is one set of gateway pods a classic Gateway's servers land
// on: a label set its replicas share, or, while no such pod is seen, what
// stands in for them (docs/istio-behaviour.md#route-tables).
type workload struct {
	// key is the route-table owner: "pods:" and the pods' labels,
	// "policy:" and a gatewayNamespaces entry's selector, or "assumed:" and
	// the Gateway's own selector when nothing at all is known.
	key string
	// labels are those the pods carry, or are taken to carry: the index
	// values a Gateway on them is found under.
	labels map[string]string
}

// gatewayWorkloads lists, sorted and once each, the sets of gateway pods
// a Gateway with this selector applies to: the pods it picks, every gateway
// pod for a nil or empty selector, as in Istio; never the selector text,
// so that Gateways with different selectors on the same pods share their
// route tables and their listeners.
func gatewayWorkloads(policy *Policy, snap Snapshot, selector map[string]string) []workload {
	var out []workload
	for _, sel := range podSelectors(policy, selector) {
		for _, set := range snap.GatewayPodLabelSets(sel) {
			out = append(out, workload{key: "pods:" + set, labels: parseLabelSet(set)})
		}
	}
	if len(out) == 0 {
		for _, g := range policy.GatewayNamespaces {
			if labelsInclude(g.Selector, selector) {
				out = append(out, workload{key: "policy:" + workloadKey(g.Selector), labels: g.Selector})
			}
		}
	}
	if len(out) == 0 {
		out = append(out, workload{key: "assumed:" + workloadKey(selector), labels: selector})
	}
	slices.SortFunc(out, func(a, b workload) int { return cmp.Compare(a.key, b.key) })
	return slices.CompactFunc(out, func(a, b workload) bool { return a.key == b.key })
}

// podSelectors are the selectors whose pods a Gateway applies to: its own,
// or, for a nil or empty one, every selector the policy knows gateway pods
// by (gatewayNamespaces, defaults.gatewaySelector and its per-namespace
// overrides), which is how gateguard tells gateway pods from the others.
func podSelectors(policy *Policy, selector map[string]string) []map[string]string {
	if len(selector) > 0 {
		return []map[string]string{selector}
	}
	var out []map[string]string
	for _, g := range policy.GatewayNamespaces {
		out = append(out, g.Selector)
	}
	if len(policy.Defaults.GatewaySelector) > 0 {
		out = append(out, policy.Defaults.GatewaySelector)
	}
	for _, ns := range slices.Sorted(maps.Keys(policy.Defaults.GatewaySelectorByNamespace)) {
		out = append(out, policy.Defaults.GatewaySelectorByNamespace[ns])
	}
	return slices.DeleteFunc(out, func(s map[string]string) bool { return len(s) == 0 })
}

// parseLabelSet reads back a label set as workloadKey renders it: neither
// label keys nor values may hold "," or "=".
func parseLabelSet(set string) map[string]string {
	out := map[string]string{}
	for _, pair := range strings.Split(set, ",") {
		if k, v, ok := strings.Cut(pair, "="); ok {
			out[k] = v
		}
	}
	return out
}

// anySelector is the index value of a Gateway without a selector, which
// is on every gateway pod.
const anySelector = "*"

// selectorIndexValues are the values a selector is indexed under: each of
// its pairs, or anySelector, so that the Gateways on some pods are found
// through the pods' labels, whatever pairs their selectors name.
func selectorIndexValues(selector map[string]string) []string {
	if len(selector) == 0 {
		return []string{anySelector}
	}
	return labelPairs(selector)
}

// gatewaysOnWorkloads lists, sorted by namespace/name, the Gateways that
// apply to some of the pods ws and are on the listener (any Label).
func gatewaysOnWorkloads(r *request, ws []workload, listener PortKey) []*networkingv1.Gateway {
	mine := map[string]bool{}
	sets := make([]map[string]string, 0, len(ws))
	for _, w := range ws {
		mine[w.key] = true
		sets = append(sets, w.labels)
	}
	return slices.DeleteFunc(gatewaysByLabels(r.snapshot, listener, sets), func(o *networkingv1.Gateway) bool {
		return !slices.ContainsFunc(r.workloadsOf(o.Spec.Selector), func(w workload) bool { return mine[w.key] })
	})
}

// gatewaysByLabels lists, sorted by namespace/name, the Gateways on the
// listener whose selector names a pair of one of the label sets, or that
// have no selector: the candidates for being on pods so labelled.
func gatewaysByLabels(snap Snapshot, listener PortKey, sets []map[string]string) []*networkingv1.Gateway {
	found := map[string]*networkingv1.Gateway{}
	lookup := func(label string) {
		listener.Label = label
		for _, o := range snap.GatewaysOnPort(listener) {
			found[o.Namespace+"/"+o.Name] = o
		}
	}
	lookup(anySelector)
	for _, set := range sets {
		for _, pair := range labelPairs(set) {
			lookup(pair)
		}
	}
	out := slices.Collect(maps.Values(found))
	sortByName(out)
	return out
}

// workloadsOf is gatewayWorkloads, remembered for the request by selector:
// the Gateways on one port mostly share a handful of selectors.
func (r *request) workloadsOf(selector map[string]string) []workload {
	key := workloadKey(selector)
	if ws, ok := r.workloads[key]; ok {
		return ws
	}
	if r.workloads == nil {
		r.workloads = map[string][]workload{}
	}
	r.workloads[key] = gatewayWorkloads(r.policy, r.snapshot, selector)
	return r.workloads[key]
}

// classicGatewaysOn lists, sorted by namespace/name, the classic Gateways
// on a listener of the pods a selector picks (a manual Gateway API
// Gateway's Service's): those whose selector the pods' labels include
// (every one without a selector). While no such pod is seen, the pods are
// taken to carry the selector's labels alone.
func classicGatewaysOn(snap Snapshot, selector map[string]string, listener PortKey) []*networkingv1.Gateway {
	var sets []map[string]string
	for _, set := range snap.GatewayPodLabelSets(selector) {
		sets = append(sets, parseLabelSet(set))
	}
	if len(sets) == 0 {
		sets = []map[string]string{selector}
	}
	return slices.DeleteFunc(gatewaysByLabels(snap, listener, sets), func(gw *networkingv1.Gateway) bool {
		return !slices.ContainsFunc(sets, func(set map[string]string) bool { return labelsInclude(set, gw.Spec.Selector) })
	})
}
