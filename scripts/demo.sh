#!/usr/bin/env bash
# The demo (`npm run demo`): installs what is missing (npm ci when node_modules is missing or
# stale; nats-server from the OS packages), then runs demo/main.ts with the arguments given.
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

if ! command -v node >/dev/null 2>&1; then
  echo "node is required (Node >= 20)"
  exit 1
fi
if [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  echo "Node >= 20 is required, found $(node --version)"
  exit 1
fi
if ! node scripts/install-is-current.mjs; then
  echo "demo: installing dependencies (npm ci)"
  npm ci --no-audit --no-fund >/dev/null || { echo "npm ci failed"; exit 1; }
fi
# shellcheck source=scripts/nats-server.sh
. scripts/nats-server.sh
ensure_nats_server
export FLOTILLA_NATS_SERVER="$NATS_SERVER_BIN"
exec node_modules/.bin/tsx --conditions=@flotilla/source demo/main.ts "$@"
