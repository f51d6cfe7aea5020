# Node 26, the Active LTS line since 2026-10-28 (Node 20 is past its end of life, and some of Yoga's
# runtime dependencies declare Node >= 22.15; the test suite still runs on Node 20).
# The dashboard is built with the dev dependencies (Vite, React) in a stage of its own; the image
# keeps only its static files.
FROM node:26-slim AS dashboard
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY scripts/build-dashboard.mjs ./scripts/
COPY client ./client
COPY dashboard ./dashboard
RUN node scripts/build-dashboard.mjs

FROM node:26-slim
WORKDIR /app
ENV NODE_ENV=production PORT=4000
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY tsconfig.json ./
COPY src ./src
COPY --from=dashboard /app/dashboard/dist ./dashboard/dist
EXPOSE 4000
# Unprivileged: the image's own `node` user.
USER node
# Healthy = ready: serving, with its engine reachable. During a drain /ready answers 503, so a
# stopping container turns unhealthy before it goes.
HEALTHCHECK --interval=5s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Exec form: node is PID 1 and receives SIGTERM itself (main.ts drains, then exits).
CMD ["node", "--import", "tsx", "src/main.ts"]
