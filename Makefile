# gateguard: the commands the README gives. Everything runs on a fresh
# machine with Go and kubectl; the control plane is built from source on
# first use (about 6 minutes) and cached.

GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

.PHONY: all build image kind-e2e test unit e2e demo check-examples control-plane chart-tools vet bench

all: build

# hack/build.sh is the one build command, shared with the Dockerfile.
build:
	VERSION=$(VERSION) GO=$(GO) bash hack/build.sh bin/gateguard

# The container image (Dockerfile: the same hack/build.sh, on distroless).
image:
	docker build --build-arg VERSION=$(VERSION) -t gateguard:$(VERSION) .

# gateguard in a kind cluster and the e2e suite against it (needs docker and kind).
kind-e2e:
	bash e2e/kind/run.sh

# All tests: unit, corpus, CLI, the chart (helm lint/template, drift from
# manifests/, promtool) and the e2e suite against a real apiserver, after
# building the binary with hack/build.sh, the exact command the Dockerfile runs.
# -count=1: the e2e suite builds and runs the gateguard binary, which Go's
# test cache cannot see, so a cached pass could hide a change to it.
# GATEGUARD_E2E_RACE=1: that binary is built with the race detector, and
# a race it reports fails the suite.
test: control-plane chart-tools vet build
	GATEGUARD_E2E_RACE=1 $(GO) test -count=1 -timeout 30m ./...

unit: vet
	$(GO) test ./rules/... ./webhook/... ./cmd/... ./certs/...

e2e: control-plane chart-tools
	$(GO) test -timeout 30m -count=1 ./e2e/...

vet:
	$(GO) vet ./...

# Builds (once) and caches kube-apiserver, etcd and kubectl for envtest.
control-plane:
	@bash hack/build-control-plane.sh >/dev/null

# Builds (once) and caches helm, promtool and dashboardmetrics for the chart's tests.
chart-tools:
	@bash hack/build-chart-tools.sh >/dev/null

# Runs gateguard for real: a local control plane, Istio's CRDs, gateguard
# registered, and the bundled examples applied with kubectl.
demo: control-plane
	$(GO) run ./e2e/demo

# The same rules on the bundled examples, with no cluster.
# Four examples are denied on purpose, so exit code 1 is the expected one.
check-examples:
	$(GO) run ./cmd/gateguard check --existing examples/00-cluster-state.yaml -f examples/; test $$? -eq 1

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./rules/... ./webhook/... ./cmd/...
