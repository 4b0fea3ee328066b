#!/usr/bin/env bash
# Build the chart's test tools from source through the Go module proxy, into
# a version-keyed cache, as hack/build-control-plane.sh does for the control
# plane:
#
#   ${GATEGUARD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gateguard}/charttools/<helm>-<prometheus>-<sum>/
#
#   helm               helm.sh/helm/v3/cmd/helm
#   promtool           github.com/prometheus/prometheus/cmd/promtool
#   dashboardmetrics   the metrics a Grafana dashboard's PromQL names (e2e/charttools)
#
# The versions are pinned by e2e/charttools/go.mod (+ go.sum); <sum> hashes
# that module's files, so a bump or a change to dashboardmetrics is a new key.
# The cache directory is the LAST line of stdout (progress goes to stderr).
# A warm cache returns at once; a cold build takes a few minutes.
set -euo pipefail

mod_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/../e2e/charttools" && pwd)"
cd "$mod_dir"
export GOWORK=off       # never let a go.work elsewhere change the pinned graph
export CGO_ENABLED=0    # static binaries, as in the official releases

log() { echo "build-chart-tools: $*" >&2; }
modfield() { go list -mod=readonly -m -f "{{$2}}" "$1"; }

helm_version="$(modfield helm.sh/helm/v3 .Version)"
prom_version="$(modfield github.com/prometheus/prometheus .Version)"
sum="$(cat go.mod go.sum $(find . -name '*.go' | sort) | sha256sum | cut -c1-12)"
cache_root="${GATEGUARD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gateguard}/charttools"
dest="$cache_root/$helm_version-$prom_version-$sum"
tools=(helm promtool dashboardmetrics)

cached() { for t in "${tools[@]}"; do [[ -x $1/$t ]] || return 1; done; }
if cached "$dest"; then
  log "cache hit: $dest"
  echo "$dest"
  exit 0
fi

# Build beside the destination and rename into place, so an interrupted
# build never leaves a half-filled cache dir.
mkdir -p "$cache_root"
tmp="$(mktemp -d "$cache_root/.build-$helm_version-$prom_version.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM HUP
chmod 755 "$tmp"

build() { # build <output name> <package> [extra go build flags...]
  local out=$1 pkg=$2; shift 2
  log "building $out from $pkg ..."
  local start=$SECONDS
  go build -mod=readonly -trimpath "$@" -o "$tmp/$out" "$pkg" >&2
  log "built $out in $((SECONDS - start))s"
}

# helm's Makefile sets its version and the Kubernetes version its
# capabilities default to (client-go's minor, major 1) through ldflags.
k8s_minor="$(modfield k8s.io/client-go .Version | cut -d. -f2)"
helm_ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$helm_version -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
for pkg in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
  helm_ldflags+=" -X $pkg.k8sVersionMajor=1 -X $pkg.k8sVersionMinor=$k8s_minor"
done
# Prometheus tags v0.3XX.Y for its 3.XX.Y release (v0.316.0 is 3.16.0).
prom_minor="$(echo "$prom_version" | cut -d. -f2)"
prom_release="3.$((10#$prom_minor - 300)).$(echo "$prom_version" | cut -d. -f3)"
log "building helm $helm_version, promtool $prom_version into $dest"
build helm helm.sh/helm/v3/cmd/helm -ldflags "$helm_ldflags"
build promtool github.com/prometheus/prometheus/cmd/promtool \
  -ldflags "-s -w -X github.com/prometheus/common/version.Version=$prom_release"
build dashboardmetrics ./dashboardmetrics -ldflags "-s -w"

mv -T "$tmp" "$dest" 2>/dev/null || cached "$dest" # a concurrent run published first
log "done: $dest"
echo "$dest"
