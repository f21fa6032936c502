#!/bin/sh
# setup.sh — install what is missing (Debian/Ubuntu), configure and build apy.
#
#   ./setup.sh            build into build/ (optimised, with debug info)
#   BUILD=dir ./setup.sh  another build directory
#   MESON_ARGS="-Db_sanitize=address,undefined" ./setup.sh   extra meson options
#
# Needs root (or sudo) only when packages are missing.
set -eu
cd "$(dirname "$0")"
BUILD=${BUILD:-build}

packages="meson ninja-build re2c lemon libcriterion-dev libgmp-dev libedit-dev pkg-config python3 gcc"
missing=""
for p in $packages; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "setup.sh: installing:$missing"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    # shellcheck disable=SC2086
    $SUDO apt-get install -y -qq $missing >/dev/null
fi

if [ -d "$BUILD" ]; then
    # shellcheck disable=SC2086
    meson setup --reconfigure "$BUILD" ${MESON_ARGS:-} >/dev/null
else
    # shellcheck disable=SC2086
    meson setup "$BUILD" ${MESON_ARGS:-} >/dev/null
fi
ninja -C "$BUILD"
echo "setup.sh: built $BUILD/apy"
