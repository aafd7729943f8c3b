#!/bin/sh
# Provision a private Asterisk 22 root for development and CI machines (Debian 12 has no
# asterisk package; Debian sid does). The appliance image installs Asterisk natively instead.
#
#   image/provision-asterisk-root.sh [ROOT]      (default /var/cache/appliance/asterisk-root)
#
# Idempotent. A tarball of the finished root is kept beside it so a damaged or deleted root
# comes back in seconds without the network. Never touches the host's /etc.
set -eu
ROOT=${1:-/var/cache/appliance/asterisk-root}
TARBALL=${ROOT}.tar.gz
PACKAGES="asterisk asterisk-core-sounds-en-gsm baresip"
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

if [ -x "$ROOT/usr/sbin/asterisk" ] && [ -x "$ROOT/usr/bin/baresip" ]; then
    echo "asterisk root: $ROOT is ready"
    exit 0
fi
mkdir -p "$(dirname "$ROOT")"
if [ -f "$TARBALL" ]; then
    echo "asterisk root: restoring $ROOT from $TARBALL"
    rm -rf "$ROOT.tmp" && mkdir -p "$ROOT.tmp"
    tar -xzf "$TARBALL" -C "$ROOT.tmp"
    rm -rf "$ROOT" && mv "$ROOT.tmp" "$ROOT"
    exit 0
fi
command -v debootstrap >/dev/null || { echo "asterisk root: debootstrap is missing (apt-get install debootstrap)" >&2; exit 1; }
BUILD=$ROOT.build
rm -rf "$BUILD"
echo "asterisk root: debootstrap sid into $BUILD (about 30 s)"
debootstrap --variant=minbase sid "$BUILD" "$MIRROR" >"$BUILD.log" 2>&1 || {
    echo "asterisk root: debootstrap failed, see $BUILD.log" >&2; exit 1; }
cp /etc/resolv.conf "$BUILD/etc/resolv.conf"
echo "asterisk root: installing $PACKAGES (about 1 min)"
# The served sid Release file can be past its Valid-Until date.
chroot "$BUILD" apt-get -q -o Acquire::Check-Valid-Until=false update >>"$BUILD.log" 2>&1
DEBIAN_FRONTEND=noninteractive chroot "$BUILD" apt-get install -y -q --no-install-recommends \
    $PACKAGES >>"$BUILD.log" 2>&1 || { echo "asterisk root: apt-get failed, see $BUILD.log" >&2; exit 1; }
chroot "$BUILD" apt-get clean
echo "asterisk root: caching $TARBALL"
tar -czf "$TARBALL.tmp" -C "$BUILD" . && mv "$TARBALL.tmp" "$TARBALL"
rm -rf "$ROOT" && mv "$BUILD" "$ROOT"
echo "asterisk root: $ROOT is ready"
