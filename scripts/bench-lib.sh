# Shared by the load benchmarks: an isolated database and key prefix, and
# `hbharness serve` on it in its own process, all removed on exit.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$PATH:/usr/local/go/bin:$HOME/go/bin"
bash scripts/services.sh
make -s build
NAME="hbh_bench_$(date +%s)_$$"
PREFIX="$NAME:"
ADMIN_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}"
DB_URL="${ADMIN_URL%%/postgres\?*}/$NAME?sslmode=disable"
psql -q "$ADMIN_URL" -c "CREATE DATABASE $NAME"
SERVE_PID=
cleanup() {
  [ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" 2>/dev/null || true
  psql -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $NAME WITH (FORCE)" || true
  redis-cli -h 127.0.0.1 --scan --pattern "$PREFIX*" | xargs -r redis-cli -h 127.0.0.1 unlink >/dev/null || true
}
trap cleanup EXIT

# start_serve SCENARIO_FILE: serve its fixtures on a free loopback port.
start_serve() {
  local log; log=$(mktemp)
  DATABASE_URL="$DB_URL" bin/hbharness serve --addr 127.0.0.1:0 --seed "$1" --key-prefix "$PREFIX" >"$log" 2>&1 &
  SERVE_PID=$!
  for _ in $(seq 1 100); do
    TARGET=$(grep -o 'http://[0-9.:]*' "$log" | head -1 || true)
    [ -n "$TARGET" ] && return 0
    sleep 0.1
  done
  cat "$log"; echo "serve did not start" >&2; exit 2
}
