#!/usr/bin/env bash
# amqplib's own integration tests (test/channel_api.test.js, test/callback_api.test.js from the
# amqplib repository) against an Interchange broker started here.
#
#   test/third-party/amqplib-suite.sh [AMQPLIB_CHECKOUT]
#
# The broker listens on 5672 (AMQP_PORT overrides; the callback API tests always use 5672).
# AMQPLIB_CHECKOUT: a checkout of github.com/amqp-node/amqplib (default: a shallow clone of the
# tag matching the installed amqplib, into a temporary directory; needs network). The suite uses
# the checkout's own library (the tests require '../channel_api'), with only Node's built-in test
# runner. Not part of `npm test` (it needs the network for the clone); results are recorded in
# docs/amqp091-third-party.md. Exit status: the test runner's.
set -euo pipefail
# BROKER_TREE: the broker tree to run (default: this one).
cd "${BROKER_TREE:-$(dirname "$0")/../..}"
work=$(mktemp -d /tmp/interchange-amqplib.XXXXXX)
broker_pid=
cleanup() {
  [[ -n "$broker_pid" ]] && kill "$broker_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

src=${1:-}
if [[ -z "$src" ]]; then
  version=$(node -p "require('amqplib/package.json').version")
  src="$work/amqplib"
  git clone -q --depth 1 --branch "v$version" https://github.com/amqp-node/amqplib.git "$src" 2>/dev/null \
    || git clone -q --depth 1 https://github.com/amqp-node/amqplib.git "$src"
fi
[[ -f "$src/test/channel_api.test.js" ]] || { echo "not an amqplib checkout: $src" >&2; exit 2; }

# callback_api.test.js connects to amqp://localhost with no URL override: the broker takes 5672.
port=${AMQP_PORT:-5672}
if node -e "require('net').connect($port,'127.0.0.1').on('connect',()=>process.exit(0)).on('error',()=>process.exit(1))"; then
  echo "port $port is in use: stop what listens there (the callback API tests need amqp://localhost)" >&2
  exit 2
fi
npx tsx src/cli.ts start --data-dir "$work/data" --amqp-port "$port" --mqtt-port off --stomp-port off \
  --ws-port off --admin-port off --log-level warn > "$work/broker.log" 2>&1 &
broker_pid=$!
for _ in $(seq 1 100); do
  if node -e "require('net').connect($port,'127.0.0.1').on('connect',()=>process.exit(0)).on('error',()=>process.exit(1))"; then break; fi
  sleep 0.2
done

echo "amqplib $(node -p "require('$src/package.json').version") suite against Interchange on port $port"
status=0
(cd "$src" && URL="amqp://127.0.0.1:$port" node --test --test-timeout=10000 --test-reporter=spec \
  test/channel_api.test.js test/callback_api.test.js) > "$work/suite.log" 2>&1 || status=$?
cat "$work/suite.log"
if [[ $status -ne 0 ]]; then
  echo "--- broker log (warnings and errors) ---"
  tail -50 "$work/broker.log"
fi
exit $status
