#!/usr/bin/env bash
# Tears down what deploy.sh started: LocalStack (and with it every deployed stack; the free edition
# keeps no state across restarts), the Lambda containers it started, Kafka, the compose network and
# volumes, and the synthesized output under .local/localstack-docker.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
PROJECT=order-saga-localstack
NETWORK=order-saga-localstack
COMPOSE=(docker compose -p "$PROJECT" -f "$HERE/docker-compose.yml")

command -v docker >/dev/null 2>&1 || {
  echo "destroy.sh: docker is not installed" >&2
  exit 1
}

# Stopping LocalStack first lets it remove the Lambda containers it started; any left on the
# project's network would keep the network from being removed.
echo "==> Stopping LocalStack"
"${COMPOSE[@]}" stop localstack || true
leftovers="$(docker ps -aq --filter "network=$NETWORK")"
if [[ -n "$leftovers" ]]; then
  echo "==> Removing containers left on network $NETWORK"
  # shellcheck disable=SC2086 # one container id per word
  docker rm -f $leftovers >/dev/null
fi

echo "==> Removing the compose services, network and volumes"
"${COMPOSE[@]}" down --volumes --remove-orphans

rm -rf "$ROOT/.local/localstack-docker"
echo "Done."
