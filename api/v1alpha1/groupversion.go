package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// GroupVersion is the group and version of gateguard's own kinds.
var GroupVersion = schema.GroupVersion{Group: "gateguard.dev", Version: "v1alpha1"}

// AddToScheme registers HostClaim and HostClaimList with s.
func AddToScheme(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion, &HostClaim{}, &HostClaimList{})
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}
