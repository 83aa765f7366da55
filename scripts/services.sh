#!/usr/bin/env bash
# Brings up the real Kafka, Redis and ClickHouse this project runs on, from nothing, without Docker.
#
#   scripts/services.sh up     [--instance NAME] [--only kafka,redis,clickhouse]
#   scripts/services.sh down   [--instance NAME] [--only …] [--purge]
#   scripts/services.sh status [--instance NAME]
#
# Ports come from the variables the services read: KAFKA_BROKERS (first host:port), REDIS_URL, CLICKHOUSE_URL;
# plus KAFKA_CONTROLLER_PORT (default broker port + 1) and CLICKHOUSE_TCP_PORT (default 9000).
# Everything an instance owns (data, logs, pid files) lives in $LEADSCORE_DATA_DIR/<instance> (default .data/default),
# so a test can start a private instance on free ports and throw it away (`down --purge`).
# `up` installs what is missing (Debian packages, the Kafka jars from Maven Central), is idempotent, and returns at
# once when the services already run. `down` stops exactly what `up` started, by pid file.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KAFKA_VERSION=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$ROOT/infra/kafka/pom.xml")
KAFKA_JARS=${KAFKA_JARS_DIR:-$ROOT/.cache/kafka-$KAFKA_VERSION}
KAFKA_HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}
WAIT_SECONDS=${SERVICES_WAIT_SECONDS:-90}

cmd=${1:-status}
shift || true
instance=default
only="kafka redis clickhouse"
purge=0
while [ $# -gt 0 ]; do
  case "$1" in
    --instance) instance=$2; shift 2 ;;
    --only) only=${2//,/ }; shift 2 ;;
    --purge) purge=1; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "services.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
case "$instance" in *[!A-Za-z0-9_.-]*|'') echo "services.sh: bad --instance '$instance'" >&2; exit 2 ;; esac

DATA=${LEADSCORE_DATA_DIR:-$ROOT/.data}/$instance

say() { printf '%s\n' "services: $*" >&2; }
die() { printf '%s\n' "services: ERROR: $*" >&2; exit 1; }

# --- ports from the same URLs the services read -------------------------------------------------------------
url_port() { # url default
  local rest=${1#*://}; rest=${rest%%/*}; rest=${rest##*@}
  case "$rest" in *:*) echo "${rest##*:}" ;; *) echo "$2" ;; esac
}
url_host() {
  local rest=${1#*://}; rest=${rest%%/*}; rest=${rest##*@}; echo "${rest%:*}"
}
first_broker=${KAFKA_BROKERS:-127.0.0.1:9092}; first_broker=${first_broker%%,*}
KAFKA_HOST=${first_broker%:*}
KAFKA_PORT=${first_broker##*:}
KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-$((KAFKA_PORT + 1))}
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379}
REDIS_PORT=$(url_port "$REDIS_URL" 6379)
CLICKHOUSE_URL=${CLICKHOUSE_URL:-http://127.0.0.1:8123}
CLICKHOUSE_PORT=$(url_port "$CLICKHOUSE_URL" 8123)
CLICKHOUSE_TCP_PORT=${CLICKHOUSE_TCP_PORT:-9000}
for p in KAFKA_PORT KAFKA_CONTROLLER_PORT REDIS_PORT CLICKHOUSE_PORT CLICKHOUSE_TCP_PORT; do
  case "${!p}" in ''|*[!0-9]*) die "$p='${!p}' is not a port number (check KAFKA_BROKERS, REDIS_URL, CLICKHOUSE_URL)" ;; esac
done

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# --- installation ------------------------------------------------------------------------------------------------
# shellcheck source=scripts/lib/apt.sh
source "$ROOT/scripts/lib/apt.sh"

kafka_jars() {
  [ -f "$KAFKA_JARS/.complete" ] && return 0
  command -v mvn >/dev/null || die "Maven (mvn) is needed to fetch the Kafka $KAFKA_VERSION jars"
  command -v java >/dev/null || die "Java 17 is needed to run Kafka"
  say "fetching Kafka $KAFKA_VERSION and its runtime dependencies from Maven Central into $KAFKA_JARS"
  rm -rf "$KAFKA_JARS.tmp"
  mvn -q -B -Dstyle.color=never -f "$ROOT/infra/kafka/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$KAFKA_JARS.tmp" >&2 || die "mvn could not fetch the Kafka jars"
  rm -rf "$KAFKA_JARS" && mv "$KAFKA_JARS.tmp" "$KAFKA_JARS" && touch "$KAFKA_JARS/.complete"
}

