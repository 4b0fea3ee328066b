#!/usr/bin/env bash
# Runs gateguard for real in a kind cluster and the e2e suite against it:
#
#   1. creates kind cluster "gateguard" (or reuses it),
#   2. builds the image from the Dockerfile and loads it into the cluster,
#   3. installs Istio's CRDs from the istio.io/api module of go.mod, the
#      Gateway API's standard CRDs from sigs.k8s.io/gateway-api and
#      GatewayClass istio (as istiod would),
#   4. installs gateguard: manifests/overlays/self-signed, or with
#      --cert-manager, cert-manager's release manifest (the version of go.mod)
#      and manifests/overlays/cert-manager,
#   5. waits until gateguard is rolled out and its webhooks have a CA bundle,
#   6. runs the e2e suite against the cluster:
#        KUBECONFIG=... GATEGUARD_E2E_EXISTING_CLUSTER=1 go test ./e2e/...
#      (the suite's existing-cluster mode is not implemented yet: without it
#      the suite starts its own control plane as usual.)
#
# Usage: e2e/kind/run.sh [--cert-manager] [--no-tests] [--name NAME] [--kubeconfig PATH]
#
#   --cert-manager     serving certificate from cert-manager instead of gateguard's own
#   --no-tests         stop once gateguard serves (e.g. to dry-run manifests against it in CI)
#   --name NAME        kind cluster name (default gateguard)
#   --kubeconfig PATH  where to write the cluster's kubeconfig
#                      (default .cache/kind/NAME/kubeconfig in the repository)
#
# Every kubectl here uses that kubeconfig alone, never $KUBECONFIG or
# ~/.kube/config, so nothing is ever installed into another cluster.
# Environment: KIND_NODE_IMAGE (node image; default: kind's), CERT_MANAGER_VERSION
# (default: github.com/cert-manager/cert-manager's version in go.mod).
# Needs docker (with BuildKit), kind, kubectl and go. The cluster is left
# running; delete it with: kind delete cluster --name NAME
set -euo pipefail

usage() { sed -n '2,/^set -euo pipefail$/{/^#/s/^# \{0,1\}//p;}' "${BASH_SOURCE[0]}"; }

cluster=gateguard overlay=self-signed tests=1 kubeconfig=
while (($#)); do
  case "$1" in
  --cert-manager) overlay=cert-manager ;;
  --no-tests) tests=0 ;;
  --name) cluster="${2:?--name needs a value}"; shift ;;
  --kubeconfig) kubeconfig="${2:?--kubeconfig needs a value}"; shift ;;
  -h | --help) usage; exit 0 ;;
  *) usage >&2; exit 2 ;;
  esac
  shift
done

log() { printf '\n==> %s\n' "$*" >&2; }

# retry N CMD...: for what fails until a webhook just installed serves.
retry() {
  local n="$1" i
  shift
  for ((i = 1; ; i++)); do
    "$@" && return 0
    ((i < n)) || return 1
    sleep 5
  done
}

for cmd in docker kind kubectl go; do
  command -v "$cmd" >/dev/null || { echo "run.sh: $cmd not found on PATH" >&2; exit 1; }
done

