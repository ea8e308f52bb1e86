# Sourced by scripts/test.sh and scripts/demo.sh: finds nats-server (and, for the tests,
# docker-compose), installing it from the OS packages (apt-get) when it is missing and we are
# root or have sudo. Sets NATS_SERVER_BIN to its path, or to "" when it cannot be had (the
# caller says so).

find_nats_server() {
  NATS_SERVER_BIN="$(command -v nats-server 2>/dev/null || true)"
  if [ -z "$NATS_SERVER_BIN" ] && [ -x /usr/sbin/nats-server ]; then
    NATS_SERVER_BIN=/usr/sbin/nats-server # Debian installs it off an ordinary user's PATH
  fi
}

ensure_nats_server() {
  find_nats_server
  if [ -n "$NATS_SERVER_BIN" ]; then return 0; fi
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; else
      echo "nats-server is missing and installing it needs root or sudo"
      return 0
    fi
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "nats-server is missing and there is no apt-get to install it"
    return 0
  fi
  echo "installing nats-server: apt-get install -y nats-server"
  if ! $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y nats-server >/dev/null 2>&1; then
    $sudo apt-get update >/dev/null 2>&1 || true
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y nats-server >/dev/null 2>&1 || true
  fi
  # The package starts a system service where systemd runs; our tests and demo start their own.
  find_nats_server
  if [ -z "$NATS_SERVER_BIN" ]; then echo "could not install nats-server"; fi
}

# ensure_docker_compose: docker-compose from the OS packages (only `docker-compose config` is
# used: it validates docker-compose.yml without a Docker engine). Sets DOCKER_COMPOSE_BIN.
ensure_docker_compose() {
  DOCKER_COMPOSE_BIN="$(command -v docker-compose 2>/dev/null || true)"
  if [ -n "$DOCKER_COMPOSE_BIN" ]; then return 0; fi
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; else
      echo "docker-compose is missing and installing it needs root or sudo"
      return 0
    fi
  fi
  command -v apt-get >/dev/null 2>&1 || return 0
  echo "installing docker-compose: apt-get install -y docker-compose"
  if ! $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y docker-compose >/dev/null 2>&1; then
    $sudo apt-get update >/dev/null 2>&1 || true
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y docker-compose >/dev/null 2>&1 || true
  fi
  DOCKER_COMPOSE_BIN="$(command -v docker-compose 2>/dev/null || true)"
  if [ -z "$DOCKER_COMPOSE_BIN" ]; then echo "could not install docker-compose"; fi
}