render() { # template out key=value…
  local tpl=$1 out=$2; shift 2
  local expr=()
  for kv in "$@"; do expr+=(-e "s|@${kv%%=*}@|${kv#*=}|g"); done
  sed "${expr[@]}" "$tpl" > "$out"
}

wait_until() { # name log check-command…
  local name=$1 log=$2; shift 2
  local deadline=$((SECONDS + WAIT_SECONDS))
  until "$@"; do
    if [ $SECONDS -ge $deadline ]; then die "$name did not answer within ${WAIT_SECONDS}s; its log: $log"; fi
    if [ -f "$DATA/$name/pid" ] && ! pid_alive "$DATA/$name/pid"; then
      die "$name exited during start-up; its log: $log"
    fi
    sleep 0.2
  done
}

# --- Kafka -------------------------------------------------------------------------------------------------------
kafka_ready() { port_open "$KAFKA_HOST" "$KAFKA_PORT" && grep -q 'Kafka Server started' "$DATA/kafka/server.log" 2>/dev/null; }

kafka_up() {
  local dir=$DATA/kafka
  if pid_alive "$dir/pid"; then say "kafka already running (pid $(cat "$dir/pid"), $KAFKA_HOST:$KAFKA_PORT)"; return 0; fi
  if port_open "$KAFKA_HOST" "$KAFKA_PORT"; then say "kafka: something already answers on $KAFKA_HOST:$KAFKA_PORT; using it"; return 0; fi
  mkdir -p "$dir/logs"
  render "$ROOT/infra/kafka/server.properties" "$dir/server.properties" \
    HOST="$KAFKA_HOST" PORT="$KAFKA_PORT" CONTROLLER_PORT="$KAFKA_CONTROLLER_PORT" LOG_DIRS="$dir/logs"
  local cp="$KAFKA_JARS/*"
  if [ ! -f "$dir/logs/meta.properties" ]; then
    local cluster_id
    cluster_id=$(java -cp "$cp" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)
    java -cp "$cp" -Dlog4j.configuration="file:$ROOT/infra/kafka/log4j.properties" -Dkafka.logs.dir="$dir" \
      kafka.tools.StorageTool format -t "$cluster_id" -c "$dir/server.properties" --ignore-formatted >"$dir/format.out" 2>&1 \
      || die "formatting Kafka storage failed; see $dir/format.out"
  fi
  : > "$dir/server.log"
  say "starting kafka $KAFKA_VERSION on $KAFKA_HOST:$KAFKA_PORT (controller :$KAFKA_CONTROLLER_PORT)"
  # shellcheck disable=SC2086
  nohup java $KAFKA_HEAP_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$ROOT/infra/kafka/log4j.properties" -Dkafka.logs.dir="$dir" \
    -cp "$cp" kafka.Kafka "$dir/server.properties" >"$dir/stdout.log" 2>&1 &
  echo $! > "$dir/pid"
  wait_until kafka "$dir/server.log" kafka_ready
}

# --- Redis -------------------------------------------------------------------------------------------------------
redis_ready() { [ "$(redis-cli -u "$REDIS_URL" ping 2>/dev/null)" = PONG ]; }

redis_up() {
  local dir=$DATA/redis
  if pid_alive "$dir/pid"; then say "redis already running (pid $(cat "$dir/pid"), port $REDIS_PORT)"; return 0; fi
  if redis_ready; then say "redis: one already answers on $REDIS_URL; using it"; return 0; fi
  mkdir -p "$dir"
  say "starting redis $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p') on port $REDIS_PORT"
  # Portraits are rebuilt from Kafka and ClickHouse, but a restart should not lose them: append-only file, fsync per second.
  nohup redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$dir" --logfile "$dir/redis.log" \
    --appendonly yes --appendfsync everysec --save "" --maxmemory-policy noeviction --daemonize no \
    >/dev/null 2>&1 &
  echo $! > "$dir/pid"
  wait_until redis "$dir/redis.log" redis_ready
}

