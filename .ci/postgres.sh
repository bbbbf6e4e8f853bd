#!/usr/bin/env bash
# Start a throwaway PostgreSQL server on loopback for the test suite (sourced by .ci/run, as root).
# Exports STRIDE_TEST_POSTGRES_URL and stops the server when the calling shell exits.
set -euo pipefail

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    echo "ci: installing Debian's postgresql for the PostgreSQL tests"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq postgresql >/dev/null
fi
PG_BIN="$(dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")"
PG_DIR="$(mktemp -d /tmp/stride-pg.XXXXXX)"
PG_PORT="${STRIDE_CI_PG_PORT:-55432}"
chown postgres "$PG_DIR"
runuser -u postgres -- "$PG_BIN/initdb" -D "$PG_DIR/data" --auth=trust -U postgres >/dev/null
runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -c unix_socket_directories=$PG_DIR" start >/dev/null
runuser -u postgres -- "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres stride_test
stop_postgres() { runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast stop >/dev/null || true; }
trap stop_postgres EXIT
export STRIDE_TEST_POSTGRES_URL="postgresql+psycopg://postgres@127.0.0.1:$PG_PORT/stride_test"
echo "ci: PostgreSQL ready at $STRIDE_TEST_POSTGRES_URL"
