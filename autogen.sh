#!/bin/sh
# Regenerate the build system (needs autoconf, automake, autopoint,
# autoconf-archive, pkg-config).
set -e
cd "$(dirname "$0")"
autoreconf -fi
