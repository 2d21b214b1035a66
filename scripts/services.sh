#!/usr/bin/env bash
# Makes sure PostgreSQL, Redis and NATS (with JetStream: Antenna's task
# queue) answer on loopback, installing them from Debian's packages and
# starting them only when they do not. It never stops,
# restarts, flushes or reconfigures a server that is already running: those
# are shared by everything on the machine.
set -euo pipefail

log() { echo "services: $*" >&2; }

need_apt_update=1
apt_install() {
  if [ "$need_apt_update" = 1 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    need_apt_update=0
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

pg_up() { command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432; }
redis_up() { command -v redis-cli >/dev/null && [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = PONG ]; }
# NATS greets every connection with INFO; bash's /dev/tcp needs no client.
nats_up() {
  (exec 3<>/dev/tcp/127.0.0.1/4222 && IFS= read -r -t 2 line <&3 && [[ "$line" == INFO* ]]) 2>/dev/null
}

wait_for() { # name check
  for _ in $(seq 1 60); do "$2" && return 0; sleep 0.5; done
  log "$1 did not come up"; return 1
}

if [ -z "${DATABASE_URL:-}" ] && ! pg_up; then
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    log "installing PostgreSQL from Debian's packages"
    apt_install postgresql
  fi
  ver=$(ls /etc/postgresql | sort -V | tail -1)
  log "starting PostgreSQL $ver"
  pg_ctlcluster --skip-systemctl-redirect "$ver" main start || true
  wait_for postgres pg_up
  # trust auth on loopback for the postgres user, as on this project's machines
  if ! psql -h 127.0.0.1 -U postgres -c 'select 1' >/dev/null 2>&1; then
    hba=/etc/postgresql/$ver/main/pg_hba.conf
    sed -i 's/^\(host\s\+all\s\+all\s\+127.0.0.1\/32\s\+\)\S\+/\1trust/' "$hba"
    pg_ctlcluster --skip-systemctl-redirect "$ver" main reload
  fi
fi

if [ -z "${REDIS_URL:-}" ] && ! redis_up; then
  command -v redis-server >/dev/null || { log "installing Redis from Debian's packages"; apt_install redis-server; }
  log "starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  wait_for redis redis_up
fi
if [ -z "${NATS_URL:-}" ] && ! nats_up; then
  command -v nats-server >/dev/null || [ -x /usr/sbin/nats-server ] || { log "installing NATS from Debian's packages"; apt_install nats-server; }
  log "starting NATS with JetStream"
  mkdir -p /var/lib/nats-server /var/log
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- \
    -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log
  wait_for nats nats_up
fi
# Tests that need a server configured otherwise (wal_level=logical for exact
# external observation) start a throwaway cluster of their own: they need the
# server binaries even where Postgres itself comes from DATABASE_URL.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null; then
  log "installing PostgreSQL's server binaries for throwaway test clusters"
  apt_install postgresql
fi
log "postgres, redis and nats are up"
