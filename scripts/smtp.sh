#!/usr/bin/env bash
# Installs aiosmtpd (a small SMTP server in Python) into a virtualenv for the notification mail
# tests and links it at .tools/smtp; the test harness (tests/lib.rs, `spawn_smtp`) starts a
# throwaway server per test with scripts/smtp_sink.py, which writes every message it receives
# into a directory. The virtualenv is kept in a per-user cache outside the clone (PRAMANA_CACHE,
# default ~/.cache/pramana), so a second clone on the same machine reuses it. Idempotent; prints
# the virtualenv's python.
set -euo pipefail
cd "$(dirname "$0")/.."
version=1.4.6
cache=${PRAMANA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pramana}
root="$cache/aiosmtpd-$version"
py="$root/bin/python"
if ! { [ -x "$py" ] && "$py" -c 'import aiosmtpd, sys; sys.exit(aiosmtpd.__version__ != "'"$version"'")' 2>/dev/null; }; then
  echo "smtp: installing aiosmtpd $version into $root (once)" >&2
  mkdir -p "$cache"
  # Install into a scratch venv and move it into place, so an interrupted install is never
  # taken for a finished one (a venv may be moved: we only ever run its python by path).
  tmp=$(mktemp -d "$cache/aiosmtpd-build.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  python3 -m venv "$tmp" >&2
  "$tmp/bin/python" -m pip install --quiet --disable-pip-version-check "aiosmtpd==$version" </dev/null >&2
  rm -rf "$root"
  mv "$tmp" "$root"
  trap - EXIT
fi
mkdir -p .tools
ln -sfn "$root" .tools/smtp
echo "$py"
