// Package claims gives each host of a route table one owner across every
// gateguard replica, with etcd as the arbiter: a claim is a HostClaim
// object whose name is a function of the route table and the host, so the
// apiserver's create-if-absent picks one winner, and a stale claim changes
// hands only by an update carrying the resourceVersion that was read
// (compare and swap). The pattern is Kubernetes' IPAddress objects and
// Knative's ClusterDomainClaim (docs/claims.md).
//
// A Registry claims and releases for the validating webhook; a Sweeper,
// on the elected replica alone, removes claims nobody holds any more and
// claims hosts for objects that predate gateguard.
package claims
