#!/usr/bin/env bash
# A throw-away Postgres for the tests: a cluster in a temporary folder, on a free loopback port.
#
#   eval "$(.ci/postgres.sh start)"    # exports SOURCING_TEST_POSTGRES_URL and SOURCING_PG_DIR
#   cargo test -p sourcing-ledger --features postgres
#   .ci/postgres.sh stop "$SOURCING_PG_DIR"
#
# Installs Debian's `postgresql` when no server binaries are found (root only). As root the server runs as the
# `postgres` user (it refuses root). Nothing outside the temporary folder is touched.
set -euo pipefail

find_bin() {
    local dir
    for dir in /usr/lib/postgresql/*/bin; do
        [ -x "$dir/initdb" ] && { echo "$dir"; return 0; }
    done
    command -v initdb >/dev/null 2>&1 && { dirname "$(command -v initdb)"; return 0; }
    return 1
}

as_server() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
    local bin dir port
    if ! bin=$(find_bin); then
        if [ "$(id -u)" = 0 ]; then
            echo "postgres.sh: installing postgresql (apt-get)" >&2
            (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >&2
            bin=$(find_bin)
        else
            echo "postgres.sh: no Postgres server binaries (initdb) and not root to install them" >&2
            exit 1
        fi
    fi
    dir=$(mktemp -d /tmp/sourcing-pg.XXXXXX)
    chmod 755 "$dir"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as_server "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    as_server "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=on" start >&2 \
        || { cat "$dir/server.log" >&2; exit 1; }
    echo "$bin" >"$dir/bin"
    echo "export SOURCING_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:$port/postgres"
    echo "export SOURCING_PG_DIR=$dir"
}

stop() {
    local dir=${1:?usage: postgres.sh stop DIR}
    [ -f "$dir/bin" ] || { echo "postgres.sh: $dir is not a cluster started by this script" >&2; exit 1; }
    as_server "$(cat "$dir/bin")/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || true
    rm -rf "$dir"
}

case "${1:-}" in
    start) start ;;
    stop) stop "${2:-}" ;;
    *) echo "usage: $0 start | stop DIR" >&2; exit 2 ;;
esac
