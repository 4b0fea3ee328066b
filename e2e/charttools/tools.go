//go:build tools

// Package tools records the upstream main packages that
// hack/build-chart-tools.sh builds, so that `go mod tidy` keeps them (and
// their go.sum lines) in this module. It is never compiled.
package tools

import (
	_ "github.com/prometheus/prometheus/cmd/promtool"
	_ "helm.sh/helm/v3/cmd/helm"
)
