# Interchange broker image: `docker build -t interchange .`
# Build stage: full toolchain (better-sqlite3 is a native module), compile TypeScript, drop dev deps.
FROM node:20-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY protocols ./protocols
RUN npm run build && npm prune --omit=dev

# Runtime stage: same Debian release as the build stage, so the native module matches.
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    INTERCHANGE_DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
# MQTT, MQTT/TLS, AMQP, AMQP/TLS, STOMP, STOMP/TLS, WebSocket, WebSocket/TLS, admin HTTP
EXPOSE 1883 8883 5672 5671 61613 61614 61618 61619 8162
# Healthy = the process answers on /healthz as active (200) or as standby (503 with role standby):
# a standby is doing its job. Load balancers must route on /healthz == 200 (active only).
HEALTHCHECK --interval=5s --timeout=2s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8162/healthz').then(async (r) => { const j = await r.json(); process.exit(j.role === 'active' || j.role === 'standby' ? 0 : 1); }, () => process.exit(1))"]
# SIGTERM: graceful stop (flush the store, release the lock). After losing the store lock the
# process exits 1: run it under a restart policy so it comes back as standby.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "dist/src/cli.js"]
CMD ["start"]
