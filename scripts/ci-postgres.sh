#!/usr/bin/env bash
# ci-postgres.sh — make sure a PostgreSQL server answers on 127.0.0.1:5432 with a
# database `test` that user `postgres` reaches without a password, then export
#   JUJIAO_TEST_PG=postgres://postgres@127.0.0.1:5432/test
# for the jujiao-store test suite (which fails, rather than skips, when it is set and the
# server does not answer).
#
# Usage (bash), either of:
#   source scripts/ci-postgres.sh            # exports JUJIAO_TEST_PG in this shell
#   eval "$(bash scripts/ci-postgres.sh)"    # prints `export JUJIAO_TEST_PG=…` on stdout
# Messages go to stderr. Exit/return status 0 when the database is ready, 1 otherwise.
#
# What it does, each step only if needed (so a second run does nothing and is quick):
#   0. JUJIAO_TEST_PG already set: use it as is, touch nothing.
#   1. A server answers on 127.0.0.1:5432: use it (create database `test` if psql can).
#   2. Otherwise (needs root, or sudo): apt-get update && apt-get install -y postgresql;
#      create a cluster if the package did not; start it (pg_ctlcluster on Debian/Ubuntu,
#      else initdb + pg_ctl as user postgres with data in /var/lib/postgresql/jujiao-ci);
#      put `host all all 127.0.0.1/32 trust` first in pg_hba.conf and reload;
#      create database `test`.
# Trust on 127.0.0.1 is for a throwaway CI machine; never run this on a shared server.

jujiao_ci_pg_log() { echo "ci-postgres: $*" >&2; }

