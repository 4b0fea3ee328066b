package webhook

import (
	"context"
	"reflect"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// apiReservationStore looks for reserved objects in the manager's cache
// and, past their ttl, in the apiserver itself.
type apiReservationStore struct {
	cache, api client.Reader
}

// emptyLike is an empty object of obj's Go type, to read into.
func emptyLike(obj client.Object) client.Object {
	return reflect.New(reflect.TypeOf(obj).Elem()).Interface().(client.Object)
}

func (s apiReservationStore) cached(obj client.Object) (types.UID, int64, bool) {
	into := emptyLike(obj)
	if err := s.cache.Get(context.Background(), client.ObjectKeyFromObject(obj), into); err != nil {
		return "", 0, false
	}
	return into.GetUID(), into.GetGeneration(), true
}

func (s apiReservationStore) stored(ctx context.Context, obj client.Object) (types.UID, int64, bool, error) {
	into := emptyLike(obj)
	err := s.api.Get(ctx, client.ObjectKeyFromObject(obj), into)
	if err != nil {
		return "", 0, false, client.IgnoreNotFound(err)
	}
	return into.GetUID(), into.GetGeneration(), true, nil
}
