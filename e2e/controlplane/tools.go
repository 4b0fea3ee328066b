//go:build tools

// Package tools records the main packages that hack/build-control-plane.sh
// builds, so that `go mod tidy` keeps them (and their go.sum lines) in this
// module. It is never compiled.
package tools

import (
	_ "go.etcd.io/etcd/server/v3" // etcd server binary (main.go at the module root)
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
