# shellcheck shell=bash
# Shared helpers for ci/setup and the deploy/local scripts. Source it; it defines functions and
# a few variables and runs nothing else.
#
#   VENUE_REPO       the repository root
#   VENUE_CACHE      downloaded tools (Kafka jars, Prometheus): ${VENUE_CACHE:-$HOME/.cache/venue}
#   VENUE_LOG_PREFIX the word in front of every message: the calling script's name

VENUE_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENUE_CACHE="${VENUE_CACHE:-${HOME:-/root}/.cache/venue}"
VENUE_LOG_PREFIX="$(basename "$0")"
VENUE_PG_BIN="${VENUE_PG_BIN:-/usr/lib/postgresql/15/bin}"

log() { printf '%s: %s\n' "$VENUE_LOG_PREFIX" "$*"; }
warn() { printf '%s: warning: %s\n' "$VENUE_LOG_PREFIX" "$*" >&2; }
die() {
  printf '%s: error: %s\n' "$VENUE_LOG_PREFIX" "$*" >&2
  exit 1
}

is_root() { [[ $(id -u) -eq 0 ]]; }

# The Kafka version is the one the pom asks for; the jars live in a folder named after it.
kafka_version() {
  sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$VENUE_REPO/deploy/local/kafka/pom.xml" | head -n 1
}
kafka_home() { printf '%s/kafka-%s\n' "$VENUE_CACHE" "$(kafka_version)"; }
kafka_libs() {
  if [[ -n ${VENUE_KAFKA_LIBS:-} ]]; then
    printf '%s\n' "$VENUE_KAFKA_LIBS"
  else
    printf '%s/libs\n' "$(kafka_home)"
  fi
}
# Fingerprint of the pom: the marker holds it, so a changed pom downloads again.
kafka_pom_sum() { sha256sum "$VENUE_REPO/deploy/local/kafka/pom.xml" | cut -d ' ' -f 1; }
kafka_installed() {
  [[ -n ${VENUE_KAFKA_LIBS:-} ]] && return 0
  local marker
  marker="$(kafka_home)/.complete"
  [[ -f $marker && $(cat "$marker") == "$(kafka_pom_sum)" ]]
}
require_kafka() {
  kafka_installed || die "Kafka jars missing in $(kafka_libs): run ci/setup first"
  command -v java >/dev/null || die "java not found: run ci/setup first"
}

prometheus_bin_dir() { printf '%s/bin\n' "$VENUE_CACHE"; }
require_prometheus() {
  [[ -x "$(prometheus_bin_dir)/prometheus" ]] || die "prometheus missing in $(prometheus_bin_dir): run ci/setup first"
}

# --- ports -----------------------------------------------------------------------------------

# Prints N distinct free TCP ports on 127.0.0.1, below the kernel's ephemeral range (see
# free_ports.py). Another process can still bind one first: callers retry a start that fails on it.
free_ports() { python3 "$VENUE_REPO/deploy/local/free_ports.py" "${1:-1}"; }

# True when nothing listens on 127.0.0.1:PORT (and we may bind it).
port_is_free() {
  python3 - "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
finally:
    s.close()
PY
}

# True when something accepts TCP connections on 127.0.0.1:PORT.
port_is_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# --- processes and pid files -----------------------------------------------------------------
# A pid file holds "PID STARTTIME" (STARTTIME: field 22 of /proc/PID/stat), so a pid that the
# kernel reused for another process is never mistaken for ours.

# Prints "STATE STARTTIME" of process PID (fields 3 and 22 of /proc/PID/stat).
proc_state_start() {
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  stat="${stat##*) }" # the command name may contain spaces and parentheses; later fields do not
  # shellcheck disable=SC2086
  set -- $stat
  printf '%s %s\n' "$1" "${20}"
}
proc_starttime() {
  local state start
  read -r state start < <(proc_state_start "$1") || return 1
  [[ -n $start ]] || return 1
  printf '%s\n' "$start"
}

write_pidfile() { # PIDFILE PID
  local start
  start="$(proc_starttime "$2")" || return 1
  printf '%s %s\n' "$2" "$start" >"$1.tmp"
  mv -f "$1.tmp" "$1"
}

# Prints the pid recorded in PIDFILE if that process is still alive (and is the same process).
pidfile_alive() {
  local pid start now state
  [[ -f $1 ]] || return 1
  read -r pid start <"$1" || true
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  read -r state now < <(proc_state_start "$pid") || return 1
  [[ -n $now ]] || return 1
  [[ -z $start || $now == "$start" ]] || return 1
  [[ $state != Z ]] || return 1 # a zombie is dead for our purposes
  printf '%s\n' "$pid"
}

pidfile_gone() { ! pidfile_alive "$1" >/dev/null; }

