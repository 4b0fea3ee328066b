// Package v1alpha1 holds gateguard's own API kinds, group gateguard.dev:
// HostClaim, the object through which etcd gives each host of a route
// table one owner across every gateguard replica (docs/claims.md#hostclaim).
//
// +kubebuilder:object:generate=true
// +groupName=gateguard.dev
package v1alpha1
