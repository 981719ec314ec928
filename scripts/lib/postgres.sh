# Sourced by the dev and test scripts: finds a Postgres server, or starts a throwaway one.
#
#   ensure_postgres   sets PG_SERVER_URL (e.g. postgres://postgres@127.0.0.1:5432), no database part.
#
# Order: $PG_SERVER_URL if set; else 127.0.0.1:5432 if it answers (trust auth, user postgres);
# else a throwaway cluster in .local/pg (initdb + pg_ctl, port 54329); else install PostgreSQL
# from the distribution's packages and start the throwaway cluster.

pg_root_dir() { cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd; }

pg_find_bin() {
  local name=$1
  if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return 0; fi
  local found
  found=$(ls -d /usr/lib/postgresql/*/bin/"$name" 2>/dev/null | sort -V | tail -n 1)
  [ -n "$found" ] && echo "$found"
}

pg_answers() { # url
  local psql
  psql=$(pg_find_bin psql) || return 1
  [ -n "$psql" ] || return 1
  "$psql" "$1/postgres" -Atqc 'SELECT 1' >/dev/null 2>&1
}

pg_start_throwaway() {
  local root dir port=54329 initdb pg_ctl
  root=$(pg_root_dir)
  dir="$root/.local/pg"
  initdb=$(pg_find_bin initdb) || true
  pg_ctl=$(pg_find_bin pg_ctl) || true
  if [ -z "$initdb" ] || [ -z "$pg_ctl" ]; then
    echo "postgres: initdb/pg_ctl not found; installing PostgreSQL from the distribution's packages" >&2
    if [ "$(id -u)" = 0 ]; then
      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) >&2
    else
      (sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) >&2
    fi
    initdb=$(pg_find_bin initdb); pg_ctl=$(pg_find_bin pg_ctl)
  fi
  local run_as=()
  # initdb refuses to run as root: run the throwaway cluster as an unprivileged user.
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    run_as=(runuser -u postgres --)
  fi
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown -R postgres "$dir"
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    "${run_as[@]}" "$initdb" -D "$dir/data" -U postgres --auth=trust >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; return 1; }
  fi
  if ! "${run_as[@]}" "$pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    "${run_as[@]}" "$pg_ctl" -D "$dir/data" -o "-p $port -k $dir -c listen_addresses=127.0.0.1" -l "$dir/server.log" -w start >&2 \
      || { cat "$dir/server.log" >&2; return 1; }
  fi
  PG_SERVER_URL="postgres://postgres@127.0.0.1:$port"
}

ensure_postgres() {
  if [ -n "${PG_SERVER_URL:-}" ]; then
    pg_answers "$PG_SERVER_URL" && return 0
    echo "postgres: PG_SERVER_URL=$PG_SERVER_URL does not answer" >&2
    return 1
  fi
  if pg_answers "postgres://postgres@127.0.0.1:5432"; then
    PG_SERVER_URL="postgres://postgres@127.0.0.1:5432"
    return 0
  fi
  echo "postgres: nothing on 127.0.0.1:5432; starting a throwaway cluster in .local/pg" >&2
  pg_start_throwaway || return 1
  pg_answers "$PG_SERVER_URL"
}
