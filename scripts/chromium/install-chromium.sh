#!/usr/bin/env bash
# Headless Chromium for the report tests (packages/cli/test/report-browser.test.ts): the Debian
# package, installed with apt-get when missing (as root, as CI runs). Prints the executable's path.
set -euo pipefail
for c in chromium chromium-browser; do
  if command -v "$c" >/dev/null 2>&1; then
    command -v "$c"
    exit 0
  fi
done
if [ "$(id -u)" != "0" ]; then
  echo "chromium is not installed and this is not root: apt-get install chromium" >&2
  exit 1
fi
exec 9>/tmp/auditready-chromium-install.lock
flock 9
if ! command -v chromium >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq chromium >&2
fi
command -v chromium
