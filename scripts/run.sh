#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Builds Talk and starts it from the build tree.
#
#   scripts/run.sh [TALK ARGS…]
#
# Installs what is missing (scripts/install-deps.sh), configures `build` on
# first use, builds, and runs build/src/ui/talk with the arguments given.
set -eu

cd "$(dirname "$(readlink -f "$0")")/.."

scripts/install-deps.sh

if [ ! -f build/meson-private/coredata.dat ]; then
  meson setup build
fi
ninja -C build

# The uninstalled app finds its compiled GSettings schema next to the build.
export GSETTINGS_SCHEMA_DIR="$PWD/build/data${GSETTINGS_SCHEMA_DIR:+:$GSETTINGS_SCHEMA_DIR}"
exec build/src/ui/talk "$@"
