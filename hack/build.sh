#!/usr/bin/env bash
# The one build command for the gateguard binary: `make build` and the
# Dockerfile both run this script, so a local binary and the image's are
# built the same way.
#
#   VERSION=v1.2.3 hack/build.sh OUTPUT
#
# VERSION (default "dev") is stamped into main.version (`gateguard version`,
# the SARIF tool version). GOOS and GOARCH, when set, cross-compile (the
# Dockerfile sets them from the target platform); GO names the go command
# (default go). The binary is static (CGO_ENABLED=0), so it runs on
# distroless/static.
set -euo pipefail

out="${1:?usage: hack/build.sh OUTPUT}"
case "$out" in
/*) ;;
*) out="$PWD/$out" ;;
esac
cd "$(dirname "${BASH_SOURCE[0]}")/.."

CGO_ENABLED=0 exec "${GO:-go}" build -trimpath -ldflags "-s -w -X main.version=${VERSION:-dev}" -o "$out" ./cmd/gateguard
