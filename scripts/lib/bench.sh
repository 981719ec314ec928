# Shared by scripts/bench/*.sh (source it after scripts/lib/postgres.sh): release builds of the
# API and the client, a fresh database, the API on $port with local storage under $work, and a
# registered, logged-in patient for the `pramana` client. Sets api_pid (the caller's EXIT trap
# kills it) and exports PRAMANA_API, PRAMANA_HOME, PRAMANA_PASSPHRASE and PRAMANA_PASSWORD.
bench_platform() { # $1: the database's name
  local db=$1 psql_bin abha=91234567890129 # a valid Luhn number
  cargo build --release --locked --bin pramana --bin pramana-api >&2
  ensure_postgres
  psql_bin=$(pg_find_bin psql)
  "$psql_bin" "$PG_SERVER_URL/postgres" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >&2

  export PRAMANA_DATABASE__URL="$PG_SERVER_URL/$db"
  export PRAMANA_AUTH__JWT_SECRET=bench-secret-bench-secret-bench-secret-0123
  export PRAMANA_SERVER__PORT=$port
  export PRAMANA_STORAGE__LOCAL_DIR="$work/objects"
  export PRAMANA_TELEMETRY__LOG_FILTER=warn
  target/release/pramana-api >&2 &
  api_pid=$!
  for _ in $(seq 1 100); do curl -fsS -o /dev/null "http://127.0.0.1:$port/readyz" 2>/dev/null && break; sleep 0.1; done

  export PRAMANA_API="http://127.0.0.1:$port" PRAMANA_HOME="$work/home"
  export PRAMANA_PASSPHRASE="bench passphrase 123" PRAMANA_PASSWORD="bench password 123"
  target/release/pramana identity create >/dev/null
  target/release/pramana register --abha "$abha" --name Bench >/dev/null
  target/release/pramana login --login "$abha" >/dev/null
}