if [[ -n $kubeconfig && $kubeconfig != /* ]]; then kubeconfig="$PWD/$kubeconfig"; fi
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
work="$repo/.cache/kind/$cluster" # git- and docker-ignored
kubeconfig="${kubeconfig:-$work/kubeconfig}"
mkdir -p "$work" "$(dirname "$kubeconfig")"
export KUBECONFIG="$kubeconfig"

log "kind cluster $cluster"
if kind get clusters 2>/dev/null | grep -qx "$cluster"; then
  kind get kubeconfig --name "$cluster" >"$kubeconfig"
else
  kind create cluster --name "$cluster" --kubeconfig "$kubeconfig" ${KIND_NODE_IMAGE:+--image "$KIND_NODE_IMAGE"}
fi

log "image"
version="$(git describe --tags --always --dirty 2>/dev/null || echo dev)"
DOCKER_BUILDKIT=1 docker build --build-arg VERSION="$version" --iidfile "$work/image-id" -t gateguard:kind .
# Tagged by content, so a rebuilt image rolls the Deployment and an unchanged one does not.
image="gateguard:kind-$(cut -c8-19 "$work/image-id")"
docker tag gateguard:kind "$image"
if ! kind load docker-image "$image" --name "$cluster"; then
  # Docker's containerd image store can export references kind's import
  # rejects (kubernetes-sigs/kind#3795): load an archive of this platform only.
  docker save --platform "$(docker image inspect --format '{{.Os}}/{{.Architecture}}' "$image")" -o "$work/image.tar" "$image"
  kind load image-archive "$work/image.tar" --name "$cluster"
fi

log "Istio CRDs"
go mod download istio.io/api
istio_crds="$(go list -m -f '{{.Dir}}' istio.io/api)/kubernetes/customresourcedefinitions.gen.yaml"
kubectl apply --server-side --force-conflicts -f "$istio_crds"
kubectl wait --for condition=Established --timeout 60s -f "$istio_crds"

log "Gateway API CRDs (standard channel) and GatewayClass istio"
go mod download sigs.k8s.io/gateway-api
gateway_crds="$(go list -m -f '{{.Dir}}' sigs.k8s.io/gateway-api)/config/crd/standard"
kubectl apply --server-side --force-conflicts -f "$gateway_crds" # with its safe-upgrades policy
kubectl wait --for condition=Established --timeout 60s crd --all
# istiod would create the class; there is no istiod in this cluster.
kubectl apply -f - <<'YAML'
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: istio}
spec: {controllerName: istio.io/gateway-controller}
YAML

if [[ $overlay == cert-manager ]]; then
  cm_version="${CERT_MANAGER_VERSION:-$(go list -m -f '{{.Version}}' github.com/cert-manager/cert-manager)}"
  log "cert-manager $cm_version"
  kubectl apply -f "https://github.com/cert-manager/cert-manager/releases/download/$cm_version/cert-manager.yaml"
  kubectl -n cert-manager wait --for condition=Available --timeout 5m deployment --all
fi

log "gateguard ($overlay overlay, $image)"
# The overlay with the image just loaded, as a user's overlay would set it.
cat >"$work/kustomization.yaml" <<EOF
# Written by e2e/kind/run.sh.
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- ../../../manifests/overlays/$overlay
images:
- name: gateguard
  newTag: ${image#gateguard:}
EOF
# Retried: cert-manager's own webhook may not serve yet for the Issuer and Certificate.
retry 12 kubectl apply -k "$work"
kubectl -n gateguard-system rollout status deployment/gateguard --timeout 5m

# Patched in by gateguard itself (self-signed) or cert-manager's cainjector.
ca_bundles_missing() {
  local kind
  for kind in validatingwebhookconfiguration mutatingwebhookconfiguration; do
    kubectl get "$kind" gateguard -o go-template='{{range .webhooks}}{{if not .clientConfig.caBundle}}{{.name}} {{end}}{{end}}' ||
      echo "$kind/gateguard "
  done
}
for ((i = 0; i < 60; i++)); do
  [[ -z "$(ca_bundles_missing)" ]] && break
  sleep 2
done
missing="$(ca_bundles_missing)"
[[ -z $missing ]] || { echo "run.sh: no CA bundle on webhooks: $missing" >&2; exit 1; }

if ((tests)); then
  log "e2e suite against kind cluster $cluster"
  GATEGUARD_E2E_EXISTING_CLUSTER=1 go test -count=1 -timeout 30m ./e2e/...
fi

log "gateguard serves in kind cluster $cluster"
echo "  export KUBECONFIG=$kubeconfig"
echo "  kind delete cluster --name $cluster   # when done"
