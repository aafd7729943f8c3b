#!/bin/sh
# Install the Debian packages a development/CI machine needs (idempotent, quiet when done).
# The appliance image gets the same list plus the native asterisk package.
set -eu
# build-essential: llama-cpp-python is compiled once from source (no wheel on PyPI).
PKGS="debootstrap espeak-ng python3-venv ca-certificates build-essential"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "installing Debian packages:$missing"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
