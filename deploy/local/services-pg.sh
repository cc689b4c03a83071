# shellcheck shell=bash disable=SC2154 # the arguments' variables are set by deploy/local/services
# deploy/local/services' PostgreSQL: the server's directories and configuration, start (initdb, the venue
# role and database) and status. Sourced by deploy/local/services after its arguments are read (STATE,
# PIDS, LOGS, want_pg, pg_port, ephemeral); runs nothing else.

# --- PostgreSQL --------------------------------------------------------------------------------

PG_DIR=$STATE/pg
PG_DATA=$PG_DIR/data
PG_RUN=$PG_DIR/run
PG_PIDFILE=$PIDS/postgres.pid
PG_LOG=$LOGS/postgres.log

# Runs a command as the server's user: postgres when we are root, ourselves otherwise.
as_pg() {
  if is_root; then
    (cd / && runuser -u "$PG_USER" -- "$@")
  else
    "$@"
  fi
}

# When root, the postgres user must be able to reach DIR: give every ancestor that it cannot
# traverse the "x" bit for others (traverse only, no listing), and say so.
ensure_pg_can_reach() {
  is_root || return 0
  local d=$1
  local -a chain=()
  while [[ $d != / ]]; do
    chain=("$d" "${chain[@]}")
    d="$(dirname "$d")"
  done
  for d in "${chain[@]}"; do # from the top down: a blocked parent hides its children
    if ! runuser -u "$PG_USER" -- test -x "$d" 2>/dev/null; then
      log "postgres: chmod o+x $d so that the $PG_USER user can reach $1"
      chmod o+x "$d"
    fi
  done
}

pg_url() { printf 'postgresql://venue:%s@127.0.0.1:%s/venue\n' "$(cat "$PG_DIR/password")" "$(cat "$PG_DIR/port")"; }

pg_write_conf() { # PORT
  [[ $PG_RUN != *"'"* ]] || die "state dir path must not contain a quote: $STATE"
  {
    echo "# written by deploy/local/services on every start"
    echo "listen_addresses = '127.0.0.1'"
    echo "port = $1"
    echo "unix_socket_directories = '$PG_RUN'"
    echo "unix_socket_permissions = 0700"
    echo "logging_collector = off"
    echo "log_line_prefix = '%m [%p] %q%u@%d '"
    echo "log_timezone = 'UTC'"
    echo "timezone = 'UTC'"
    if $ephemeral; then
      echo "# --ephemeral: a throw-away test database, durability traded for speed"
      echo "fsync = off"
      echo "synchronous_commit = off"
      echo "full_page_writes = off"
    fi
  } | as_pg tee "$PG_DATA/venue.conf" >/dev/null
}

