#!/usr/bin/env bash
# Make sure the PostgreSQL the tests use answers on 127.0.0.1:5432 with trust auth and a 'test' database.
# Starts the Debian cluster when it is not running (a container starts no services by itself).
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi; }

if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && psql -h 127.0.0.1 -U postgres -d test -Atc 'select 1' >/dev/null 2>&1; then
  exit 0
fi
command -v pg_lsclusters >/dev/null || { echo "ensure-postgres: install postgresql first (scripts/setup.sh --test)" >&2; exit 1; }
read -r version cluster _ < <(pg_lsclusters -h | head -1) || true
if [ -z "${version:-}" ]; then
  version=$(ls /usr/lib/postgresql | sort -V | tail -1)
  cluster=main
  $SUDO pg_createcluster "$version" "$cluster"
fi
hba="/etc/postgresql/$version/$cluster/pg_hba.conf"
# Tests connect as postgres over TCP without a password: trust loopback only.
if ! $SUDO grep -q '^host all all 127.0.0.1/32 trust' "$hba"; then
  $SUDO sed -i '1i host all all 127.0.0.1/32 trust' "$hba"
fi
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  $SUDO pg_ctlcluster "$version" "$cluster" start
else
  $SUDO pg_ctlcluster "$version" "$cluster" reload
fi
for _ in $(seq 1 50); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.2; done
psql -h 127.0.0.1 -U postgres -d postgres -Atc "select 1 from pg_database where datname='test'" | grep -q 1 \
  || psql -h 127.0.0.1 -U postgres -d postgres -c 'create database test' >/dev/null
echo "ensure-postgres: PostgreSQL $version/$cluster ready on 127.0.0.1:5432"
