package webhook

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/gateguard/gateguard/report"
	"github.com/gateguard/gateguard/rules"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// audit judges every Gateway and VirtualService in the cluster, and every
// Gateway, ListenerSet and route of the Gateway API where served, as if it
// were created now, against all the others: what predates gateguard, or
// what a policy change made invalid. Objects are visited in a stable order.
func audit(ctx context.Context, p *rules.Policy, snap rules.Snapshot, r client.Reader, kinds optionalKinds) (*report.Report, error) {
	objs, err := existingObjects(ctx, r, kinds)
	if err != nil {
		return nil, err
	}
	rep := report.NewReport()
	for _, cached := range objs {
		obj := withKind(cached)
		dec, err := rules.Validate(ctx, p, snap, rules.Change{Operation: rules.Create, Object: obj, Namespace: obj.GetNamespace()})
		if err != nil {
			return nil, fmt.Errorf("%s %s/%s: %w", cached.gvk.Kind, obj.GetNamespace(), obj.GetName(), err)
		}
		rep.Record(obj, dec, "", 0)
	}
	return rep, nil
}

// auditedKind is a kind the audit judges, listed with list.
type auditedKind struct {
	gvk  schema.GroupVersionKind
	list client.ObjectList
}

// auditedKinds are the judged kinds the cluster serves, in report order:
// Istio's, then the Gateway API's. A GatewayClass is never judged, a
// ReferenceGrant only as it is deleted.
func auditedKinds(kinds optionalKinds) []auditedKind {
	v1 := gatewayv1.SchemeGroupVersion
	out := []auditedKind{
		{networkingv1.SchemeGroupVersion.WithKind(string(rules.KindGateway)), &networkingv1.GatewayList{}},
		{networkingv1.SchemeGroupVersion.WithKind(string(rules.KindVirtualService)), &networkingv1.VirtualServiceList{}},
	}
	for _, k := range []struct {
		audited auditedKind
		obj     client.Object
	}{
		{auditedKind{v1.WithKind("Gateway"), &gatewayv1.GatewayList{}}, &gatewayv1.Gateway{}},
		{auditedKind{v1.WithKind("ListenerSet"), &gatewayv1.ListenerSetList{}}, &gatewayv1.ListenerSet{}},
		{auditedKind{v1.WithKind("HTTPRoute"), &gatewayv1.HTTPRouteList{}}, &gatewayv1.HTTPRoute{}},
		{auditedKind{v1.WithKind("GRPCRoute"), &gatewayv1.GRPCRouteList{}}, &gatewayv1.GRPCRoute{}},
		{auditedKind{v1.WithKind("TLSRoute"), &gatewayv1.TLSRouteList{}}, &gatewayv1.TLSRoute{}},
		{auditedKind{v1.WithKind("TCPRoute"), &gatewayv1.TCPRouteList{}}, &gatewayv1.TCPRoute{}},
	} {
		if kinds.cached(k.obj) {
			out = append(out, k.audited)
		}
	}
	return out
}

// existingObject is a cached object and its kind, which the cache's
// objects may not carry.
type existingObject struct {
	client.Object
	gvk schema.GroupVersionKind
}

// existingObjects lists each audited kind in turn, sorted by namespace and
// name. They are the cache's own objects, uncopied: a copy of every
// VirtualService at once would double the cache's memory at every audit,
// the first of them right as the cache has filled.
func existingObjects(ctx context.Context, r client.Reader, kinds optionalKinds) ([]existingObject, error) {
	byName := func(a, b existingObject) int {
		return cmp.Or(cmp.Compare(a.GetNamespace(), b.GetNamespace()), cmp.Compare(a.GetName(), b.GetName()))
	}
	var out []existingObject
	for _, k := range auditedKinds(kinds) {
		if err := r.List(ctx, k.list, client.UnsafeDisableDeepCopy); err != nil {
			return nil, fmt.Errorf("listing %s: %w", k.gvk.Kind, err)
		}
		items, err := meta.ExtractList(k.list)
		if err != nil {
			return nil, err
		}
		start := len(out)
		for _, item := range items {
			out = append(out, existingObject{item.(client.Object), k.gvk})
		}
		slices.SortStableFunc(out[start:], byName)
	}
	return out, nil
}

// withKind is a copy of a cached object with its kind set, which the
// report names; one copy lives at a time.
func withKind(obj existingObject) client.Object {
	out := obj.DeepCopyObject().(client.Object)
	out.GetObjectKind().SetGroupVersionKind(obj.gvk)
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
	rep, err := audit(ctx, p, snap, cluster.Reader(), cluster.source.optional)
	return rep, cmp.Or(err, lookupErr)
}
