# Production image of the Mediation Data Hub.
# The local store (mongo-java-server, for development) is not part of this image: set HUB_MONGODB_URL.

# The console (/console) and GraphiQL's page: built here with npm from the lock file, served by the hub.
FROM node:20-slim AS console
WORKDIR /build/console
COPY console/package.json console/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY schema/schema.graphql /build/schema/schema.graphql
COPY console/ ./
RUN npm run build

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --system --gid 10001 hub \
 && useradd --system --uid 10001 --gid hub --home-dir /var/lib/hub --no-create-home \
        --shell /usr/sbin/nologin hub \
 && mkdir -p /var/lib/hub \
 && chown hub:hub /var/lib/hub \
 && chmod 0700 /var/lib/hub

WORKDIR /src
COPY pyproject.toml README.md ./
COPY hub/ hub/
COPY schema/ schema/
COPY resolvers/ resolvers/
COPY seeds/ seeds/
RUN pip install --no-cache-dir .
COPY --from=console /build/console/dist /opt/hub/console

ENV HUB_HOST=0.0.0.0 \
    HUB_PORT=8000 \
    HUB_ENV=production \
    HUB_DATA_DIR=/var/lib/hub \
    HUB_CONSOLE_DIR=/opt/hub/console

# Run from the data dir so the source copy in /src never shadows the installed package.
WORKDIR /var/lib/hub
USER hub

EXPOSE 8000

# Liveness only; readiness (database reachable) is GET /readyz.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('HUB_PORT', '8000'), timeout=4)"]

CMD ["hub", "serve"]