# --- ClickHouse --------------------------------------------------------------------------------------------------
clickhouse_ready() { [ "$(curl -s --max-time 2 "http://127.0.0.1:$CLICKHOUSE_PORT/ping" 2>/dev/null)" = "Ok." ]; }

clickhouse_up() {
  local dir=$DATA/clickhouse
  if pid_alive "$dir/pid"; then say "clickhouse already running (pid $(cat "$dir/pid"), port $CLICKHOUSE_PORT)"; return 0; fi
  if clickhouse_ready; then say "clickhouse: one already answers on port $CLICKHOUSE_PORT; using it"; return 0; fi
  mkdir -p "$dir/data" "$dir/log"
  render "$ROOT/infra/clickhouse/config.xml" "$dir/config.xml" \
    DATA_DIR="$dir/data" LOG_DIR="$dir/log" HTTP_PORT="$CLICKHOUSE_PORT" TCP_PORT="$CLICKHOUSE_TCP_PORT"
  cp "$ROOT/infra/clickhouse/users.xml" "$dir/users.xml"
  say "starting clickhouse $(dpkg-query -W -f='${Version}' clickhouse-server 2>/dev/null) on port $CLICKHOUSE_PORT"
  nohup clickhouse-server --config-file="$dir/config.xml" >"$dir/log/stdout.log" 2>&1 &
  echo $! > "$dir/pid"
  wait_until clickhouse "$dir/log/clickhouse-server.err.log" clickhouse_ready
}

# --- stop and status ----------------------------------------------------------------------------------------------
stop_one() { # name port
  local name=$1 port=$2 pidf=$DATA/$1/pid
  if ! pid_alive "$pidf"; then rm -f "$pidf"; say "$name not running (from this instance)"; return 0; fi
  local pid; pid=$(cat "$pidf")
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + 30))
  while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then say "$name did not stop on SIGTERM within 30s; killing"; kill -KILL "$pid" 2>/dev/null || true; sleep 0.5; fi
  rm -f "$pidf"
  say "$name stopped"
  deadline=$((SECONDS + 10))
  while port_open 127.0.0.1 "$port" && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
  port_open 127.0.0.1 "$port" && say "warning: port $port still answers after stopping $name" || true
}

status_one() { # name port ready-check
  local pidf=$DATA/$1/pid
  if pid_alive "$pidf"; then
    if "$3"; then echo "$1: running (pid $(cat "$pidf"), port $2)"; else echo "$1: starting or unhealthy (pid $(cat "$pidf"), port $2)"; fi
  elif "$3"; then echo "$1: answering on port $2 (not started by this instance)"
  else echo "$1: stopped"; fi
}

has() { case " $only " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

case "$cmd" in
  up)
    started=$SECONDS
    # Installs first, one at a time (apt holds a lock); then the starts overlap.
    pkgs=()
    has redis && pkgs+=(redis-server redis-tools)
    has clickhouse && pkgs+=(clickhouse-server clickhouse-client)
    [ ${#pkgs[@]} -gt 0 ] && apt_install "${pkgs[@]}"
    has kafka && kafka_jars
    # Start the three side by side: Kafka's JVM start-up dominates, the others overlap it.
    pids=()
    has redis && { redis_up & pids+=($!); }
    has clickhouse && { clickhouse_up & pids+=($!); }
    has kafka && { kafka_up & pids+=($!); }
    fail=0
    for p in "${pids[@]}"; do wait "$p" || fail=1; done
    [ $fail = 0 ] || die "some services did not start (see above)"
    say "up in $((SECONDS - started))s (instance $instance; data in $DATA)"
    ;;
  down)
    has kafka && stop_one kafka "$KAFKA_PORT"
    has redis && stop_one redis "$REDIS_PORT"
    has clickhouse && stop_one clickhouse "$CLICKHOUSE_PORT"
    if [ $purge = 1 ]; then rm -rf "$DATA"; say "removed $DATA"; fi
    ;;
  status)
    has kafka && status_one kafka "$KAFKA_PORT" kafka_ready
    has redis && status_one redis "$REDIS_PORT" redis_ready
    has clickhouse && status_one clickhouse "$CLICKHOUSE_PORT" clickhouse_ready
    ;;
  *) echo "usage: services.sh up|down|status [--instance NAME] [--only LIST] [--purge]" >&2; exit 2 ;;
esac
