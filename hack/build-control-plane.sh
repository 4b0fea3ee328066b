#!/usr/bin/env bash
# Build a real control plane (kube-apiserver + etcd, and kubectl if none is on
# PATH) from source through the Go module proxy, into a version-keyed cache:
#
#   ${GATEGUARD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gateguard}/controlplane/<k8s>-<etcd>/
#
# No Docker and no release downloads are needed: the versions are pinned by
# e2e/controlplane/go.mod (+ go.sum), so bumping them there changes the cache key.
# The cache directory is the LAST line of stdout (progress goes to stderr), so
#
#   export KUBEBUILDER_ASSETS=$(hack/build-control-plane.sh)
#
# gives controller-runtime's envtest the kube-apiserver, etcd and kubectl it wants.
# A warm cache returns in about a second; a cold build takes several minutes.
set -euo pipefail

mod_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/../e2e/controlplane" && pwd)"
cd "$mod_dir"
export GOWORK=off       # never let a go.work elsewhere change the pinned graph
export CGO_ENABLED=0    # static binaries, as in the official releases; no C toolchain needed

log() { echo "build-control-plane: $*" >&2; }
modfield() { go list -mod=readonly -m -f "{{$2}}" "$1"; }

k8s_version="$(modfield k8s.io/kubernetes .Version)"         # e.g. v1.37.2
etcd_version="$(modfield go.etcd.io/etcd/server/v3 .Version)" # e.g. v3.7.0
cache_root="${GATEGUARD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gateguard}/controlplane"
dest="$cache_root/$k8s_version-$etcd_version"

# kubectl: use the one on PATH (symlinked, so envtest finds all three in one
# dir); build it only when there is none. A kubectl already in the cache dir
# wins; a dangling link (PATH changed) is redone.
link_kubectl() {
  local kubectl
  if kubectl="$(command -v kubectl)"; then
    ln -sfn "$kubectl" "$1/kubectl"
    return 0
  fi
  return 1
}

if [[ -x $dest/kube-apiserver && -x $dest/etcd ]] && { [[ -x $dest/kubectl ]] || link_kubectl "$dest"; }; then
  log "cache hit: $dest"
  echo "$dest"
  exit 0
fi

# Build into a temp dir beside the destination and rename it into place at the
# end, so an interrupted or failed build never leaves a half-filled cache dir.
mkdir -p "$cache_root"
tmp="$(mktemp -d "$cache_root/.build-$k8s_version-$etcd_version.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM HUP # make sure the EXIT cleanup runs on Ctrl-C / kill too
chmod 755 "$tmp" # mktemp makes it 0700
if [[ -d $dest ]]; then cp -a "$dest/." "$tmp/"; fi # e.g. only kubectl was missing

# Same ldflags as kubernetes' hack/lib/version.sh, so `kubectl version` reports
# the real server version (a plain `go build` says v0.0.0-master). The module's
# publish time stands in for the build date, which keeps the build reproducible;
# the proxy does not tell the git commit, so gitCommit is left empty.
major_minor="${k8s_version#v}"
major="${major_minor%%.*}"
minor="${major_minor#*.}" && minor="${minor%%.*}"
build_date="$(modfield k8s.io/kubernetes '.Time.UTC.Format "2006-01-02T15:04:05Z"')"
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$build_date -X $pkg.gitCommit="
done

# -mod=readonly: the committed go.sum must already cover everything (fails
# loudly instead of silently re-resolving). Default -p (= cores) suits 2 cores.
build() { # build <output name> <package> [extra go build flags...]
  local out=$1 pkg=$2; shift 2
  [[ -x $tmp/$out ]] && return 0
  rm -f "$tmp/$out" # e.g. a dangling kubectl symlink copied from an old cache dir
  log "building $out from $pkg ..."
  local start=$SECONDS
  go build -mod=readonly -trimpath "$@" -o "$tmp/$out" "$pkg" >&2
  log "built $out in $((SECONDS - start))s"
}

log "building control plane $k8s_version / etcd $etcd_version into $dest (cold build: several minutes)"
build kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver -ldflags "$ldflags"
# etcd's main package is the root of the server module; its version is a
# constant in go.etcd.io/etcd/api/v3/version, so no ldflags are needed.
build etcd go.etcd.io/etcd/server/v3 -ldflags "-s -w"
link_kubectl "$tmp" || build kubectl k8s.io/kubernetes/cmd/kubectl -ldflags "$ldflags"

# Atomic publish by rename. $dest can only exist here if its kubectl went
# missing (move the old dir aside first) or a concurrent run just published
# (then its result is as good as ours).
if [[ -e $dest ]]; then
  old="$(mktemp -d "$cache_root/.old.XXXXXX")"
  trap 'rm -rf "$tmp" "$old"' EXIT
  mv -T "$dest" "$old/d" 2>/dev/null || true
fi
mv -T "$tmp" "$dest" 2>/dev/null || [[ -x $dest/kube-apiserver && -x $dest/etcd ]]
log "done: $dest"
echo "$dest"
