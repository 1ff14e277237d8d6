#!/usr/bin/env bash
# Builds the sharp Lambda layer for linux/arm64/glibc into layers/sharp/build/nodejs.
# npm fetches sharp's prebuilt arm64 binaries (@img/sharp-linux-arm64 and
# @img/sharp-libvips-linux-arm64) from the registry whatever the host is, because the
# .npmrc beside this script fixes os, cpu and libc; package-lock.json pins every version.
# Install scripts are skipped: sharp's only checks the *host's* binary, which is not the target.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/build/nodejs"
rm -rf "$here/build"
mkdir -p "$out"
cp "$here/package.json" "$here/package-lock.json" "$here/.npmrc" "$out/"
(cd "$out" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error)
rm -f "$out/.npmrc"
for required in sharp @img/sharp-linux-arm64 @img/sharp-libvips-linux-arm64; do
  if [ ! -d "$out/node_modules/$required" ]; then
    echo "sharp layer: $required is missing from $out/node_modules" >&2
    exit 1
  fi
done
echo "sharp layer built in $out"
