#!/usr/bin/env bash
# Starts the local PostgreSQL 15 cluster when it is down, gives the postgres role a password for
# TCP logins, creates the databases the service and tests use, and exports DATABASE_URL.
# Source it (`. infra/postgres.sh`) to keep the export, or run it to just prepare the server.
set -euo pipefail
PG_PASSWORD="${PG_PASSWORD:-postgres}"
PG_DATABASES="${PG_DATABASES:-linkage linkage_test}"

if command -v pg_lsclusters >/dev/null 2>&1; then
  if pg_lsclusters --no-header 15 main 2>/dev/null | grep -q down; then
    pg_ctlcluster --skip-systemctl-redirect 15 main start
  fi
  su postgres -c "psql -q -c \"alter role postgres password '${PG_PASSWORD}'\"" >/dev/null
  for db in $PG_DATABASES; do
    su postgres -c "psql -tAc \"select 1 from pg_database where datname='${db}'\"" | grep -q 1 \
      || su postgres -c "createdb ${db}"
  done
else
  echo "infra/postgres.sh: no local PostgreSQL cluster tools; using DATABASE_URL as given" >&2
fi
export DATABASE_URL="${DATABASE_URL:-postgres://postgres:${PG_PASSWORD}@127.0.0.1:5432/linkage_test}"
