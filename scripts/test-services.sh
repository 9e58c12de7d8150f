#!/usr/bin/env bash
# What `npm test` needs besides node_modules: Redis on 127.0.0.1:6379, PostgreSQL on 127.0.0.1:5432
# with a database `test`, and Debian's chromium for the dashboard's browser test. Starts the services
# when they are down and installs chromium when it is missing and we are root; otherwise stops with one
# line saying what to install. `npm test` runs it first (pretest); .ci/run relies on that.
set -euo pipefail

die() { echo "test set-up: $*" >&2; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }
is_root() { [ "$(id -u)" = 0 ]; }
wait_for() { for _ in $(seq 1 100); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done; return 1; }

redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping | grep -q PONG; }
pg_up() { pg_isready -h 127.0.0.1 -p 5432 >/dev/null; }

have redis-server || die "redis-server is missing: install Redis 7 (Debian: apt-get install redis-server) or set it up on 127.0.0.1:6379"
if ! redis_up; then
  echo "test set-up: Redis is down, starting it on 127.0.0.1:6379"
  mkdir -p /tmp/servus-redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /tmp/servus-redis --logfile /tmp/servus-redis/redis.log
  wait_for redis_up || die "Redis did not answer on 127.0.0.1:6379 (log: /tmp/servus-redis/redis.log)"
fi

have pg_isready || die "PostgreSQL is missing: install PostgreSQL 15 (Debian: apt-get install postgresql) with trust auth on 127.0.0.1:5432"
if ! pg_up; then
  have pg_ctlcluster || die "PostgreSQL is down on 127.0.0.1:5432: start it"
  echo "test set-up: PostgreSQL is down, starting it"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start
  wait_for pg_up || die "PostgreSQL did not answer on 127.0.0.1:5432"
fi
if ! psql -h 127.0.0.1 -U postgres -d test -tAc 'select 1' >/dev/null 2>&1; then
  psql -h 127.0.0.1 -U postgres -d postgres -tAc 'create database test' >/dev/null 2>&1 ||
    die "PostgreSQL on 127.0.0.1:5432 needs a database 'test' that user postgres reaches without a password (trust auth)"
fi

if [ ! -x /usr/bin/chromium ]; then
  is_root && have apt-get || die "/usr/bin/chromium is missing (the dashboard's browser test drives it): install Debian's chromium (apt-get install chromium)"
  echo "test set-up: installing Debian's chromium for the dashboard's browser test"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
  [ -x /usr/bin/chromium ] || die "installing chromium did not give /usr/bin/chromium"
fi
