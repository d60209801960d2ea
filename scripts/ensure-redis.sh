#!/usr/bin/env bash
# Make sure a redis-server binary exists; the tests start their own server on a free port.
set -euo pipefail
if command -v redis-server >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing redis-server (Debian package) for the shared rate-limit tests" >&2
  (apt-get install -y -qq redis-server >/dev/null 2>&1) || { apt-get update -qq && apt-get install -y -qq redis-server >/dev/null; }
  # The package starts a system service; the tests use their own server on a free port.
  (service redis-server stop >/dev/null 2>&1 || true)
  exit 0
fi
echo "redis-server is missing: install it (e.g. 'sudo apt-get install redis-server') and run again" >&2
exit 1
