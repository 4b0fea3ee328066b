package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// HostClaim records that one object owns one host in one route table. Its
// name is a function of the two (webhook/claims.Name), so the apiserver's
// create-if-absent lets exactly one owner have it, whichever gateguard
// replica asks first.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster,categories=gateguard
// +kubebuilder:printcolumn:name="Host",type=string,JSONPath=`.spec.host`
// +kubebuilder:printcolumn:name="Route table",type=string,JSONPath=`.spec.where`
// +kubebuilder:printcolumn:name="Owner namespace",type=string,JSONPath=`.spec.owner.namespace`
// +kubebuilder:printcolumn:name="Owner",type=string,JSONPath=`.spec.owner.name`
// +kubebuilder:printcolumn:name="Kind",type=string,JSONPath=`.spec.owner.kind`,priority=1
// +kubebuilder:printcolumn:name="Claimed",type=date,JSONPath=`.spec.claimedAt`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type HostClaim struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec HostClaimSpec `json:"spec"`
}

// HostClaimSpec is what is claimed and by whom.
type HostClaimSpec struct {
	// Host is the virtual host or SNI name claimed, as the rules key it
	// (lower-cased, a trailing dot kept); empty for a TCP listener, which
	// routes by port alone.
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="host is immutable: the claim's name derives from it"
	// +optional
	Host string `json:"host"`
	// RouteTable is the rules' key of the route table the host is in: the
	// gateway pods, the port and, for HTTPS, the server.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=4096
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="routeTable is immutable: the claim's name derives from it"
	RouteTable string `json:"routeTable"`
	// Where names the route table for people, e.g. "port 80 of the pods
	// istio=ingressgateway in istio-system".
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	Where string `json:"where,omitempty"`
	// Protocol is a Gateway plain-text server's protocol, upper-cased: two
	// plain-text HTTP servers share a port, so the rules let a second one
	// share the claim. Empty elsewhere.
	// +kubebuilder:validation:MaxLength=64
	// +optional
	Protocol string `json:"protocol,omitempty"`
	// Owner is the object that holds the claim.
	Owner HostClaimOwner `json:"owner"`
	// ClaimedAt is when Owner took the claim (created it or took it over):
	// an owner not yet stored may still be in admission until the grace
	// period after it has passed.
	ClaimedAt metav1.Time `json:"claimedAt"`
}

// HostClaimOwner identifies the owning object, UID included, so that a
// deleted and re-created object of the same name is a different owner.
type HostClaimOwner struct {
	// APIVersion is the owner's group/version, e.g. networking.istio.io/v1.
	// +kubebuilder:validation:MinLength=1
	APIVersion string `json:"apiVersion"`
	// Kind is the owner's kind, e.g. VirtualService.
	// +kubebuilder:validation:MinLength=1
	Kind string `json:"kind"`
	// Namespace is the owner's namespace.
	// +kubebuilder:validation:MinLength=1
	Namespace string `json:"namespace"`
	// Name is the owner's name.
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`
	// UID is the owner's metadata.uid.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MinLength=1
	UID types.UID `json:"uid"`
}

// HostClaimList is a list of HostClaims.
//
// +kubebuilder:object:root=true
type HostClaimList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`

	Items []HostClaim `json:"items"`
}
