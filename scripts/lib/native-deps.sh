# Sourced by the build and test scripts: the system libraries the Rust build links against.
#
#   ensure_native_deps   OpenSSL's headers and pkg-config (the passkey library, webauthn-rs,
#                        links the system OpenSSL); installed from the distribution's packages
#                        when missing.

ensure_native_deps() {
  if command -v pkg-config >/dev/null 2>&1 && pkg-config --exists openssl 2>/dev/null; then
    return 0
  fi
  echo "native deps: OpenSSL headers or pkg-config missing; installing libssl-dev and pkg-config" >&2
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  ($sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq libssl-dev pkg-config >/dev/null) >&2
}