# Starts CMD... in a new session (so it gets its own process group, leaves our terminal's signals
# alone and can be stopped as a group), stdin from /dev/null, stdout+stderr appended to LOGFILE.
# Writes PIDFILE and prints the pid.
start_detached() { # PIDFILE LOGFILE CMD...
  local pidfile=$1 log=$2 pid i
  shift 2
  rm -f "$pidfile" "$pidfile.tmp" "$pidfile.new"
  # The child writes its own pid before exec, so the pid is right even if setsid had to fork.
  # shellcheck disable=SC2016
  setsid bash -c 'echo $$ >"$0.new"; exec "$@"' "$pidfile" "$@" </dev/null >>"$log" 2>&1 &
  for ((i = 0; i < 200; i++)); do
    [[ -s $pidfile.new ]] && break
    sleep 0.02
  done
  [[ -s $pidfile.new ]] || die "could not start $1 (no pid written); see $log"
  pid="$(cat "$pidfile.new")"
  rm -f "$pidfile.new"
  write_pidfile "$pidfile" "$pid" || true
  printf '%s\n' "$pid"
}

# Live members (pids) of process group PGID, one a line. Zombies do not count: an orphan stays
# one until init reaps it, which some init processes do late.
pgroup_members() {
  local p state _
  for p in $(pgrep -g "$1" 2>/dev/null); do
    read -r state _ < <(proc_state_start "$p") || continue
    [[ $state == Z ]] || printf '%s\n' "$p"
  done
  return 0
}

# "PID STARTTIME" of every descendant of PID, one a line.
descendants() {
  local c
  for c in $(pgrep -P "$1" 2>/dev/null); do
    printf '%s %s\n' "$c" "$(proc_starttime "$c" || true)"
    descendants "$c"
  done
}

# Of the "PID STARTTIME" lines on stdin, the pids still alive (and not reused).
still_alive() {
  local p s now state
  while read -r p s; do
    [[ -n $p ]] || continue
    read -r state now < <(proc_state_start "$p") || continue
    [[ -n $now && $now == "$s" && $state != Z ]] && printf '%s\n' "$p"
  done
  return 0
}

# Stops the process in PIDFILE: FIRST_SIGNAL to it, up to TIMEOUT seconds to exit, then SIGKILL.
# Then whatever it leaves behind (its descendants, and its process group when it leads one: worker
# processes, PostgreSQL's backends, which put themselves in their own sessions) gets a few seconds
# to exit by itself, then SIGTERM, then SIGKILL. Returns when none of them is left; removes PIDFILE. An already
# stopped process is not an error.
stop_pidfile() { # NAME PIDFILE [FIRST_SIGNAL] [TIMEOUT]
  local name=$1 pidfile=$2 sig=${3:-TERM} timeout=${4:-20} pid pgid own_group=false kids left deadline
  pid="$(pidfile_alive "$pidfile")" || {
    rm -f "$pidfile"
    return 0
  }
  pgid="$(ps -o pgid= -p "$pid" 2>/dev/null | tr -d ' ')" || pgid=
  # Only a group that the process leads, and never our own.
  [[ -n $pgid && $pgid == "$pid" && $pgid != "$(ps -o pgid= -p $$ | tr -d ' ')" ]] && own_group=true
  kids="$(descendants "$pid")"
  log "stopping $name (pid $pid, SIG$sig)"
  kill -s "$sig" "$pid" 2>/dev/null || true
  deadline=$((SECONDS + timeout))
  while pidfile_alive "$pidfile" >/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
  if pidfile_alive "$pidfile" >/dev/null; then
    warn "$name (pid $pid) still running after ${timeout}s: SIGKILL"
    kill -s KILL "$pid" 2>/dev/null || true
    wait_until 10 pidfile_gone "$pidfile" || die "$name (pid $pid) did not go away after SIGKILL"
  fi
  leftovers() {
    still_alive <<<"$kids"
    if $own_group; then pgroup_members "$pgid"; fi
  }
  local s
  for s in NONE TERM KILL; do
    left="$(leftovers | sort -u | tr '\n' ' ')"
    [[ -n ${left// /} ]] || break
    if [[ $s != NONE ]]; then
      warn "$name: SIG$s to the processes it left behind: $left"
      # shellcheck disable=SC2086
      kill -s "$s" $left 2>/dev/null || true
    fi
    deadline=$((SECONDS + 3))
    while [[ -n $(leftovers) ]] && ((SECONDS < deadline)); do sleep 0.2; done
  done
  [[ -z $(leftovers) ]] || die "$name: processes survive SIGKILL: $(leftovers | tr '\n' ' ')"
  rm -f "$pidfile"
}

# Waits up to TIMEOUT seconds until CMD... succeeds; false on timeout.
wait_until() { # TIMEOUT CMD...
  local deadline=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 0.3
  done
}

# Prints the last N lines of FILE, indented, under a heading.
show_tail() { # FILE [N]
  local file=$1 n=${2:-30}
  [[ -f $file ]] || return 0
  printf -- '----- last %s lines of %s -----\n' "$n" "$file" >&2
  tail -n "$n" "$file" | sed 's/^/  /' >&2
  printf -- '----- end of %s -----\n' "$file" >&2
}
