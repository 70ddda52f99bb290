#!/usr/bin/env bash
# Builds litewitness and witnessctl (filippo.io/torchwood v0.6.1, a C2SP tlog-witness) with the Go
# toolchain, once, into a cache directory; prints that directory. The modules come from the Go
# module proxy. Used by the witness tests (test-support/litewitness.ts) and docs/witnesses.md.
set -euo pipefail
VERSION=v0.6.1
DIR="${AUDITREADY_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/auditready}/litewitness-$VERSION"
if [ -x "$DIR/litewitness" ] && [ -x "$DIR/witnessctl" ]; then
  echo "$DIR"
  exit 0
fi
mkdir -p "$DIR"
# Test files build it in parallel: one at a time, and the others find it built.
exec 9>"$DIR.lock"
flock 9
if [ -x "$DIR/litewitness" ] && [ -x "$DIR/witnessctl" ]; then
  echo "$DIR"
  exit 0
fi
GOBIN="$DIR.tmp" GOFLAGS=-mod=mod go install \
  "filippo.io/torchwood/cmd/litewitness@$VERSION" "filippo.io/torchwood/cmd/witnessctl@$VERSION" 1>&2
mv "$DIR.tmp/litewitness" "$DIR.tmp/witnessctl" "$DIR/"
echo "$DIR"
