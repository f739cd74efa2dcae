#!/bin/sh
# deps.sh: install the Debian packages mtorrent needs to build and test,
# only those that are missing.  Uses sudo unless already root.
#
#   scripts/deps.sh            install the missing build + test dependencies
#   scripts/deps.sh --dry-run  print what would be installed
#   scripts/deps.sh --all      apt-get update and install them all (CI)
set -eu

PKGS="build-essential autoconf automake autopoint autoconf-archive \
pkg-config gettext libssl-dev libsqlite3-dev libncurses-dev check \
mandoc tmux tcpdump"

dry=no
all=no
case "${1:-}" in
--dry-run) dry=yes ;;
--all) all=yes ;;
"") ;;
*) echo "usage: $0 [--dry-run | --all]" >&2; exit 2 ;;
esac

missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$all:$st" in
	no:*" installed") ;;
	*) missing="$missing $p" ;;
	esac
done

if [ -z "$missing" ]; then
	echo "deps.sh: all build dependencies are installed"
	exit 0
fi
echo "deps.sh: installing:$missing"
[ "$dry" = yes ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1; then
	SUDO="sudo"
else
	echo "deps.sh: not root and sudo not found; run as root:" >&2
	echo "  apt-get update && apt-get install -y$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing
