#!/usr/bin/env bash
# Installs Garage (an S3-compatible object store, from crates.io) into .tools/garage and, with
# `start`, runs a throwaway single-node server for tests. Prints the environment to use:
#   PRAMANA_TEST_S3_ENDPOINT, PRAMANA_TEST_S3_BUCKET, PRAMANA_TEST_S3_ACCESS_KEY, PRAMANA_TEST_S3_SECRET_KEY
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
bin=.tools/garage/bin/garage
if [ ! -x "$bin" ] || ! "$bin" --version 2>/dev/null | grep -q "2.5.0"; then
  echo "garage: installing 2.5.0 from crates.io (several minutes, once)" >&2
  cargo install garage --version 2.5.0 --locked --no-default-features --features bundled-libs,sqlite \
    --root .tools/garage >&2
fi
[ "${1:-}" = "start" ] || exit 0

dir=${GARAGE_DIR:-$root/.local/garage}
port=${GARAGE_S3_PORT:-3900}
rpc_port=$((port + 1))
mkdir -p "$dir"
key_id="GK$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
secret=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
rpc_secret=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
cat > "$dir/garage.toml" <<TOML
metadata_dir = "$dir/meta"
data_dir = "$dir/data"
db_engine = "sqlite"
replication_factor = 1
rpc_bind_addr = "127.0.0.1:$rpc_port"
rpc_public_addr = "127.0.0.1:$rpc_port"
rpc_secret = "$rpc_secret"

[s3_api]
s3_region = "us-east-1"
api_bind_addr = "127.0.0.1:$port"
TOML
GARAGE_DEFAULT_ACCESS_KEY=$key_id GARAGE_DEFAULT_SECRET_KEY=$secret GARAGE_DEFAULT_BUCKET=pramana-test \
  "$bin" -c "$dir/garage.toml" server --single-node --default-bucket > "$dir/server.log" 2>&1 &
echo $! > "$dir/pid"
for _ in $(seq 1 100); do
  curl -s -o /dev/null "http://127.0.0.1:$port" 2>/dev/null && break
  sleep 0.1
done
echo "PRAMANA_TEST_S3_ENDPOINT=http://127.0.0.1:$port"
echo "PRAMANA_TEST_S3_BUCKET=pramana-test"
echo "PRAMANA_TEST_S3_ACCESS_KEY=$key_id"
echo "PRAMANA_TEST_S3_SECRET_KEY=$secret"
echo "GARAGE_PID=$(cat "$dir/pid")"
