package webhook

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/gateguard/gateguard/rules"
	"github.com/gateguard/gateguard/rules/check"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Audit judges every Gateway and VirtualService in the cluster as if it
// were created now, against all the others: what predates gateguard, or
// what a policy change made invalid. Objects are visited in a stable order.
func Audit(ctx context.Context, p *rules.Policy, snap rules.Snapshot, r client.Reader) (*check.Report, error) {
	objs, err := existingObjects(ctx, r)
	if err != nil {
		return nil, err
	}
	rep := check.NewReport()
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
// waits for it to sync, and audits the cluster of cfg.
func AuditCluster(ctx context.Context, cfg *rest.Config, p *rules.Policy) (*check.Report, error) {
	scheme, err := NewScheme()
	if err != nil {
		return nil, err
	}
	opts, err := withVirtualServiceDecoder(cacheOptions(), cfg)
	if err != nil {
		return nil, err
	}
	opts.Scheme = scheme
	c, err := cache.New(cfg, opts)
	if err != nil {
		return nil, err
	}
	api, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return nil, err
	}
	certs := certificatesServed(api.RESTMapper())
	pods := rules.NewPodPlacements()
	indexers, err := registerIndexes(ctx, c, certs, pods)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { _ = c.Start(ctx) }()
	if !c.WaitForCacheSync(ctx) {
		return nil, fmt.Errorf("the cache did not sync")
	}
	var lookupErr error
	snap := &cacheSnapshot{ctx: ctx, cache: c, api: api, indexers: indexers, certificates: certs, pods: pods,
		onError: func(err error) { lookupErr = err }}
	rep, err := Audit(ctx, p, snap, c)
	return rep, cmp.Or(err, lookupErr)
}
