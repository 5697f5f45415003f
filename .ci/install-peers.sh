#!/usr/bin/env bash
# Installs the peer tools the tests run against (Debian packages), when missing.
# Used by .ci/run and by the README's test command; safe to run repeatedly.
# With --bench, also what benches/compare.py needs (GNU time, openssl,
# debootstrap for its Debian data, python3).
set -euo pipefail

# command -> Debian package
declare -A packages=(
  [skopeo]=skopeo
  [umoci]=umoci
  [oci-image-tool]=oci-image-tool
  [runc]=runc
  [jq]=jq
  [gzip]=gzip
  [zstd]=zstd
  [busybox]=busybox-static
  [pigz]=pigz
  [zsh]=zsh
  [fish]=fish
  # The registry client's tests: distribution 2.8.2, and for its TLS and
  # authentication tests htpasswd (bcrypt entries) and openssl (a CA).
  [docker-registry]=docker-registry
  [htpasswd]=apache2-utils
  [openssl]=openssl
  # ocikit-sign's interop tests: sigstore's JavaScript implementation,
  # installed by the tests with npm ci from oci-sign/tests/interop.
  [node]=nodejs
  [npm]=npm
)
if [[ ${1:-} == --bench ]]; then
  packages+=(
    [/usr/bin/time]=time
    [openssl]=openssl
    [debootstrap]=debootstrap
    [python3]=python3
  )
fi

missing=()
for cmd in "${!packages[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${packages[$cmd]}")
done

if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "install-peers: missing ${missing[*]}; run as root (or install them) to run the interop tests" >&2
    exit 1
  fi
  echo "install-peers: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

for cmd in "${!packages[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || { echo "install-peers: $cmd still missing" >&2; exit 1; }
done
