//go:build tools

// Package tools records the code generator that hack/generate.sh builds
// (controller-gen: deepcopy and the HostClaim CRD from api/), so that
// `go mod tidy` keeps it, pinned, in this module and never in gateguard's
// own go.mod. It is never compiled.
package tools

import _ "sigs.k8s.io/controller-tools/cmd/controller-gen"
