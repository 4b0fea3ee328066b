package rules

import (
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
)

// placement says where a Gateway's pods run and how we know.
type placement struct {
	namespaces []string
	source     placementSource
}

type placementSource int

const (
	placementPods    placementSource = iota // pods seen in the cluster
	placementPolicy                         // the policy's gatewayNamespaces
	placementAssumed                        // nothing known: the Gateway's own namespace
)

// describe explains, for a message, how a known placement is known; an
// assumed one gets its own wording from the caller.
func (p placement) describe(gw *networkingv1.Gateway) string {
	sel := selectorString(gw.Spec.Selector)
	if p.source == placementPods {
		return "the gateway pods selected by " + sel + " run there"
	}
	return "the policy's gatewayNamespaces place the pods selected by " + sel + " there"
}

// podNamespaces finds where the pods a Gateway applies to run (every
// gateway pod without a selector): Istio reads credentials and
// VirtualService visibility from there, not from the Gateway's namespace.
func podNamespaces(policy *Policy, snap Snapshot, gw *networkingv1.Gateway) placement {
	sel := gw.Spec.Selector
	var seen []string
	for _, s := range podSelectors(policy, sel) {
		seen = append(seen, snap.GatewayPodNamespaces(s)...)
	}
	if len(seen) > 0 {
		return placement{namespaces: uniqueSorted(seen), source: placementPods}
	}
	var fromPolicy []string
	for _, g := range policy.GatewayNamespaces {
		if labelsInclude(g.Selector, sel) {
			fromPolicy = append(fromPolicy, g.Namespace)
		}
	}
	if len(fromPolicy) > 0 {
		return placement{namespaces: uniqueSorted(fromPolicy), source: placementPolicy}
	}
	return placement{namespaces: []string{gw.Namespace}, source: placementAssumed}
}

// labelsInclude reports whether set holds every pair of subset.
func labelsInclude(set, subset map[string]string) bool {
	for k, v := range subset {
		if got, ok := set[k]; !ok || got != v {
			return false
		}
	}
	return true
}
