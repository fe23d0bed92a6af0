#!/usr/bin/env bash
# Deploys the CDK app into LocalStack (free edition) with a local Kafka broker standing in for MSK:
# brings up docker-compose.yml, waits for LocalStack and the topics, bootstraps and deploys every stack
# of stage "local" with cdklocal, and prints the REST API URL. Undo with destroy.sh.
#
# Environment: DEBUG=1 (LocalStack debug logs), LOCALSTACK_IMAGE / LOCALSTACK_AUTH_TOKEN / KAFKA_IMAGE /
# DOCKER_SOCKET (see docker-compose.yml), LOCALSTACK_WAIT_SECONDS (default 180).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
PROJECT=order-saga-localstack
COMPOSE=(docker compose -p "$PROJECT" -f "$HERE/docker-compose.yml")
CDKLOCAL_VERSION=3.0.4
ENDPOINT=http://localhost:4566
ACCOUNT=000000000000
REGION=us-east-1
STAGE=local
# A bring-your-own cluster: the ARN only scopes IAM policies (nothing calls MSK, since the brokers are
# given), the brokers are the compose service, and clients connect in plaintext.
MSK_CLUSTER_ARN="arn:aws:kafka:$REGION:$ACCOUNT:cluster/local/00000000-0000-0000-0000-000000000000-1"
KAFKA_BROKERS=kafka:9092
SERVICES=(lambda dynamodb dynamodbstreams apigateway sqs sns events logs iam sts cloudformation ssm s3 ec2
  cloudwatch kms secretsmanager stepfunctions)
WAIT_SECONDS="${LOCALSTACK_WAIT_SECONDS:-180}"
WORK="$ROOT/.local/localstack-docker"

die() {
  echo "deploy.sh: $*" >&2
  exit 1
}
step() { echo "==> $*"; }

command -v docker >/dev/null 2>&1 || die "docker is not installed (this mode needs Docker; 'npm start' does not)"
docker info >/dev/null 2>&1 || die "cannot reach the Docker engine: is it running, and may this user use it?"
docker compose version >/dev/null 2>&1 || die "Docker Compose v2 ('docker compose') is required"
command -v node >/dev/null 2>&1 || die "Node.js is required"
[[ -d "$ROOT/node_modules/aws-cdk" ]] || die "dependencies are missing: run 'npm ci' in $ROOT first"

step "Starting LocalStack and Kafka"
"${COMPOSE[@]}" up -d

step "Waiting for LocalStack at $ENDPOINT (up to ${WAIT_SECONDS}s)"
# Ready when every service this deployment uses reports "available" or "running".
if ! node --input-type=module - "$ENDPOINT/_localstack/health" "$WAIT_SECONDS" "${SERVICES[@]}" <<'EOF'; then
const [url, seconds, ...wanted] = process.argv.slice(2);
const deadline = Date.now() + Number(seconds) * 1000;
let missing = wanted;
while (Date.now() < deadline) {
  try {
    const health = await (await fetch(url)).json();
    missing = wanted.filter((name) => !['available', 'running'].includes(health.services?.[name]));
    if (missing.length === 0) {
      console.log(`LocalStack ${health.version ?? ''} (${health.edition ?? 'unknown edition'}) is ready`);
      process.exit(0);
    }
  } catch {
    // not listening yet
  }
  await new Promise((resolve) => setTimeout(resolve, 2000));
}
console.error(`not ready; services not available: ${missing.join(', ')}`);
process.exit(1);
EOF
  die "LocalStack did not become ready; see '${COMPOSE[*]} logs localstack'"
fi

step "Waiting for the Kafka topics"
init_container="$("${COMPOSE[@]}" ps -a -q kafka-init)"
[[ -n "$init_container" ]] || die "the kafka-init container was not created"
state=unknown
exit_code=""
for ((waited = 0; waited < WAIT_SECONDS; waited += 2)); do
  status="$(docker inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$init_container")" ||
    die "cannot inspect the kafka-init container"
  state="${status% *}"
  exit_code="${status#* }"
  [[ "$state" == exited ]] && break
  sleep 2
done
[[ "$state" == exited ]] || die "topic creation did not finish; see '${COMPOSE[*]} logs kafka kafka-init'"
[[ "$exit_code" == 0 ]] || die "topic creation failed; see '${COMPOSE[*]} logs kafka-init'"

# cdklocal is pinned and fetched by npx; it drives the project's own aws-cdk CLI (found via NODE_PATH).
# Synthesis goes to .local/, so the cdk.out that 'npm start' runs is left alone.
mkdir -p "$WORK"
cdklocal() {
  (
    cd "$ROOT"
    AWS_REGION="$REGION" AWS_DEFAULT_REGION="$REGION" AWS_ENVAR_ALLOWLIST=AWS_REGION,AWS_DEFAULT_REGION \
      NODE_PATH="$ROOT/node_modules${NODE_PATH:+:$NODE_PATH}" \
      npx --yes "aws-cdk-local@$CDKLOCAL_VERSION" "$@"
  )
}
CONTEXT=(
  -c "stage=$STAGE"
  -c "mskClusterArn=$MSK_CLUSTER_ARN"
  -c "mskBootstrapBrokers=$KAFKA_BROKERS"
  -c kafkaAuth=none
  -c kafkaEventSources=bridge
  -c nag=false
)

step "Bootstrapping aws://$ACCOUNT/$REGION"
cdklocal bootstrap "aws://$ACCOUNT/$REGION" "${CONTEXT[@]}" --output "$WORK/cdk.out"

step "Deploying every stack of stage $STAGE"
cdklocal deploy --all --require-approval never "${CONTEXT[@]}" \
  --output "$WORK/cdk.out" --outputs-file "$WORK/outputs.json"

# The ApiUrl output has the AWS form https://<api-id>.execute-api.<region>.<suffix>/<stage>/; LocalStack
# serves the same API under the two local forms printed here.
node --input-type=module - "$WORK/outputs.json" "OrderSaga-$STAGE-Orders" <<'EOF'
import { readFileSync } from 'node:fs';
const [file, stack] = process.argv.slice(2);
const apiUrl = JSON.parse(readFileSync(file, 'utf8'))[stack]?.ApiUrl;
const match = /^https?:\/\/([^.]+)\.execute-api\.[^/]+\/([^/]+)\/?$/.exec(apiUrl ?? '');
if (!match) {
  console.error(`no ApiUrl output of the expected form in ${file} (got ${apiUrl})`);
  process.exit(1);
}
const [, apiId, stage] = match;
console.log(`
Order API (REST API ${apiId}, stage ${stage}):
  http://localhost:4566/restapis/${apiId}/${stage}/_user_request_/
  http://${apiId}.execute-api.localhost.localstack.cloud:4566/${stage}/
Try: curl http://localhost:4566/restapis/${apiId}/${stage}/_user_request_/health
Stack outputs: ${file}

The Kafka consumers run through the bridge (LocalStack has no Kafka event source mappings):
  npm run bridge`);
EOF
