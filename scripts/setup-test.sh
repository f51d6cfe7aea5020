#!/usr/bin/env bash
# Installs what the test suite needs beyond npm packages, only when it is missing:
# redis-server (the Redis engine's tests start their own), Chromium (the GraphiQL end-to-end test)
# and docker-compose (to validate docker-compose.yml; no Docker engine is needed).
set -euo pipefail

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup:test: redis-server, chromium and docker-compose are present."
  exit 0
fi

echo "setup:test: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
