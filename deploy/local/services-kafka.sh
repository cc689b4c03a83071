# shellcheck shell=bash disable=SC2154 # the arguments' variables are set by deploy/local/services
# deploy/local/services' Kafka: the KRaft broker's directories, TLS and SASL material and configuration,
# start, status and create-topics. Sourced by deploy/local/services after its arguments are read (STATE,
# PIDS, LOGS, want_kafka, kafka_port, kafka_controller_port, ephemeral, topic_file, topic_args); runs
# nothing else.

# --- Kafka -------------------------------------------------------------------------------------

KAFKA_DIR=$STATE/kafka
KAFKA_DATA=$KAFKA_DIR/data
KAFKA_PIDFILE=$PIDS/kafka.pid
KAFKA_LOG=$LOGS/kafka.log

# Kafka's command-line tools (storage format, topics): a small quick-starting JVM, warnings and
# errors only, on stderr (stdout is the tool's answer).
kafka_java() { # MAIN-CLASS ARGS...
  java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$KAFKA_DIR/tools-log4j2.properties" -cp "$(kafka_libs)/*" "$@"
}

kafka_brokers() { printf '127.0.0.1:%s\n' "$(cat "$KAFKA_DIR/port")"; }
kafka_tls_brokers() { printf '127.0.0.1:%s\n' "$(cat "$KAFKA_DIR/tls-port")"; }
kafka_sasl_brokers() { printf '127.0.0.1:%s\n' "$(cat "$KAFKA_DIR/sasl-port")"; }
KAFKA_SASL_USER=venue

# The SASL user's password of this state directory (made once; hex, so it needs no quoting).
kafka_make_sasl_password() {
  [[ -s $KAFKA_DIR/sasl-password ]] && return 0
  (umask 077 && od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$KAFKA_DIR/sasl-password")
}

# A CA of this state directory and the broker's certificate for 127.0.0.1 it signs (made once).
kafka_make_tls() {
  local t=$KAFKA_DIR/tls
  [[ -s $t/keystore.pem && -s $t/ca.pem ]] && return 0
  command -v openssl >/dev/null || die "openssl not found: run ci/setup"
  mkdir -p "$t"
  (
    cd "$t"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 3650 \
      -subj "/CN=venue local services CA" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -keyout broker.key -out broker.csr -subj "/CN=127.0.0.1" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >broker.ext
    openssl x509 -req -in broker.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out broker.crt -days 3650 \
      -extfile broker.ext 2>/dev/null
    cat broker.key broker.crt >keystore.pem
    rm -f broker.csr broker.ext ca.srl
    chmod 600 ca.key broker.key keystore.pem
  ) || die "kafka: could not make the TLS certificates in $t"
}

kafka_write_config() { # PORT CONTROLLER-PORT TLS-PORT SASL-PORT
  local password
  password="$(cat "$KAFKA_DIR/sasl-password")"
  (umask 077 && : >"$KAFKA_DIR/server.properties") # it holds the SASL password
  cat >"$KAFKA_DIR/server.properties" <<EOF
# written by deploy/local/services on every start: a single-node KRaft broker+controller
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$2
listeners=PLAINTEXT://127.0.0.1:$1,CONTROLLER://127.0.0.1:$2,SSL://127.0.0.1:$3,SASL_SSL://127.0.0.1:$4
advertised.listeners=PLAINTEXT://127.0.0.1:$1,SSL://127.0.0.1:$3,SASL_SSL://127.0.0.1:$4
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SSL:SSL,SASL_SSL:SASL_SSL
sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-512
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_$KAFKA_SASL_USER="$password";
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
ssl.keystore.type=PEM
ssl.keystore.location=$KAFKA_DIR/tls/keystore.pem
ssl.client.auth=none
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
log.dirs=$KAFKA_DATA
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=8
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
delete.topic.enable=true
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
EOF
  cat >"$KAFKA_DIR/log4j2.properties" <<'EOF'
# written by deploy/local/services: everything to stdout, which goes to DIR/logs/kafka.log
status = warn
name = venue-kafka
# Keep logging through the broker's own shutdown (log4j would stop at the JVM's shutdown signal).
shutdownHook = disable
appender.stdout.type = Console
appender.stdout.name = STDOUT
appender.stdout.layout.type = PatternLayout
appender.stdout.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.stdout.ref = STDOUT
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.statechange.name = state.change.logger
logger.statechange.level = WARN
logger.clients.name = org.apache.kafka.clients
logger.clients.level = WARN
EOF
  cat >"$KAFKA_DIR/tools-log4j2.properties" <<'EOF'
# written by deploy/local/services: for Kafka's command-line tools
status = warn
name = venue-kafka-tools
appender.stderr.type = Console
appender.stderr.name = STDERR
appender.stderr.target = SYSTEM_ERR
appender.stderr.layout.type = PatternLayout
appender.stderr.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.stderr.ref = STDERR
EOF
}

# Ready means: metadata answers, a message produced to __venue_ready comes back, and a consumer
# group can read it (which also creates the group coordinator's topic, so that the first consumer
# group of a test does not pay for that).
kafka_ready() {
  local b=$1 nonce=$2
  kcat -q -b "$b" -L -m 3 >/dev/null 2>&1 || return 1
  printf '%s\n' "$nonce" | kcat -q -P -b "$b" -t __venue_ready -m 5 -X message.timeout.ms=5000 2>/dev/null || return 1
  kcat -q -C -b "$b" -t __venue_ready -o beginning -e -m 5 2>/dev/null | grep -qxF "$nonce" || return 1
  timeout 20 kcat -q -b "$b" -G "venue-ready-$nonce" -X auto.offset.reset=earliest -c 1 __venue_ready \
    >/dev/null 2>&1 || return 1
}

kafka_start() {
  local pid heap
  if pid="$(pidfile_alive "$KAFKA_PIDFILE")"; then
    log "kafka: already running (pid $pid, $(kafka_brokers))"
    return 0
  fi
  require_kafka
  command -v kcat >/dev/null || die "kcat not found: run ci/setup"
  mkdir -p "$KAFKA_DATA" "$LOGS" "$PIDS"
  if [[ ! -s $KAFKA_DIR/cluster-id ]]; then
    # Kafka's Uuid text form: 16 random bytes, URL-safe base64 without padding; like Kafka's own
    # Uuid.randomUuid(), never one that starts with "-" (it would read as an option).
    python3 -c '
import base64, os
while True:
    u = base64.urlsafe_b64encode(os.urandom(16)).decode().rstrip("=")
    if not u.startswith("-"):
        print(u)
        break' >"$KAFKA_DIR/cluster-id"
  fi
  kafka_make_tls
  kafka_make_sasl_password
  local cluster_id attempt port cport tport sport prev prevc prevt prevs from deadline timeout nonce
  cluster_id="$(cat "$KAFKA_DIR/cluster-id")"
  timeout=${VENUE_KAFKA_START_TIMEOUT:-90}
  prev="$(cat "$KAFKA_DIR/port" 2>/dev/null || true)"
  prevc="$(cat "$KAFKA_DIR/controller-port" 2>/dev/null || true)"
  prevt="$(cat "$KAFKA_DIR/tls-port" 2>/dev/null || true)"
  prevs="$(cat "$KAFKA_DIR/sasl-port" 2>/dev/null || true)"
  for ((attempt = 1; attempt <= START_ATTEMPTS; attempt++)); do
    local -a fresh
    read -r -a fresh <<<"$(free_ports 4)"
    if [[ -n $kafka_port ]]; then
      port=$kafka_port
      port_is_free "$port" || die "kafka: port $port on 127.0.0.1 is in use"
    elif [[ $attempt -eq 1 && -n $prev ]] && port_is_free "$prev"; then
      port=$prev
    else
      port=${fresh[0]}
    fi
    if [[ -n $kafka_controller_port ]]; then
      cport=$kafka_controller_port
      port_is_free "$cport" || die "kafka: controller port $cport on 127.0.0.1 is in use"
    elif [[ $attempt -eq 1 && -n $prevc && $prevc != "$port" ]] && port_is_free "$prevc"; then
      cport=$prevc
    else
      cport=${fresh[1]}
      [[ $cport != "$port" ]] || cport=${fresh[0]}
    fi
    [[ $port != "$cport" ]] || die "kafka: broker and controller ports must differ ($port)"
    if [[ $attempt -eq 1 && -n $prevt && $prevt != "$port" && $prevt != "$cport" ]] && port_is_free "$prevt"; then
      tport=$prevt # clients configured with the TLS address reach the broker again after a restart
    else
      tport=${fresh[2]}
      if [[ $tport == "$port" || $tport == "$cport" ]]; then tport="$(free_ports 1)"; fi
    fi
    if [[ $attempt -eq 1 && -n $prevs && $prevs != "$port" && $prevs != "$cport" && $prevs != "$tport" ]] &&
      port_is_free "$prevs"; then
      sport=$prevs
    else
      sport=${fresh[3]}
      if [[ $sport == "$port" || $sport == "$cport" || $sport == "$tport" ]]; then sport="$(free_ports 1)"; fi
    fi
    kafka_write_config "$port" "$cport" "$tport" "$sport"
    echo "$port" >"$KAFKA_DIR/port"
    echo "$tport" >"$KAFKA_DIR/tls-port"
    echo "$sport" >"$KAFKA_DIR/sasl-port"
    echo "$cport" >"$KAFKA_DIR/controller-port"
    touch "$KAFKA_LOG"
    if [[ ! -f $KAFKA_DATA/meta.properties ]]; then
      log "kafka: formatting $KAFKA_DATA (cluster id $cluster_id)"
      kafka_java kafka.tools.StorageTool format --cluster-id="$cluster_id" --config="$KAFKA_DIR/server.properties" \
        --add-scram "SCRAM-SHA-512=[name=$KAFKA_SASL_USER,password=$(cat "$KAFKA_DIR/sasl-password")]" \
        >>"$KAFKA_LOG" 2>&1 || { show_tail "$KAFKA_LOG"; die "kafka: storage format failed"; }
    fi
    from=$(($(stat -c %s "$KAFKA_LOG") + 1))
    log "kafka: starting on 127.0.0.1:$port (controller $cport, data $KAFKA_DATA)"
    # The heap is fixed at its size and touched at start (-Xms = -Xmx, AlwaysPreTouch): with -Xms64m the
    # broker grew its heap under the first load and ran a concurrent G1 cycle every few seconds (176
    # pauses in 80 s, up to 100 ms); fixed, the drop copy's p99 on a fresh stack went from 63.6 to 18.8 ms
    # (one run each, dropcopy/README.md).
    heap=${VENUE_KAFKA_HEAP:-512m}
    # shellcheck disable=SC2086 # VENUE_KAFKA_JVM_OPTS is a list of options
    pid="$(start_detached "$KAFKA_PIDFILE" "$KAFKA_LOG" java "-Xmx$heap" "-Xms$heap" -XX:+AlwaysPreTouch \
      -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
      -Dvenue.state.dir="$STATE" -Dlog4j2.configurationFile="$KAFKA_DIR/log4j2.properties" \
      ${VENUE_KAFKA_JVM_OPTS:-} -cp "$(kafka_libs)/*" kafka.Kafka "$KAFKA_DIR/server.properties")"
    nonce="ready-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
    deadline=$((SECONDS + timeout))
    while ((SECONDS < deadline)); do
      if ! pidfile_alive "$KAFKA_PIDFILE" >/dev/null; then
        break
      fi
      if kafka_ready "127.0.0.1:$port" "$nonce"; then
        log "kafka: ready on 127.0.0.1:$port (pid $pid)"
        return 0
      fi
      sleep 0.5
    done
    if pidfile_alive "$KAFKA_PIDFILE" >/dev/null; then
      stop_pidfile kafka "$KAFKA_PIDFILE" TERM 10
      show_tail "$KAFKA_LOG" 40
      die "kafka: not ready after ${timeout}s (log: $KAFKA_LOG)"
    fi
    rm -f "$KAFKA_PIDFILE"
    if [[ -z $kafka_port || -z $kafka_controller_port ]] &&
      tail -c "+$from" "$KAFKA_LOG" | grep -qE 'BindException|Address already in use'; then
      warn "kafka: a port was taken before the broker bound it; trying others"
      continue
    fi
    show_tail "$KAFKA_LOG" 40
    die "kafka exited during start-up (log: $KAFKA_LOG)"
  done
  show_tail "$KAFKA_LOG"
  die "kafka: no free ports after $START_ATTEMPTS attempts"
}

kafka_status() {
  local pid
  if pid="$(pidfile_alive "$KAFKA_PIDFILE")"; then
    echo "kafka: running, pid $pid, $(kafka_brokers) (controller 127.0.0.1:$(cat "$KAFKA_DIR/controller-port")), data $KAFKA_DATA, log $KAFKA_LOG"
    return 0
  elif [[ -f $KAFKA_PIDFILE ]]; then
    echo "kafka: NOT running (stale pid file $KAFKA_PIDFILE), log $KAFKA_LOG"
    return 1
  fi
  echo "kafka: stopped"
  return 2
}

create_topics() {
  pidfile_alive "$KAFKA_PIDFILE" >/dev/null || die "kafka is not running in $STATE"
  require_kafka
  local -a specs=()
  local name parts _
  if [[ -n $topic_file ]]; then
    [[ -r $topic_file ]] || die "cannot read $topic_file"
    while read -r name parts _; do
      [[ -z $name || $name == \#* ]] && continue
      specs+=("$name:$parts")
    done <"$topic_file"
  fi
  specs+=("${topic_args[@]}")
  ((${#specs[@]} > 0)) || die "create-topics: no topics given (--file FILE or NAME:PARTITIONS)"
  local b existing spec have
  b="$(kafka_brokers)"
  existing="$(kafka_java org.apache.kafka.tools.TopicCommand --bootstrap-server "$b" --list 2>>"$KAFKA_LOG")" ||
    die "kafka: could not list topics (see $KAFKA_LOG)"
  for spec in "${specs[@]}"; do
    name=${spec%%:*}
    parts=${spec#*:}
    [[ $name =~ ^[A-Za-z0-9._-]+$ && $parts =~ ^[0-9]+$ && $parts -gt 0 ]] ||
      die "bad topic spec '$spec' (want NAME PARTITIONS)"
    if grep -qxF "$name" <<<"$existing"; then
      have="$(kcat -q -b "$b" -L -t "$name" -m 5 2>/dev/null | grep -c '^ *partition ' || true)"
      if [[ $have != "$parts" ]]; then
        warn "topic $name exists with $have partition(s), not $parts: left as it is"
      else
        log "topic $name: exists ($parts partitions)"
      fi
      continue
    fi
    kafka_java org.apache.kafka.tools.TopicCommand --bootstrap-server "$b" --create --if-not-exists \
      --topic "$name" --partitions "$parts" --replication-factor 1 >>"$KAFKA_LOG" 2>&1 ||
      { show_tail "$KAFKA_LOG" 20; die "could not create topic $name"; }
    log "topic $name: created ($parts partitions)"
  done
}
