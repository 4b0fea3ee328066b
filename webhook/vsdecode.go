package webhook

import (
	"context"
	"fmt"
	"net/http"
	"time"

	networking "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// VirtualServices are what a large cluster has most of, HTTPRoutes next,
// and decoding them was most of gateguard's CPU on the path to ready:
// Istio's Go type decodes through golang/protobuf's jsonpb (31 KB of
// garbage each), and even a generic decode scans a watch stream three
// times (client-go's JSON framer, the WatchEvent, the object) and builds
// every field, the last-applied copy of the whole object among them, as
// maps and strings the transform then drops. So the informers of both
// kinds read the apiserver's JSON themselves, one pass per event, into
// only the fields the cache keeps (leandecode.go): the rest of gateguard
// still sees *networkingv1.VirtualService and *gatewayv1.HTTPRoute, from
// the same informers.

// leanKind is a kind whose informer reads it lean: its resource, a
// client of its group version, its decoder and its list type.
type leanKind struct {
	resource string
	client   rest.Interface
	decode   objectDecoder
	newList  func() runtime.Object
}

// newInformer is the cache's informer constructor: the stock one, but
// with VirtualServices and HTTPRoutes listed and watched lean through
// vs and routes, clients of their group versions, in every namespace
// and with no selector, as the cache options ask for them.
func newInformer(vs, routes rest.Interface) func(toolscache.ListerWatcher, runtime.Object, time.Duration,
	toolscache.Indexers) toolscache.SharedIndexInformer {
	return func(lw toolscache.ListerWatcher, obj runtime.Object, resync time.Duration, ix toolscache.Indexers) toolscache.SharedIndexInformer {
		switch obj.(type) {
		case *networkingv1.VirtualService:
			lw = leanListWatch(virtualServiceKind(vs))
		case *gatewayv1.HTTPRoute:
			lw = leanListWatch(httpRouteKind(routes))
		}
		return toolscache.NewSharedIndexInformer(lw, obj, resync, ix)
	}
}

// virtualServiceKind reads VirtualServices through c; one empty route
// stands for every decoded VirtualService's HTTP routes.
func virtualServiceKind(c rest.Interface) leanKind {
	return leanKind{"virtualservices", c, virtualServiceDecoder([]*networking.HTTPRoute{{}}),
		func() runtime.Object { return &networkingv1.VirtualServiceList{} }}
}

// httpRouteKind reads HTTPRoutes through c.
func httpRouteKind(c rest.Interface) leanKind {
	return leanKind{"httproutes", c, decodeHTTPRoute, func() runtime.Object { return &gatewayv1.HTTPRouteList{} }}
}

// leanListWatch lists and watches a kind in every namespace, decoding
// it lean.
func leanListWatch(kind leanKind) *toolscache.ListWatch {
	request := func(opts metav1.ListOptions) *rest.Request {
		return kind.client.Get().Resource(kind.resource).VersionedParams(&opts, metav1.ParameterCodec)
	}
	return &toolscache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
			body, err := request(opts).Stream(ctx)
			if err != nil {
				return nil, err
			}
			defer body.Close()
			list := kind.newList()
			if err := decodeList(body, kind.decode, list); err != nil {
				return nil, fmt.Errorf("%s list: %w", kind.resource, err)
			}
			return list, nil
		},
		WatchFuncWithContext: func(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
			opts.Watch = true
			body, err := request(opts).Stream(ctx)
			if err != nil {
				return nil, err
			}
			// As client-go's own watches report an event they cannot decode.
			return watch.NewStreamWatcher(newEventDecoder(body, kind.decode),
				apierrors.NewClientErrorReporter(http.StatusInternalServerError, "GET", "ClientWatchDecoding")), nil
		},
	}
}

// withLeanInformers sets opts to build the VirtualService and
// HTTPRoute informers over JSON clients of cfg for their group versions.
func withLeanInformers(opts cache.Options, cfg *rest.Config) (cache.Options, error) {
	vs, err := leanClient(cfg, networkingv1.SchemeGroupVersion)
	if err != nil {
		return opts, err
	}
	routes, err := leanClient(cfg, gatewayv1.SchemeGroupVersion)
	if err != nil {
		return opts, err
	}
	opts.NewInformer = newInformer(vs, routes)
	return opts, nil
}

// leanClient is a client of gv that asks for JSON only, the one encoding
// the lean decoder reads; its serializer (the dynamic client's) is only
// for the Status of a failed request.
func leanClient(cfg *rest.Config, gv schema.GroupVersion) (*rest.RESTClient, error) {
	c := dynamic.ConfigFor(cfg)
	c.ContentType, c.AcceptContentTypes = runtime.ContentTypeJSON, runtime.ContentTypeJSON
	c.GroupVersion, c.APIPath = &gv, "/apis"
	client, err := rest.RESTClientFor(c)
	if err != nil {
		return nil, fmt.Errorf("%s client: %w", gv, err)
	}
	return client, nil
}
