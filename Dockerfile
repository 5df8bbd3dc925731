# syntax=docker/dockerfile:1
#
# LeapOCR self-hosted server as one executable on a small glibc base.
#
#   docker build -t leapocr .
#   docker run -p 8080:8080 -v leapocr-data:/data leapocr
#
# Read-only root file system: keep a writable, exec-allowed /tmp (the binary unpacks its native
# addons and libvips there and loads them from it), e.g.
#   docker run --read-only --tmpfs /tmp:rw,exec,nosuid,size=256m -v leapocr-data:/data leapocr

############################ build ############################
# Node 22: several pinned packages (openai 7, @google/genai 3, Scalar) declare engines node >= 22.
# linux/amd64 only: the binary embeds sharp's linux-x64 addon and libvips (src/lib/sharp.ts).
FROM --platform=linux/amd64 node:22-bookworm-slim AS build
WORKDIR /src

# Dependencies first, so this layer is cached until package*.json change.
# The `bun` npm package brings the Bun release (linux-x64) used to compile.
COPY package.json package-lock.json* ./
RUN if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi

COPY . .
RUN npm run build \
 && ./dist/leapocr --help > /dev/null

############################ runtime ############################
FROM --platform=linux/amd64 debian:bookworm-slim AS runtime

# ca-certificates: HTTPS to model providers, S3 and webhook targets.
# libstdc++6/libgcc-s1: needed by the sharp addon and libvips (already in the base; listed so the
# requirement is explicit).
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libstdc++6 libgcc-s1 \
 && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 leapocr \
 && useradd --system --uid 10001 --gid leapocr --home-dir /data --no-create-home --shell /usr/sbin/nologin leapocr \
 && mkdir -p /data \
 && chown leapocr:leapocr /data

COPY --from=build --chown=root:root --chmod=0755 /src/dist/leapocr /app/leapocr

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
  CMD ["/app/leapocr", "healthcheck"]

STOPSIGNAL SIGTERM
ENTRYPOINT ["/app/leapocr"]
CMD ["serve"]
