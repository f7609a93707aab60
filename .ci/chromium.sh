#!/usr/bin/env bash
# Debian's Chromium for the console's browser tests (test/e2e/console.e2e.spec.ts): installs the package when
# /usr/bin/chromium is missing and prints its path on stdout. Idempotent.
#
#   export ACCESS_AUDIT_CHROMIUM="$(.ci/chromium.sh)"
set -euo pipefail

log() { echo "chromium.sh: $*" >&2; }

chromium=/usr/bin/chromium
if [ ! -x "$chromium" ]; then
  log "installing Debian's chromium"
  if [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y chromium >&2 ||
      { apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium >&2; }
  else
    sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium >&2 ||
      { sudo -n apt-get update >&2 && sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium >&2; }
  fi
fi
[ -x "$chromium" ] || { log "no Chromium at $chromium after installing"; exit 1; }
echo "$chromium"
