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
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
)

// VirtualServices are what a large cluster has most of, and decoding them
// was most of gateguard's CPU on the path to ready: Istio's Go type
// decodes through golang/protobuf's jsonpb (31 KB of garbage each), and
// even a generic decode scans a watch stream three times (client-go's
// JSON framer, the WatchEvent, the object) and builds every field, the
// last-applied copy of the whole object among them, as maps and strings
// the transform then drops. So the VirtualService informer reads the
// apiserver's JSON itself, one pass per event, into only the fields the
// cache keeps (leandecode.go): the rest of gateguard still sees
// *networkingv1.VirtualService, from the same informer.

// newInformer is the cache's informer constructor: the stock one, but
// with VirtualServices listed and watched through vs, in every namespace
// and with no selector, as the cache options ask for them.
func newInformer(vs rest.Interface) func(toolscache.ListerWatcher, runtime.Object, time.Duration,
	toolscache.Indexers) toolscache.SharedIndexInformer {
	return func(lw toolscache.ListerWatcher, obj runtime.Object, resync time.Duration, ix toolscache.Indexers) toolscache.SharedIndexInformer {
		if _, ok := obj.(*networkingv1.VirtualService); ok {
			lw = virtualServiceListWatch(vs)
		}
		return toolscache.NewSharedIndexInformer(lw, obj, resync, ix)
	}
}

// virtualServiceListWatch lists and watches VirtualServices in every
// namespace through c, a client of their group version, decoding them
// lean.
func virtualServiceListWatch(c rest.Interface) *toolscache.ListWatch {
	// One empty route stands for every decoded object's HTTP routes.
	routes := []*networking.HTTPRoute{{}}
	request := func(opts metav1.ListOptions) *rest.Request {
		return c.Get().Resource("virtualservices").VersionedParams(&opts, metav1.ParameterCodec)
	}
	return &toolscache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
			body, err := request(opts).Stream(ctx)
			if err != nil {
				return nil, err
			}
			defer body.Close()
			return decodeVirtualServiceList(body, routes)
		},
		WatchFuncWithContext: func(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
			opts.Watch = true
			body, err := request(opts).Stream(ctx)
			if err != nil {
				return nil, err
			}
			// As client-go's own watches report an event they cannot decode.
			return watch.NewStreamWatcher(newEventDecoder(body, routes),
				apierrors.NewClientErrorReporter(http.StatusInternalServerError, "GET", "ClientWatchDecoding")), nil
		},
	}
}

// withVirtualServiceDecoder sets opts to build the VirtualService informer
// over a JSON client of cfg for their group version.
func withVirtualServiceDecoder(opts cache.Options, cfg *rest.Config) (cache.Options, error) {
	c, err := virtualServiceClient(cfg)
	if err != nil {
		return opts, err
	}
	opts.NewInformer = newInformer(c)
	return opts, nil
}

// virtualServiceClient is a client of networking.istio.io/v1 that asks
// for JSON only, the one encoding the lean decoder reads; its serializer
// (the dynamic client's) is only for the Status of a failed request.
func virtualServiceClient(cfg *rest.Config) (*rest.RESTClient, error) {
	c := dynamic.ConfigFor(cfg)
	c.ContentType, c.AcceptContentTypes = runtime.ContentTypeJSON, runtime.ContentTypeJSON
	c.GroupVersion, c.APIPath = &networkingv1.SchemeGroupVersion, "/apis"
	client, err := rest.RESTClientFor(c)
	if err != nil {
		return nil, fmt.Errorf("VirtualService client: %w", err)
	}
	return client, nil
}
