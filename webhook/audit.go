package webhook

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/gateguard/gateguard/report"
	"github.com/gateguard/gateguard/rules"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Audit judges every Gateway and VirtualService in the cluster as if it
// were created now, against all the others: what predates gateguard, or
// what a policy change made invalid. Objects are visited in a stable order.
func Audit(ctx context.Context, p *rules.Policy, snap rules.Snapshot, r client.Reader) (*report.Report, error) {
	objs, err := existingObjects(ctx, r)
	if err != nil {
		return nil, err
	}
	rep := report.NewReport()
	for _, cached := range objs {
		obj := withKind(cached)
		dec, err := rules.Validate(ctx, p, snap, rules.Change{Operation: rules.Create, Object: obj, Namespace: obj.GetNamespace()})
		if err != nil {
			return nil, fmt.Errorf("%s/%s: %w", obj.GetNamespace(), obj.GetName(), err)
		}
		rep.Record(obj, dec, "", 0)
	}
	return rep, nil
}

// existingObjects lists Gateways then VirtualServices, each sorted by
// namespace and name. They are the cache's own objects, uncopied: a copy
// of every VirtualService at once would double the cache's memory at
// every audit, the first of them right as the cache has filled.
func existingObjects(ctx context.Context, r client.Reader) ([]client.Object, error) {
	gws := &networkingv1.GatewayList{}
	if err := r.List(ctx, gws, client.UnsafeDisableDeepCopy); err != nil {
		return nil, err
	}
	vss := &networkingv1.VirtualServiceList{}
	if err := r.List(ctx, vss, client.UnsafeDisableDeepCopy); err != nil {
		return nil, err
	}
	byName := func(a, b client.Object) int {
		return cmp.Or(cmp.Compare(a.GetNamespace(), b.GetNamespace()), cmp.Compare(a.GetName(), b.GetName()))
	}
	out := make([]client.Object, 0, len(gws.Items)+len(vss.Items))
	for _, gw := range gws.Items {
		out = append(out, gw)
	}
	slices.SortStableFunc(out, byName)
	for _, vs := range vss.Items {
		out = append(out, vs)
	}
	slices.SortStableFunc(out[len(gws.Items):], byName)
	return out, nil
}

// withKind is a copy of a cached object with its kind set, which the
// report names; one copy lives at a time.
func withKind(obj client.Object) client.Object {
	out := obj.DeepCopyObject().(client.Object)
	switch out.(type) {
	case *networkingv1.Gateway:
		out.GetObjectKind().SetGroupVersionKind(networkingv1.SchemeGroupVersion.WithKind(string(rules.KindGateway)))
	case *networkingv1.VirtualService:
		out.GetObjectKind().SetGroupVersionKind(networkingv1.SchemeGroupVersion.WithKind(string(rules.KindVirtualService)))
	}
	return out
}

// AuditCluster builds the same cache-backed snapshot the webhook uses,
// waits for it to sync, and audits the cluster of cfg; secretNamespaces
// scope Secrets as serve's flag does.
func AuditCluster(ctx context.Context, cfg *rest.Config, p *rules.Policy, secretNamespaces []string) (*report.Report, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cluster, err := StartClusterSnapshot(ctx, cfg, secretNamespaces)
	if err != nil {
		return nil, err
	}
	var lookupErr error
	snap := cluster.Snapshot(ctx, func(err error) { lookupErr = err })
	rep, err := Audit(ctx, p, snap, cluster.Reader())
	return rep, cmp.Or(err, lookupErr)
}
