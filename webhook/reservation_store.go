package webhook

import (
	"context"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// apiReservationStore looks for reserved VirtualServices in the manager's
// cache and, past their ttl, in the apiserver itself.
type apiReservationStore struct {
	cache, api client.Reader
}

func (s apiReservationStore) cached(namespace, name string) (types.UID, int64, bool) {
	vs := &networkingv1.VirtualService{}
	if err := s.cache.Get(context.Background(), types.NamespacedName{Namespace: namespace, Name: name}, vs); err != nil {
		return "", 0, false
	}
	return vs.UID, vs.Generation, true
}

func (s apiReservationStore) stored(ctx context.Context, namespace, name string) (types.UID, int64, bool, error) {
	vs := &networkingv1.VirtualService{}
	err := s.api.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, vs)
	if err != nil {
		return "", 0, false, client.IgnoreNotFound(err)
	}
	return vs.UID, vs.Generation, true, nil
}
