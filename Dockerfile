# The CI image for valora-k6: the custom k6 (k6 + k6/x/valora, static) at /usr/bin/k6, the bundled scenarios in
# /opt/valora-k6/dist, the stand-in Valora server at /usr/bin/valora-standin, CA certificates, /bin/sh and a
# non-root user. `make image` builds it from a clean checkout; docker/README.md shows how a CI job runs it.
#
# Base images are pinned by the digest of their multi-platform index, as docker-library/repo-info recorded them
# on 2026-09-19 (golang 1.26.8, node 22.23.2 and debian bookworm of 2026-09-18). To move on, replace the digests or
# pass --build-arg GO_IMAGE=… NODE_IMAGE=… RUNTIME_IMAGE=… (docker/verify.sh substitutes local images this way).
ARG GO_IMAGE=golang:1.26.8-bookworm@sha256:f4191582e1522dfc5980a6bdc0309a756f9697f3e7d0f199c7e26fc82ab324fd
ARG NODE_IMAGE=node:22-bookworm-slim@sha256:48e4b67d85f87bd551df43704e24d252f56cc5f8e9718841aace50f19948f0f9
ARG RUNTIME_IMAGE=debian:bookworm-20260918-slim@sha256:3783cc01769c7b2b1b83a5c5ad96c815348e28ed7da68e2e3687004faa906251

# Scenarios: the same npm ci and esbuild bundling as `make bundle`.
FROM ${NODE_IMAGE} AS scenarios
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY build/ build/
COPY scenarios/ scenarios/
RUN node build/bundle.mjs

# k6 and the stand-in: xk6 pinned by tools/go.mod, then the same xk6 build as `make k6`. The module and build
# caches are cache mounts, so a rebuild after a source change downloads and compiles only what changed.
FROM ${GO_IMAGE} AS binaries
ENV CGO_ENABLED=0 \
    GOMODCACHE=/cache/go-mod \
    GOCACHE=/cache/go-build
WORKDIR /src
COPY tools/go.mod tools/go.sum tools/
RUN --mount=type=cache,id=valora-k6-go-mod,target=/cache/go-mod \
    --mount=type=cache,id=valora-k6-go-build,target=/cache/go-build \
    cd tools && go build -o /usr/local/bin/xk6 go.k6.io/xk6/cmd/xk6
COPY go.mod go.sum *.go LICENSE NOTICE ./
COPY tools/licenses.sh tools/
COPY docs/licensing.md docs/
COPY extension/ extension/
COPY valoraid/ valoraid/
COPY internal/ internal/
COPY standin/ standin/
COPY cmd/ cmd/
# The Makefile's K6_VERSION; `make image` passes it. xk6 would also read it from the environment and then refuse
# the argument, hence env -u.
ARG K6_VERSION=v2.2.0
RUN --mount=type=cache,id=valora-k6-go-mod,target=/cache/go-mod \
    --mount=type=cache,id=valora-k6-go-build,target=/cache/go-build \
    mkdir -p /out \
 && env -u K6_VERSION xk6 build "$K6_VERSION" --with "$(go list -m)=." -o /out/k6 \
 && go build -trimpath -ldflags='-s -w' -o /out/valora-standin ./cmd/valora-standin \
 && /out/k6 version \
 && mkdir -p /out/doc \
 && tools/licenses.sh /out/doc/modules /out/k6 /out/valora-standin >/out/doc/licenses.spdx \
 && cp "$(find /out/doc/modules/go.k6.io -path "*@$K6_VERSION/LICENSE*" | head -n 1)" /out/doc/LICENSE.k6 \
 && cp LICENSE NOTICE docs/licensing.md /out/doc/

FROM ${RUNTIME_IMAGE}
ARG K6_VERSION=v2.2.0
# licenses: every licence of the software this image adds (docs/licensing.md). /usr/bin/k6 links k6, AGPL-3.0, so
# that binary as a whole is under the AGPL-3.0; our code is Apache-2.0; the rest are the Go modules compiled in,
# each listed with its text in /usr/share/doc/valora-k6/modules. docker/verify.sh checks this list against them.
# The Debian base's packages keep their own licences (/usr/share/doc/*/copyright).
LABEL org.opencontainers.image.title="valora-k6" \
      org.opencontainers.image.description="k6 ${K6_VERSION} with k6/x/valora, the Valora scenarios, the stand-in" \
      org.opencontainers.image.licenses="AGPL-3.0-only AND Apache-2.0 AND BSD-2-Clause AND BSD-3-Clause AND MIT AND MPL-2.0" \
      org.opencontainers.image.source="https://github.com/valora-k6/valora-k6"
# The slim base has no CA bundle; the golang build stage has Debian's ca-certificates.
COPY --from=binaries /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
# uid/gid 12345 as in grafana/k6, so setups written for that image (k6-operator, fsGroup) keep working.
RUN groupadd --gid 12345 k6 \
 && useradd --uid 12345 --gid 12345 --home-dir /home/k6 --create-home --shell /bin/sh k6 \
 && install -d -o 12345 -g 12345 /reports
COPY --from=binaries /out/k6 /out/valora-standin /usr/bin/
COPY --from=scenarios /src/dist/ /opt/valora-k6/dist/
# Licences, notices and where the corresponding source is: LICENSE (ours), LICENSE.k6 (k6's AGPL-3.0), NOTICE,
# licensing.md, and modules/ with the licence of every Go module in the binaries (modules.tsv lists them).
COPY --from=binaries /out/doc/ /usr/share/doc/valora-k6/
# Last, as it changes with every commit: the revision the image was built from (`make image` passes it), which
# names the corresponding source of /usr/bin/k6 in this repository.
ARG VCS_REF=unknown
LABEL org.opencontainers.image.revision="${VCS_REF}"
RUN printf 'valora-k6 revision %s\nk6 %s\nCorresponding source: see licensing.md, "Where the source is".\n' \
      "$VCS_REF" "$K6_VERSION" >/usr/share/doc/valora-k6/SOURCE
ENV REPORT_DIR=/reports \
    K6_NO_USAGE_REPORT=true
WORKDIR /opt/valora-k6
# Numeric, so that Kubernetes' runAsNonRoot can check it.
USER 12345:12345
CMD ["k6", "version"]
