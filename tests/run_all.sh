#!/usr/bin/env bash
# Set up everything the tests need on a fresh Debian machine, then run them all.
#   bash tests/run_all.sh [extra pytest args]
# Installs (as root) Debian's chromium and nginx-light when missing, creates
# .venv with the pinned test packages, builds dist/, and runs pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || need_pkgs+=(chromium)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need_pkgs+=(nginx-light)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing ${need_pkgs[*]} (Debian packages)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
  else
    echo "missing: ${need_pkgs[*]}. Install them, e.g.: sudo apt-get install ${need_pkgs[*]}" >&2
    exit 2
  fi
fi
# nginx-light's package starts a system nginx on port 80; the tests run their own.

PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt

.venv/bin/python build.py
exec .venv/bin/python -m pytest -q -p no:cacheprovider tests "$@"
