#!/usr/bin/env bash
# Installs Garage 2.5.0 (an S3-compatible object store, from crates.io) for the S3 backend's tests
# and links it at .tools/garage; the test harness (tests/lib.rs, `spawn_garage`) starts a
# throwaway single-node server per test. The build is kept in a per-user cache outside the clone
# (PRAMANA_CACHE, default ~/.cache/pramana), so a second clone on the same machine reuses it;
# when missing it is built from crates.io (several minutes, once per machine).
set -euo pipefail
cd "$(dirname "$0")/.."
version=2.5.0
cache=${PRAMANA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pramana}
root="$cache/garage-$version"
bin="$root/bin/garage"
if ! { [ -x "$bin" ] && "$bin" --version 2>/dev/null | grep -q "$version"; }; then
  echo "garage: installing $version from crates.io into $root (several minutes, once)" >&2
  mkdir -p "$cache"
  # Build into a scratch root and move it into place, so an interrupted build is never taken
  # for an installed one.
  tmp=$(mktemp -d "$cache/garage-build.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  cargo install garage --version "$version" --locked --no-default-features \
    --features bundled-libs,sqlite --root "$tmp" >&2
  rm -rf "$root"
  mv "$tmp" "$root"
  trap - EXIT
fi
mkdir -p .tools
ln -sfn "$root" .tools/garage
