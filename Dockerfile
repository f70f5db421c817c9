# One image for the three services; IDSTREAM_ROLES or the command picks what a container runs.
FROM node:20-bookworm-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
RUN npm i -g pnpm@10.34.9
WORKDIR /app
COPY . .
RUN pnpm install --frozen-lockfile

FROM node:20-bookworm-slim
WORKDIR /app
COPY --from=build /app /app
ENV NODE_ENV=production PORT=9011
EXPOSE 9011
USER node
CMD ["node", "--import", "tsx", "services/api/src/main.ts"]
