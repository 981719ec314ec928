#!/usr/bin/env bash
# Installs Garage 2.5.0 (an S3-compatible object store, from crates.io) into .tools/garage, for
# the S3 backend's tests; the test harness (tests/lib.rs, `spawn_garage`) starts a throwaway
# single-node server per test. Several minutes the first time; a no-op afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.tools/garage/bin/garage
if [ -x "$bin" ] && "$bin" --version 2>/dev/null | grep -q "2.5.0"; then
  exit 0
fi
echo "garage: installing 2.5.0 from crates.io (several minutes, once)" >&2
cargo install garage --version 2.5.0 --locked --no-default-features --features bundled-libs,sqlite \
  --root .tools/garage >&2
