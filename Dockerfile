# gateguard's image: a static binary on distroless, running as 65532:65532.
#
#   make image                                  # docker build --build-arg VERSION=$(VERSION) -t gateguard:$(VERSION) .
#   docker build --build-arg VERSION=v1.2.3 -t REGISTRY/gateguard:v1.2.3 .
#   docker buildx build --platform linux/amd64,linux/arm64 ...   # cross-compiled, no emulation
#
# Needs BuildKit (the default builder since Docker 23; `RUN --mount` below).
# The binary is built by hack/build.sh, the same script `make build` runs.

# The builder runs on the build host's platform and cross-compiles for the
# target one (TARGETOS/TARGETARCH, set by BuildKit).
FROM --platform=$BUILDPLATFORM golang:1.26 AS build
WORKDIR /src

# Modules first, as their own layer: it is rebuilt only when go.mod or go.sum change.
COPY go.mod go.sum ./
RUN go mod download

COPY . .
ARG VERSION=dev
ARG TARGETOS
ARG TARGETARCH
RUN --mount=type=cache,target=/root/.cache/go-build \
    GOOS="$TARGETOS" GOARCH="$TARGETARCH" VERSION="$VERSION" bash ./hack/build.sh /out/gateguard

# No shell, no package manager: CA certificates, tzdata and /etc/passwd only.
FROM gcr.io/distroless/static:nonroot
COPY --from=build /out/gateguard /gateguard
USER 65532:65532
ENTRYPOINT ["/gateguard"]
