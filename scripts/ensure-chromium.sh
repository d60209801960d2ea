#!/usr/bin/env bash
# Make sure Debian's chromium exists: the page test opens each movie's index.html in it.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing chromium (Debian package) for the movie page test" >&2
  (apt-get install -y -qq chromium >/dev/null 2>&1) || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }
  exit 0
fi
echo "chromium is missing: install it (e.g. 'sudo apt-get install chromium') and run again" >&2
exit 1
