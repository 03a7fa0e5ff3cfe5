#!/usr/bin/env bash
# Installs the Debian packages the tests start for real: chromium (Playwright browser tests)
# and PostgreSQL (store/outbox/daemon tests). Needs root; without it the tests that need
# them are skipped with a message saying so.
set -euo pipefail
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "system-deps: not root or no apt-get; tests needing ${need[*]} will be skipped" >&2
  exit 0
fi
echo "system-deps: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
