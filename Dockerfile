# LeapOCR self-hosted server as one executable on a small glibc base.
#
#   docker build -t leapocr .
#   docker run -p 8080:8080 -v leapocr-data:/data leapocr
#   docker exec <container> leapocr admin create      # the binary is on PATH
#
# Read-only root file system: keep a writable, exec-allowed /tmp (the binary unpacks its native
# addons and libvips there and loads them from it), e.g.
#   docker run --read-only --tmpfs /tmp:rw,exec,nosuid,size=256m -v leapocr-data:/data leapocr
#
# Offline or mirrored builds (docs/OPERATIONS.md "Docker"): this file needs no frontend image
# (no `# syntax` line) and no BuildKit-only instruction, so the classic builder and BuildKit both
# build it from base images that are already loaded (`docker load`, or a registry mirror).
# Network during the build: the npm registry (NPM_REGISTRY, with EXTRA_CA_CERT for a company
# proxy) and the runtime base image's Debian mirror for ca-certificates.
#
# Base images: pass them pinned by digest, as resolved from your registry or mirror:
#   docker buildx imagetools inspect node:22-bookworm-slim      # "Digest: sha256:..."
#   docker build --build-arg BUILD_IMAGE=node:22-bookworm-slim@sha256:<digest> \
#                --build-arg RUNTIME_IMAGE=debian:bookworm-slim@sha256:<digest> -t leapocr .
# The defaults are tags so that an image loaded locally under its tag (which has no registry
# digest) builds as it is.
ARG BUILD_IMAGE=node:22-bookworm-slim
ARG RUNTIME_IMAGE=debian:bookworm-slim

############################ build ############################
# Node 22: several pinned packages (openai 7, @google/genai 3, Scalar) declare engines node >= 22.
# linux/amd64 only: the binary embeds sharp's linux-x64 addon and libvips (src/lib/sharp.ts).
FROM ${BUILD_IMAGE} AS build
WORKDIR /src

# A registry mirror (e.g. https://npm.example.internal/) and an extra CA certificate (PEM text,
# e.g. --build-arg EXTRA_CA_CERT="$(cat company-ca.pem)") for a TLS-intercepting proxy.
ARG NPM_REGISTRY=
ARG EXTRA_CA_CERT=
ENV npm_config_update_notifier=false \
    npm_config_fund=false \
    npm_config_audit=false

# Dependencies first, so this layer is cached until package*.json change.
# The `bun` npm package brings the Bun release (linux-x64) used to compile.
COPY package.json package-lock.json ./
RUN set -e; \
    if [ -n "$EXTRA_CA_CERT" ]; then printf '%s\n' "$EXTRA_CA_CERT" > /src/.extra-ca.pem; export NODE_EXTRA_CA_CERTS=/src/.extra-ca.pem; fi; \
    if [ -n "$NPM_REGISTRY" ]; then export npm_config_registry="$NPM_REGISTRY"; fi; \
    npm ci; \
    rm -f /src/.extra-ca.pem

COPY . .
RUN npm run build \
 && ./dist/leapocr --help > /dev/null

############################ runtime ############################
FROM ${RUNTIME_IMAGE} AS runtime

ARG DEBIAN_FRONTEND=noninteractive
# ca-certificates: HTTPS to model providers, S3 and webhook targets.
# libstdc++6/libgcc-s1: needed by the sharp addon and libvips (already in the base; listed so the
# requirement is explicit).
# The caches go in the same layer (a base without Debian's docker-clean hook would keep ~90 MB).
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libstdc++6 libgcc-s1 \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin

RUN groupadd --system --gid 10001 leapocr \
 && useradd --system --uid 10001 --gid leapocr --home-dir /data --no-create-home --shell /usr/sbin/nologin leapocr \
 && mkdir -p /data /app \
 && chown leapocr:leapocr /data \
 && ln -s /usr/local/bin/leapocr /app/leapocr

# The compiled binary is already mode 0755; COPY keeps the mode (no --chmod, which the classic
# builder does not know). /app/leapocr stays as a link for older scripts.
COPY --from=build /src/dist/leapocr /usr/local/bin/leapocr

# TMPDIR must be writable and allow exec: Bun unpacks the embedded native addons there and the
# server unpacks libvips to $TMPDIR/leapocr-native-<uid> (a private 0700 directory). /tmp is
# world-writable with the sticky bit in this image, and stays so when replaced by --tmpfs.
ENV LEAPOCR_DATA_DIR=/data \
    LEAPOCR_HOST=0.0.0.0 \
    LEAPOCR_PORT=8080 \
    TMPDIR=/tmp

USER leapocr:leapocr
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080

# The binary checks itself: GET http://127.0.0.1:$LEAPOCR_PORT/api/v1/health, exit 0 or 1.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["leapocr", "healthcheck"]

STOPSIGNAL SIGTERM
ENTRYPOINT ["leapocr"]
CMD ["serve"]
