# The function app as a container for the aks-keda stack (infra/), on the official Azure Functions
# Node 22 base image. Build context: the repository root. Not built in CI here (no Docker engine);
# `npm run deploy -- --stack aks-keda` builds it in the registry (`az acr build`), no local engine needed.

# --- build: compile TypeScript to dist/ ------------------------------------------------------------
FROM mcr.microsoft.com/azure-functions/node:4-node22 AS build
WORKDIR /src
COPY package.json package-lock.json ./
# Workspaces off: the infra workspace (cdktf, providers: hundreds of MB) never enters the image.
# Scripts off: compiling needs no native modules (better-sqlite3 is a local-only dev dependency).
RUN npm ci --workspaces=false --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY functions ./functions
COPY shared ./shared
RUN npm run build

# --- runtime: production dependencies, host.json and dist/ only -------------------------------------
FROM mcr.microsoft.com/azure-functions/node:4-node22
# Not root, and no privileged port: the host listens on 8080 (ASPNETCORE_URLS; the base image's
# default is 80), and runs as a numeric user, which Kubernetes can check against runAsNonRoot.
# The pods (infra/src/aks-keda/function-workloads.ts) expose, probe and scrape the same port.
ENV AzureWebJobsScriptRoot=/home/site/wwwroot \
    AzureFunctionsJobHost__Logging__Console__IsEnabled=true \
    FUNCTIONS_WORKER_RUNTIME=node \
    NODE_ENV=production \
    ASPNETCORE_URLS=http://+:8080 \
    HOME=/home/etl
RUN groupadd --gid 10001 etl && useradd --uid 10001 --gid 10001 --home-dir /home/etl --create-home --shell /usr/sbin/nologin etl
WORKDIR /home/site/wwwroot
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --workspaces=false --no-audit --no-fund && npm cache clean --force
COPY host.json ./
COPY --from=build /src/dist ./dist
EXPOSE 8080
USER 10001:10001
