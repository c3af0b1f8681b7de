#!/usr/bin/env bash
# The set-up behind `npm test`: PostgreSQL up (with DATABASE_URL), a fresh Kafka mock cluster
# (with KAFKA_BROKERS), then the given command; the mock cluster is stopped afterwards.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/postgres.sh"
if [ -z "${KAFKA_BROKERS:-}" ]; then
  . "$here/kafka-mock.sh"
  kafka_mock_start
  trap kafka_mock_stop EXIT
fi
echo "test environment: DATABASE_URL=${DATABASE_URL%%@*}@… KAFKA_BROKERS=$KAFKA_BROKERS" | sed 's#//[^:]*:[^@]*@#//***@#'
"$@"
