package claims

import (
	"context"
	"fmt"

	gateguardv1alpha1 "github.com/gateguard/gateguard/api/v1alpha1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Release deletes owner's claims that are not among keep: call it once
// the owner is deleted (keep nil) or stored without some of its hosts.
// Each claim is deleted only as it was listed (UID and resourceVersion
// preconditions), never after someone took it over; every replica may
// release the same claim, and only one delete lands.
func (r *Registry) Release(ctx context.Context, owner Owner, keep []Key) error {
	list := &gateguardv1alpha1.HostClaimList{}
	if err := r.client.List(ctx, list, client.MatchingLabels{OwnerUIDLabel: string(owner.UID)}); err != nil {
		r.metrics.errorIn("release")
		return fmt.Errorf("listing the claims of %s: %w", describeOwner(owner), err)
	}
	kept := map[string]bool{}
	for _, k := range keep {
		kept[Name(k.RouteTable, k.Host)] = true
	}
	for i := range list.Items {
		hc := &list.Items[i]
		if hc.Spec.Owner.UID != owner.UID || kept[hc.Name] {
			continue
		}
		if err := r.deleteExactly(ctx, hc); err != nil {
			r.metrics.errorIn("release")
			return fmt.Errorf("releasing HostClaim %s of %s: %w", hc.Name, describeOwner(owner), err)
		}
		r.metrics.released("released")
	}
	return nil
}