pg_start() {
  local pid
  if pid="$(pidfile_alive "$PG_PIDFILE")"; then
    log "postgres: already running (pid $pid, port $(cat "$PG_DIR/port"))"
    return 0
  fi
  [[ -x $VENUE_PG_BIN/postgres ]] || die "no PostgreSQL in $VENUE_PG_BIN: run ci/setup (or set VENUE_PG_BIN)"
  local sock="$PG_RUN/.s.PGSQL.65535"
  ((${#sock} < 100)) || die "state dir path too long for a unix socket ($sock): use a shorter --state-dir"

  mkdir -p "$PG_DIR" "$PG_RUN"
  if [[ ! -s $PG_DIR/password ]]; then
    (umask 077 && od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$PG_DIR/password")
  fi
  touch "$PG_LOG"
  if is_root; then
    ensure_pg_can_reach "$STATE"
    chown "$PG_USER:" "$PG_DIR" "$PG_RUN" "$PG_LOG"
    chmod 700 "$PG_DIR" "$PG_RUN"
  fi

  if [[ ! -f $PG_DATA/PG_VERSION ]]; then
    log "postgres: initdb in $PG_DATA"
    rm -rf "$PG_DATA"
    local -a initdb_opts=(-D "$PG_DATA" -U postgres -E UTF8 --locale=C.UTF-8
      --auth-local=trust --auth-host=scram-sha-256 --no-instructions)
    $ephemeral && initdb_opts+=(--no-sync)
    # Authentication: the superuser "postgres" has no password and connects only through the unix
    # socket in DIR/pg/run (trust; the directory is mode 0700, so only the server's user and root
    # get there). Over TCP (127.0.0.1 only) every role needs its password (scram-sha-256): the
    # venue role's is in DIR/pg/password and in VENUE_PG_URL. Good enough for a dev/test harness,
    # and close to production, where the URL also carries credentials.
    as_pg "$VENUE_PG_BIN/initdb" "${initdb_opts[@]}" >>"$PG_LOG" 2>&1 ||
      { show_tail "$PG_LOG"; die "initdb failed"; }
    echo "include_if_exists = 'venue.conf'" | as_pg tee -a "$PG_DATA/postgresql.conf" >/dev/null
  fi

  local attempt port prev from
  prev="$(cat "$PG_DIR/port" 2>/dev/null || true)"
  for ((attempt = 1; attempt <= START_ATTEMPTS; attempt++)); do
    if [[ -n $pg_port ]]; then
      port=$pg_port
      port_is_free "$port" || die "postgres: port $port on 127.0.0.1 is in use"
    elif [[ $attempt -eq 1 && -n $prev ]] && port_is_free "$prev"; then
      port=$prev
    else
      port="$(free_ports 1)"
    fi
    pg_write_conf "$port"
    echo "$port" >"$PG_DIR/port"
    from=$(($(stat -c %s "$PG_LOG") + 1))
    log "postgres: starting on 127.0.0.1:$port (data $PG_DATA)"
    # shellcheck disable=SC2094 # pg_ctl and the server both append to the log
    if as_pg "$VENUE_PG_BIN/pg_ctl" start -D "$PG_DATA" -l "$PG_LOG" -w -t "${VENUE_PG_START_TIMEOUT:-60}" -s \
      >>"$PG_LOG" 2>&1; then
      break
    fi
    if [[ -z $pg_port ]] && tail -c "+$from" "$PG_LOG" | grep -qE 'could not bind|Address already in use|could not create any TCP/IP sockets'; then
      warn "postgres: port $port was taken before the server bound it; trying another"
      continue
    fi
    show_tail "$PG_LOG"
    die "postgres did not start (log: $PG_LOG)"
  done
  ((attempt <= START_ATTEMPTS)) || { show_tail "$PG_LOG"; die "postgres: no free port after $START_ATTEMPTS attempts"; }

  pid="$(head -n 1 "$PG_DATA/postmaster.pid")"
  write_pidfile "$PG_PIDFILE" "$pid" || die "postgres: the postmaster (pid $pid) is gone; see $PG_LOG"

  # The venue's role and database. The password only travels on stdin.
  "$VENUE_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_RUN" -p "$port" -U postgres -d postgres \
    >>"$PG_LOG" 2>&1 <<SQL || { show_tail "$PG_LOG"; die "postgres: could not create role/database venue"; }
SELECT 'CREATE ROLE venue' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'venue') \gexec
ALTER ROLE venue WITH LOGIN CREATEDB PASSWORD '$(cat "$PG_DIR/password")';
SELECT 'CREATE DATABASE venue OWNER venue' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'venue') \gexec
SQL

  local url
  url="$(pg_url)"
  wait_until 30 "$VENUE_PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" -d venue ||
    { show_tail "$PG_LOG"; die "postgres: pg_isready fails on port $port"; }
  [[ $("$VENUE_PG_BIN/psql" -X -At "$url" -c 'select 1' 2>>"$PG_LOG") == 1 ]] ||
    { show_tail "$PG_LOG"; die "postgres: 'select 1' as venue over TCP failed"; }
  log "postgres: ready on 127.0.0.1:$port (pid $pid), database venue, role venue"
}

pg_status() {
  local pid
  if pid="$(pidfile_alive "$PG_PIDFILE")"; then
    echo "postgres: running, pid $pid, 127.0.0.1:$(cat "$PG_DIR/port"), data $PG_DATA, log $PG_LOG"
    return 0
  elif [[ -f $PG_PIDFILE ]]; then
    echo "postgres: NOT running (stale pid file $PG_PIDFILE), log $PG_LOG"
    return 1
  fi
  echo "postgres: stopped"
  return 2
}
