# shellcheck shell=bash disable=SC2034 # variables for the scripts that source this file
# What deploy/local/up, down and status share: the local stack's directories, ports and process
# list. Source it after lib.sh.

# The stack's state directory: data, logs, pid files, generated configs. Gitignored.
STACK_DIR="$(realpath -m -- "${VENUE_LOCAL_DIR:-$VENUE_REPO/.local}")"
STACK_PIDS=$STACK_DIR/pids
STACK_LOGS=$STACK_DIR/logs
PROCESSES_FILE=$VENUE_REPO/deploy/local/processes.txt
TOPICS_FILE=$VENUE_REPO/deploy/local/topics.txt

# Fixed ports, so that URLs, dashboards and FIX client configs stay the same between runs.
STACK_PG_PORT=${VENUE_PG_PORT:-15432}
STACK_KAFKA_PORT=${VENUE_KAFKA_PORT:-19092}
STACK_KAFKA_CONTROLLER_PORT=${VENUE_KAFKA_CONTROLLER_PORT:-19093}
STACK_PROMETHEUS_PORT=${VENUE_PROMETHEUS_PORT:-19090}

PROMETHEUS_DIR=$STACK_DIR/prometheus
PROMETHEUS_PIDFILE=$STACK_PIDS/prometheus.pid
PROMETHEUS_LOG=$STACK_LOGS/prometheus.log

# Reads processes.txt into the arrays PROC_NAMES, PROC_PORTS and PROC_CMDS (same index).
read_processes() {
  PROC_NAMES=()
  PROC_PORTS=()
  PROC_CMDS=()
  [[ -f $PROCESSES_FILE ]] || return 0
  local name port cmd n=0
  while read -r name port cmd; do
    n=$((n + 1))
    [[ -z $name || $name == \#* ]] && continue
    [[ $name =~ ^[A-Za-z0-9._-]+$ ]] || die "$PROCESSES_FILE line $n: bad name '$name'"
    [[ $port =~ ^[0-9]+$ ]] || die "$PROCESSES_FILE line $n: bad metrics port '$port'"
    [[ -n $cmd ]] || die "$PROCESSES_FILE line $n: no command"
    [[ $name != postgres && $name != kafka && $name != prometheus ]] ||
      die "$PROCESSES_FILE line $n: the name $name is taken by a service"
    PROC_NAMES+=("$name")
    PROC_PORTS+=("$port")
    PROC_CMDS+=("$cmd")
  done <"$PROCESSES_FILE"
}

proc_pidfile() { printf '%s/%s.pid\n' "$STACK_PIDS" "$1"; }
proc_log() { printf '%s/%s.log\n' "$STACK_LOGS" "$1"; }

prometheus_ready() { curl -fsS --max-time 2 "http://127.0.0.1:$STACK_PROMETHEUS_PORT/-/ready" >/dev/null 2>&1; }
