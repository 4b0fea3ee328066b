package rules

import (
	"fmt"
	"slices"
	"testing"
)

func TestPodPlacementsFollowPodsAndForgetEmptyLabelSets(t *testing.T) {
	p := NewPodPlacements()
	sel := map[string]string{"istio": "ingressgateway"}
	// Ten rollouts, each a new label set that replaces the last.
	for i := range 10 {
		labels := map[string]string{"istio": "ingressgateway", "pod-template-hash": fmt.Sprint(i)}
		p.Set("istio-system", fmt.Sprintf("gw-%d", i), labels)
		if i > 0 {
			p.Delete("istio-system", fmt.Sprintf("gw-%d", i-1))
		}
	}
	p.Set("edge", "gw-edge", map[string]string{"istio": "ingressgateway", "app": "edge"})
	if got := p.Namespaces(sel); !slices.Equal(got, []string{"edge", "istio-system"}) {
		t.Errorf("Namespaces = %v", got)
	}
	if len(p.groups) != 2 || len(p.groupsByLabel["istio=ingressgateway"]) != 2 {
		t.Errorf("%d groups kept (%d under istio=ingressgateway), want 2: empty label sets must go",
			len(p.groups), len(p.groupsByLabel["istio=ingressgateway"]))
	}
	p.Delete("edge", "gw-edge")
	if got := p.Namespaces(sel); !slices.Equal(got, []string{"istio-system"}) {
		t.Errorf("after deleting the edge pod, Namespaces = %v", got)
	}
}
