# syntax=docker/dockerfile:1
# Commons on Node.js 22 LTS. Build: docker build -t commons .
# The image runs in production mode, so it needs the settings README.md's table says are
# required in production (see "Running it for real" there, and docker-compose.yml).

# --- build: compile the TypeScript into dist/ ------------------------------------------------
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY migrations ./migrations
RUN npm run build

# --- runtime: production dependencies, the compiled code, templates and static files --------
FROM node:22-bookworm-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000
# npm start's memory settings (README, "Running it for real"), as variables so they can be changed:
# the heap cap, a collection once started, and glibc's allocator giving freed memory back.
ENV NODE_OPTIONS="--max-old-space-size=128 --expose-gc"
ENV GLIBC_TUNABLES=glibc.malloc.mmap_threshold=131072:glibc.malloc.trim_threshold=131072

# argon2 is a native module: its package ships prebuilt binaries for linux-x64 and
# linux-arm64 (glibc, as in this Debian image), so no build tools are needed. On a platform
# without one, install python3, make and g++ here and let npm ci compile it.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force

COPY --from=build /app/dist ./dist
# views/ and static/ are found next to package.json at run time.
COPY views ./views
COPY static ./static

# Everything above belongs to root and is read-only to the app. In production Commons writes
# nothing to disk (DATA_DIR is only used by the embedded database, the development mailbox and
# a generated session secret, none of which production allows).
USER node
EXPOSE 3000

# Liveness only: /healthz has no dependencies. Load balancers should use /readyz.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# Not `npm start`: its prestart step compiles TypeScript, and the compiler is not in this image.
# Node is PID 1 and handles SIGTERM itself, shutting down in order within 40 s
# (use `docker stop -t 45`).
CMD ["node", "dist/src/server.js"]
