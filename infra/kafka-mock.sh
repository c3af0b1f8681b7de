#!/usr/bin/env bash
# Starts librdkafka's mock cluster (a real Kafka-protocol broker, 3 brokers) through kcat and
# exports KAFKA_BROKERS. It lives as long as its stdin stays open; `kafka_mock_stop` ends it.
# Source it (`. infra/kafka-mock.sh`), or run `infra/kafka-mock.sh serve` to keep one in the
# foreground for a person to use (Ctrl-C stops it).
# Retention: the mock keeps at most 5 MiB (and 100,000 message sets) per partition and deletes
# the oldest beyond it, read or not (rdkafka_mock.c, max_size/max_cnt; no test.mock.* property
# changes it). Publishers hold the event writer's unread bytes per partition below
# LINKAGE_WRITER_MAX_LAG_BYTES (2 MiB) for that reason; see docs/OPERATIONS.md.
set -euo pipefail
KAFKA_MOCK_LOG="${KAFKA_MOCK_LOG:-${TMPDIR:-/tmp}/linkage-kafka-mock.$$.log}"

if ! command -v kcat >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && apt-get install -y -qq kcat) >/dev/null
  else
    echo "infra/kafka-mock.sh: kcat is not installed (apt-get install -y kcat)" >&2
    exit 1
  fi
fi

kafka_mock_start() {
  : >"$KAFKA_MOCK_LOG"
  setsid bash -c "sleep infinity | kcat -X test.mock.num.brokers=3 -b localhost:1 -P -t _boot -d mock" \
    2>"$KAFKA_MOCK_LOG" >/dev/null &
  KAFKA_MOCK_PID=$!
  local servers=""
  for _ in $(seq 1 100); do
    servers=$(grep -o 'bootstrap.servers=[^ ]*' "$KAFKA_MOCK_LOG" | head -1 | cut -d= -f2 || true)
    [ -n "$servers" ] && break
    sleep 0.1
  done
  if [ -z "$servers" ]; then
    echo "infra/kafka-mock.sh: the mock cluster did not print its bootstrap servers" >&2
    return 1
  fi
  export KAFKA_BROKERS="$servers"
  export KAFKA_MOCK_PID
}

kafka_mock_stop() {
  [ -n "${KAFKA_MOCK_PID:-}" ] && kill -- "-$KAFKA_MOCK_PID" 2>/dev/null || true
}

if [ "${1:-}" = serve ]; then
  kafka_mock_start
  echo "KAFKA_BROKERS=$KAFKA_BROKERS"
  trap kafka_mock_stop EXIT INT TERM
  wait "$KAFKA_MOCK_PID"
fi
