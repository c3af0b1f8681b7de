#!/usr/bin/env bash
# The set-up behind `npm test`: PostgreSQL up (with DATABASE_URL), a fresh Kafka mock cluster
# (with KAFKA_BROKERS), then the given command; the mock cluster is stopped afterwards.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/postgres.sh"
# The web page's browser tests drive Debian's chromium through playwright-core (no browser
# downloads): install the package when it is missing.
if [ ! -x /usr/bin/chromium ]; then
  sudo_if_needed() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
  sudo_if_needed apt-get install -y --no-install-recommends chromium ||
    { sudo_if_needed apt-get update && sudo_if_needed apt-get install -y --no-install-recommends chromium; }
fi
if [ -z "${KAFKA_BROKERS:-}" ]; then
  . "$here/kafka-mock.sh"
  kafka_mock_start
  trap kafka_mock_stop EXIT
fi
echo "test environment: DATABASE_URL=${DATABASE_URL%%@*}@… KAFKA_BROKERS=$KAFKA_BROKERS" | sed 's#//[^:]*:[^@]*@#//***@#'
"$@"
