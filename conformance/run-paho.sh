#!/usr/bin/env bash
# Runs the Eclipse Paho interoperability suites (MQTT 3.1.1 and 5.0 client tests, Python) against the
# gateway's broker for applications, through the loopback sandbox listener (anonymous clients are
# applications of the sandbox tenant there).
#
#   conformance/run-paho.sh <path to a clone of https://github.com/eclipse-paho/paho.mqtt.testing>
#
# Needs NATS with JetStream on NATS_URL (default nats://127.0.0.1:4222) and /usr/bin/python3. The suite
# is not vendored: it is fetched from its own repository, and is not part of `pnpm test` (CI reaches only
# the npm registry and Debian).
set -euo pipefail
suite="${1:?usage: conformance/run-paho.sh <paho.mqtt.testing checkout>}/interoperability"
root="$(cd "$(dirname "$0")/.." && pwd)"
port="${PAHO_SANDBOX_PORT:-18984}"
namespace="paho$RANDOM"
log="$(mktemp)"
NATS_URL="${NATS_URL:-nats://127.0.0.1:4222}" FLOTILLA_NAMESPACE="$namespace" HTTP_HOST=127.0.0.1 HTTP_PORT=0 \
  MQTT_HOST=127.0.0.1 MQTT_PORT=0 MQTT_SANDBOX_PORT="$port" MQTT_RECONNECT_RATE= LOG_LEVEL=warn \
  node --import tsx "$root/services/mqtt-gateway/src/main.ts" >"$log" 2>&1 &
gateway=$!
trap 'kill $gateway 2>/dev/null || true; wait $gateway 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 100); do
  (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.2
done
cd "$suite"
# The suites read their settings from globals their own __main__ sets; set them and run unittest.
run() {
  /usr/bin/python3 - "$port" "$1" <<'PY'
import sys, unittest, logging, importlib
port, module = int(sys.argv[1]), sys.argv[2]
t = importlib.import_module(module)
t.host, t.port = '127.0.0.1', port
prefix = 'client_test5/' if module == 'client_test5' else ''
t.topic_prefix = prefix
t.topics = [prefix + x for x in ["TopicA", "TopicA/B", "Topic/C", "TopicA/C", "/TopicA"]]
t.wildtopics = [prefix + x for x in ["TopicA/+", "+/C", "#", "/#", "/+", "+/+", "TopicA/#"]]
t.nosubscribe_topics = ("test/nosubscribe",)
logging.getLogger().setLevel(logging.CRITICAL)
result = unittest.main(module=t, argv=[module], verbosity=2, exit=False).result
print(f"{module}: {result.testsRun - len(result.failures) - len(result.errors)}/{result.testsRun} passed")
for test, _ in result.failures + result.errors:
    print(f"  not passed: {test.id()}")
PY
}
run client_test
run client_test5