# Runs a command as root: directly, or through sudo.
jujiao_ci_pg_root() {
    if [ "$(id -u)" = 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo -n "$@"
    else
        jujiao_ci_pg_log "need root (or sudo) to run: $*"
        return 1
    fi
}

# Runs a command as the postgres system user.
jujiao_ci_pg_as_postgres() {
    if [ "$(id -un)" = postgres ]; then
        "$@"
    elif [ "$(id -u)" = 0 ] && command -v runuser >/dev/null 2>&1; then
        runuser -u postgres -- "$@"
    elif [ "$(id -u)" = 0 ]; then
        su postgres -s /bin/sh -c "$(printf '%q ' "$@")"
    else
        sudo -n -u postgres "$@"
    fi
}

# True when something accepts connections on 127.0.0.1:5432.
jujiao_ci_pg_answers() {
    if command -v pg_isready >/dev/null 2>&1; then
        pg_isready -q -h 127.0.0.1 -p 5432 -t 2
    else
        (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null
    fi
}

jujiao_ci_pg_wait() {
    local i
    for i in $(seq 1 30); do
        jujiao_ci_pg_answers && return 0
        sleep 1
    done
    jujiao_ci_pg_log "the server did not start answering on 127.0.0.1:5432 within 30 s"
    return 1
}

# psql over TCP as postgres (works once trust is in place).
jujiao_ci_pg_psql() {
    psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p 5432 -U postgres -w "$@"
}

jujiao_ci_pg_create_test_db() {
    if ! command -v psql >/dev/null 2>&1; then
        jujiao_ci_pg_log "psql not found: assuming database 'test' exists"
        return 0
    fi
    local found
    if ! found=$(jujiao_ci_pg_psql -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname = 'test'"); then
        jujiao_ci_pg_log "cannot log in as postgres on 127.0.0.1:5432 without a password (is trust set in pg_hba.conf?)"
        return 1
    fi
    if [ "$found" = 1 ]; then
        jujiao_ci_pg_log "database 'test' exists"
    else
        jujiao_ci_pg_log "creating database 'test'"
        jujiao_ci_pg_psql -d postgres -c "CREATE DATABASE test" || return 1
    fi
}

jujiao_ci_pg_install() {
    if command -v pg_ctlcluster >/dev/null 2>&1 || ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1; then
        jujiao_ci_pg_log "PostgreSQL is installed"
        return 0
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        jujiao_ci_pg_log "no server answers and apt-get is not available: install PostgreSQL or set JUJIAO_TEST_PG"
        return 1
    fi
    jujiao_ci_pg_log "installing PostgreSQL (apt-get)"
    jujiao_ci_pg_root apt-get update -qq >&2 || return 1
    jujiao_ci_pg_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2 || return 1
}

# Starts the server (Debian cluster or a private data directory); echoes pg_hba.conf's path.
jujiao_ci_pg_start() {
    if command -v pg_ctlcluster >/dev/null 2>&1; then
        local version
        version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
        if [ -z "$version" ]; then
            jujiao_ci_pg_log "no version under /usr/lib/postgresql"
            return 1
        fi
        if [ ! -d "/etc/postgresql/$version/main" ]; then
            jujiao_ci_pg_log "creating cluster $version/main"
            jujiao_ci_pg_root pg_createcluster -p 5432 "$version" main >&2 || return 1
        fi
        jujiao_ci_pg_log "starting cluster $version/main"
        # Already running (for example on another address) is fine.
        jujiao_ci_pg_root pg_ctlcluster "$version" main start >&2 ||
            jujiao_ci_pg_root pg_ctlcluster "$version" main status >/dev/null 2>&1 || return 1
        echo "/etc/postgresql/$version/main/pg_hba.conf"
        return 0
    fi
    local bin data
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    data=/var/lib/postgresql/jujiao-ci
    if [ ! -f "$data/PG_VERSION" ]; then
        jujiao_ci_pg_log "initdb $data"
        jujiao_ci_pg_root mkdir -p "$data" && jujiao_ci_pg_root chown postgres "$data" || return 1
        jujiao_ci_pg_as_postgres "$bin/initdb" -D "$data" -U postgres -E UTF8 --locale=C.UTF-8 --auth-local=peer --auth-host=scram-sha-256 >&2 || return 1
    fi
    jujiao_ci_pg_log "starting $bin/postgres on $data"
    jujiao_ci_pg_as_postgres "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w \
        -o "-c listen_addresses=127.0.0.1 -p 5432" start >&2 || return 1
    echo "$data/pg_hba.conf"
}

# Puts a trust line for 127.0.0.1 first in pg_hba.conf (once) and reloads.
jujiao_ci_pg_trust() {
    local hba=$1 mark="# jujiao ci-postgres.sh: trust 127.0.0.1 for tests"
    if jujiao_ci_pg_root grep -qF "$mark" "$hba"; then
        return 0
    fi
    jujiao_ci_pg_log "adding trust for 127.0.0.1 to $hba"
    local tmp
    tmp=$(mktemp) || return 1
    { echo "$mark"; echo "host all all 127.0.0.1/32 trust"; jujiao_ci_pg_root cat "$hba"; } >"$tmp" &&
        jujiao_ci_pg_root cp "$tmp" "$hba" || { rm -f "$tmp"; return 1; }
    rm -f "$tmp"
    jujiao_ci_pg_as_postgres psql -X -q -c "SELECT pg_reload_conf()" >/dev/null ||
        { jujiao_ci_pg_log "could not reload the configuration"; return 1; }
}

jujiao_ci_postgres() {
    if [ -n "${JUJIAO_TEST_PG:-}" ]; then
        jujiao_ci_pg_log "JUJIAO_TEST_PG is already set; using it as is"
        return 0
    fi
    if jujiao_ci_pg_answers; then
        jujiao_ci_pg_log "a server answers on 127.0.0.1:5432"
    else
        jujiao_ci_pg_log "no server answers on 127.0.0.1:5432"
        jujiao_ci_pg_install || return 1
        local hba
        hba=$(jujiao_ci_pg_start) || return 1
        jujiao_ci_pg_wait || return 1
        jujiao_ci_pg_trust "$hba" || return 1
    fi
    jujiao_ci_pg_create_test_db || return 1
    JUJIAO_TEST_PG=postgres://postgres@127.0.0.1:5432/test
    jujiao_ci_pg_log "ready: JUJIAO_TEST_PG=$JUJIAO_TEST_PG"
}

if [ "${BASH_SOURCE[0]}" != "$0" ]; then
    # Sourced: export into the caller's shell, report failure without exiting it.
    if jujiao_ci_postgres; then
        export JUJIAO_TEST_PG
    else
        jujiao_ci_pg_log "PostgreSQL is not ready"
        false
    fi
else
    if jujiao_ci_postgres; then
        printf 'export JUJIAO_TEST_PG=%q\n' "$JUJIAO_TEST_PG"
    else
        jujiao_ci_pg_log "PostgreSQL is not ready"
        exit 1
    fi
fi
