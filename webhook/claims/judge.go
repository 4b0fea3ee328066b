package claims

import (
	"context"
	"fmt"

	gateguardv1alpha1 "github.com/gateguard/gateguard/api/v1alpha1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// verdict is what an existing claim means for a would-be owner.
type verdict int

const (
	ours  verdict = iota // the same owner (UID), or one it shares with: nothing to do
	held                 // another owner, claimed within the grace period: it may still be in admission
	owned                // another owner that exists and still claims it
	stale                // another owner that is gone or no longer claims it: take it over
)

// judge decides what hc means for owner claiming k. Within the grace
// period another owner's claim holds whatever the apiserver says of the
// owner: a create is admitted before etcd stores it, an update before its
// new hosts are visible. After it, the owner is read live.
func (r *Registry) judge(ctx context.Context, hc *gateguardv1alpha1.HostClaim, owner Owner, k Key) (verdict, error) {
	if hc.Spec.RouteTable != k.RouteTable || hc.Spec.Host != k.Host {
		return 0, fmt.Errorf("HostClaim %s is for %q in %q: two keys share a name", hc.Name, hc.Spec.Host, hc.Spec.RouteTable)
	}
	if hc.Spec.Owner.UID == owner.UID || r.rules.Shares(keyOf(hc), hc.Spec.Owner, k, owner) {
		return ours, nil
	}
	if r.withinGrace(hc) && !sameName(hc.Spec.Owner, owner) {
		return held, nil
	}
	// Past the grace period, or claimed under owner's own name by another
	// UID (deleted and created again, as `kubectl replace --force` does):
	// two objects cannot share a name, so a live read tells at once.
	claims, err := r.ownerStillClaims(ctx, hc)
	if err != nil || !claims {
		return stale, err
	}
	return owned, nil
}

// keyOf is the key hc holds.
func keyOf(hc *gateguardv1alpha1.HostClaim) Key {
	return Key{RouteTable: hc.Spec.RouteTable, Host: hc.Spec.Host, Where: hc.Spec.Where, Protocol: hc.Spec.Protocol}
}

// sameName is true when a and b name one object, whatever their UIDs.
func sameName(a, b Owner) bool {
	return a.APIVersion == b.APIVersion && a.Kind == b.Kind && a.Namespace == b.Namespace && a.Name == b.Name
}

// withinGrace is true while hc's owner may still be in admission.
func (r *Registry) withinGrace(hc *gateguardv1alpha1.HostClaim) bool {
	return r.now().Sub(hc.Spec.ClaimedAt.Time) < r.grace
}

// ownerStillClaims reads hc's owner from the apiserver: false when it is
// gone (or re-created: another UID), else whether the rules still have it
// claim hc's key.
func (r *Registry) ownerStillClaims(ctx context.Context, hc *gateguardv1alpha1.HostClaim) (bool, error) {
	o := hc.Spec.Owner
	obj, err := r.emptyObject(o)
	if err != nil {
		return false, err
	}
	err = r.client.Get(ctx, client.ObjectKey{Namespace: o.Namespace, Name: o.Name}, obj)
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("reading the claim's owner %s: %w", describeOwner(o), err)
	}
	if obj.GetUID() != o.UID {
		return false, nil
	}
	keys, err := r.rules.ClaimsOf(ctx, obj)
	if err != nil {
		return false, err
	}
	for _, k := range keys {
		if k.RouteTable == hc.Spec.RouteTable && k.Host == hc.Spec.Host {
			return true, nil
		}
	}
	return false, nil
}

// emptyObject is an object of the owner's kind to read it into: typed
// when the scheme knows the kind, so the rules get what they decode.
func (r *Registry) emptyObject(o Owner) (client.Object, error) {
	gv, err := schema.ParseGroupVersion(o.APIVersion)
	if err != nil {
		return nil, fmt.Errorf("the claim's owner %s: %w", describeOwner(o), err)
	}
	gvk := gv.WithKind(o.Kind)
	if typed, err := r.client.Scheme().New(gvk); err == nil {
		if obj, ok := typed.(client.Object); ok {
			return obj, nil
		}
	}
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk)
	return u, nil
}

// Denial is a key another owner holds.
type Denial struct {
	Key   Key
	Name  string // the HostClaim's
	Owner Owner
	// Held: the owner claimed it within the grace period and may still be
	// in admission; it is not (yet) in the apiserver.
	Held bool
}

// Message says who holds the key, for the duplicate-host denial.
func (d Denial) Message() string {
	if d.Held {
		return fmt.Sprintf("%s was claimed moments ago by %s, which is being admitted or was just deleted (HostClaim %s)",
			describe(d.Key), describeOwner(d.Owner), d.Name)
	}
	return fmt.Sprintf("%s is claimed by %s (HostClaim %s)", describe(d.Key), describeOwner(d.Owner), d.Name)
}

// describe names a key for people.
func describe(k Key) string {
	switch {
	case k.Host == "" && k.Where == "":
		return "the listener"
	case k.Host == "":
		return k.Where // a TCP listener's claim is the listener itself
	case k.Where == "":
		return fmt.Sprintf("%q", k.Host)
	}
	return fmt.Sprintf("%q on %s", k.Host, k.Where)
}

// describeOwner names an owner as kubectl would: Kind namespace/name.
func describeOwner(o Owner) string {
	return fmt.Sprintf("%s %s/%s", o.Kind, o.Namespace, o.Name)
}
