#!/usr/bin/env bash
# Installs every Debian package citylab needs to build, test and view.
# Idempotent: does nothing when all are present. Needs root (or sudo).
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config git
  liblua5.4-dev libsdl2-dev libsdl2-ttf-dev libchipmunk-dev libcmocka-dev
  libexpat1-dev libsuitesparse-dev libpng-dev libcjson-dev
  slurm-wlm munge
  fonts-dejavu-core xvfb xauth
  clang libclang-rt-14-dev
  mosquitto mosquitto-clients libmosquitto-dev openssl
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup: need root to install: ${missing[*]}" >&2; exit 2; }
  SUDO=sudo
fi
echo "setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
