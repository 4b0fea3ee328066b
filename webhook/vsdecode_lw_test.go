package webhook

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
)

// fakeVirtualServices serves a list and a watch of seeded VirtualServices
// as the apiserver does, in JSON only, and records the requests.
type fakeVirtualServices struct {
	t        *testing.T
	mu       sync.Mutex
	requests []string
}

const expiredStatus = `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",` +
	`"message":"too old resource version: 1 (300)","reason":"Expired","code":410}`

func (f *fakeVirtualServices) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f.mu.Lock()
	f.requests = append(f.requests, fmt.Sprintf("%s watch=%s sendInitialEvents=%s rv=%s", r.URL.Path, q.Get("watch"),
		q.Get("sendInitialEvents"), q.Get("resourceVersion")))
	f.mu.Unlock()
	if accept := r.Header.Get("Accept"); accept != "application/json" {
		f.t.Errorf("Accept: %s, want application/json only", accept)
	}
	w.Header().Set("Content-Type", "application/json")
	switch {
	case q.Get("resourceVersion") == "1":
		w.WriteHeader(http.StatusGone)
		fmt.Fprint(w, expiredStatus)
	case q.Get("watch") == "true":
		for i := range 3 {
			fmt.Fprintf(w, "{\"type\":\"ADDED\",\"object\":%s}\n", seededJSON(f.t, i))
		}
		fmt.Fprint(w, `{"type":"BOOKMARK","object":{"kind":"VirtualService","apiVersion":"networking.istio.io/v1",`+
			`"metadata":{"resourceVersion":"300","annotations":{"k8s.io/initial-events-end":"true"}}}}`+"\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done() // a watch stays open
	default:
		fmt.Fprintf(w, `{"kind":"VirtualServiceList","apiVersion":"networking.istio.io/v1",`+
			`"metadata":{"resourceVersion":"300","continue":"next","remainingItemCount":5},"items":[%s,%s]}`, seededJSON(f.t, 4), seededJSON(f.t, 5))
	}
}

// fakeClient is a VirtualService client of a fakeVirtualServices.
func fakeClient(t *testing.T) (*rest.RESTClient, *fakeVirtualServices) {
	fake := &fakeVirtualServices{t: t}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	c, err := leanClient(&rest.Config{Host: srv.URL}, networkingv1.SchemeGroupVersion)
	if err != nil {
		t.Fatal(err)
	}
	return c, fake
}

// TestVirtualServiceListIsLean: a list reaches the reflector typed, with
// its list metadata, each item as Istio's types and the transform keep
// it; an expired resource version is the apiserver's Status error.
func TestVirtualServiceListIsLean(t *testing.T) {
	c, _ := fakeClient(t)
	lw := leanListWatch(virtualServiceKind(c))
	obj, err := lw.ListWithContext(t.Context(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	list := obj.(*networkingv1.VirtualServiceList)
	if list.ResourceVersion != "300" || list.Continue != "next" || list.RemainingItemCount == nil || *list.RemainingItemCount != 5 ||
		len(list.Items) != 2 {
		t.Fatalf("list %+v with %d items", list.ListMeta, len(list.Items))
	}
	for i, vs := range list.Items {
		if want, got := trimmedJSON(t, istioDecoded(t, seededJSON(t, 4+i))), trimmedJSON(t, vs); got != want {
			t.Errorf("item %d: listed\n%s\nwant\n%s", i, got, want)
		}
	}
	_, err = lw.ListWithContext(t.Context(), metav1.ListOptions{ResourceVersion: "1"})
	if !apierrors.IsResourceExpired(err) || err.Error() != "too old resource version: 1 (300)" {
		t.Errorf("listing an expired version: %v, want the apiserver's Expired status", err)
	}
	if _, err := lw.WatchWithContext(t.Context(), metav1.ListOptions{ResourceVersion: "1"}); !apierrors.IsResourceExpired(err) {
		t.Errorf("watching an expired version: %v, want the apiserver's Expired status", err)
	}
}

// TestVirtualServiceInformerSyncsFromTheStream: the informer newInformer
// builds syncs from a watch stream's initial events alone (client-go's
// WatchList), which only the closing bookmark's annotation ends, and
// holds the VirtualServices typed.
func TestVirtualServiceInformerSyncsFromTheStream(t *testing.T) {
	c, fake := fakeClient(t)
	inf := newInformer(c, c)(nil, &networkingv1.VirtualService{}, 0, toolscache.Indexers{})
	go inf.RunWithContext(t.Context())
	if !toolscache.WaitForCacheSync(t.Context().Done(), inf.HasSynced) {
		t.Fatal("informer never synced")
	}
	keys := inf.GetStore().ListKeys()
	slices.Sort(keys)
	if want := []string{"team-0/app-0", "team-1/app-1", "team-2/app-2"}; !slices.Equal(keys, want) {
		t.Errorf("cached %v, want %v", keys, want)
	}
	item, _, _ := inf.GetStore().GetByKey("team-1/app-1")
	if want, got := trimmedJSON(t, istioDecoded(t, seededJSON(t, 1))), trimmedJSON(t, item.(*networkingv1.VirtualService)); got != want {
		t.Errorf("cached\n%s\nwant\n%s", got, want)
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	if want := "/apis/networking.istio.io/v1/virtualservices watch=true sendInitialEvents=true rv="; len(fake.requests) == 0 ||
		!strings.HasPrefix(fake.requests[0], want) {
		t.Errorf("requests %q, want the first %q", fake.requests, want)
	}
}
