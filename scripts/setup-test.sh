#!/usr/bin/env bash
# Installs what the test suite needs beyond npm packages, only when it is missing:
# redis-server (the Redis engine's tests start their own), Chromium (the GraphiQL end-to-end test),
# docker-compose (to validate docker-compose.yml; no Docker engine is needed) and nginx (the
# rolling-restart test runs deploy/nginx.conf in front of the instances, unprivileged, on free ports)
# and iproute2's `ss` (a test reads the accept queue's depth of a listening socket).
set -euo pipefail

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
# Debian installs nginx in /usr/sbin, which is not on every user's PATH.
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || missing+=(nginx)
[ -x /usr/bin/ss ] || [ -x /bin/ss ] || command -v ss >/dev/null 2>&1 || missing+=(iproute2)

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup:test: redis-server, chromium, docker-compose, nginx and ss are present."
  exit 0
fi

echo "setup:test: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
