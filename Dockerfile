# The function app as a container for the aks-keda stack (infra/), on the official Azure Functions
# Node 22 base image. Build context: the repository root. Not built in CI here (no Docker engine);
# `az acr build` builds it in the registry without a local engine (see infra/README.md).

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
ENV AzureWebJobsScriptRoot=/home/site/wwwroot \
    AzureFunctionsJobHost__Logging__Console__IsEnabled=true \
    FUNCTIONS_WORKER_RUNTIME=node \
    NODE_ENV=production
WORKDIR /home/site/wwwroot
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --workspaces=false --no-audit --no-fund && npm cache clean --force
COPY host.json ./
COPY --from=build /src/dist ./dist
