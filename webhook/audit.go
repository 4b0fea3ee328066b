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
	for _, obj := range objs {
		dec, err := rules.Validate(ctx, p, snap, rules.Change{Operation: rules.Create, Object: obj, Namespace: obj.GetNamespace()})
		if err != nil {
			return nil, fmt.Errorf("%s/%s: %w", obj.GetNamespace(), obj.GetName(), err)
		}
		rep.Record(obj, dec, "", 0)
	}
	return rep, nil
}

// existingObjects lists Gateways then VirtualServices, each sorted by
// namespace and name.
func existingObjects(ctx context.Context, r client.Reader) ([]client.Object, error) {
	gws := &networkingv1.GatewayList{}
	if err := r.List(ctx, gws); err != nil {
		return nil, err
	}
	vss := &networkingv1.VirtualServiceList{}
	if err := r.List(ctx, vss); err != nil {
		return nil, err
	}
	var out []client.Object
	for _, gw := range gws.Items {
		gw.SetGroupVersionKind(networkingv1.SchemeGroupVersion.WithKind(string(rules.KindGateway)))
		out = append(out, gw)
	}
	for _, vs := range vss.Items {
		vs.SetGroupVersionKind(networkingv1.SchemeGroupVersion.WithKind(string(rules.KindVirtualService)))
		out = append(out, vs)
	}
	slices.SortStableFunc(out, func(a, b client.Object) int {
		return cmp.Or(cmp.Compare(a.GetObjectKind().GroupVersionKind().Kind, b.GetObjectKind().GroupVersionKind().Kind),
			cmp.Compare(a.GetNamespace(), b.GetNamespace()), cmp.Compare(a.GetName(), b.GetName()))
	})
	return out, nil
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
