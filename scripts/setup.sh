#!/usr/bin/env bash
# Install what ShedWatch needs: system packages when missing, then a virtualenv
# with the pinned Python dependencies. Safe to run again; it skips what is done.
#   --test  also what the test suite needs (PostgreSQL server, Chromium)
set -euo pipefail
cd "$(dirname "$0")/.."
want_test=0
[ "${1:-}" = "--test" ] && want_test=1

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
apt_updated=0
apt_install() {
  if ! command -v apt-get >/dev/null; then
    echo "setup: please install these packages yourself: $*" >&2; return 1
  fi
  if [ $apt_updated -eq 0 ]; then $SUDO apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

PY="${PYTHON:-python3}"
"$PY" -c 'import sys; assert sys.version_info >= (3, 11), sys.version' \
  || { echo "setup: Python 3.11 or newer is needed" >&2; exit 1; }

need=()
command -v mosquitto >/dev/null || [ -x /usr/sbin/mosquitto ] || need+=(mosquitto mosquitto-clients)
"$PY" -c 'import ensurepip, venv' 2>/dev/null || need+=(python3-venv)
if [ $want_test -eq 1 ]; then
  command -v pg_ctlcluster >/dev/null || need+=(postgresql)
  # The edge's TLS and ACL tests make a private CA and per-device passwords.
  command -v openssl >/dev/null || need+=(openssl)
  # InfluxDB's /api/v2/write path is tested against VictoriaMetrics (no InfluxDB 2 in the registries here).
  command -v victoria-metrics >/dev/null || [ -x /usr/bin/victoria-metrics ] || need+=(victoria-metrics)
  # The pages' browser tests drive Debian's chromium through Playwright (which cannot download browsers here).
  command -v chromium >/dev/null || need+=(chromium)
  # bench.api's HTTP load generator (C: a Python one shares the 2 cores with the server and became the ceiling).
  command -v wrk >/dev/null || need+=(wrk)
  # A CJK font, so the Chinese pages' screenshots show characters (a phone or wall screen has its own).
  [ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need+=(fonts-wqy-microhei)
fi
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}"
  apt_install "${need[@]}"
fi

stamp=.venv/.installed
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ constraints.txt -nt "$stamp" ]; then
  echo "setup: installing Python packages into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -c constraints.txt -e ".[dev]"
  touch "$stamp"
fi
echo "setup: ready"
