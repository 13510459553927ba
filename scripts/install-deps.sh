#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Installs the Debian 12 packages Talk needs to build, run and test.
# Idempotent: packages already present are skipped; sudo is used when not root.
set -eu

PACKAGES="
  build-essential meson ninja-build pkg-config gettext
  libglib2.0-dev libglib2.0-bin glib-networking
  libgtk-4-dev libadwaita-1-dev
  libxml2-dev libgnutls28-dev gnutls-bin
  libsecret-1-dev libsqlite3-dev libsoup-3.0-dev
  desktop-file-utils appstream
  prosody lua-unbound openssl ca-certificates
  xvfb xauth dbus dbus-x11 at-spi2-core gnome-keyring libsecret-tools
  python3 python3-pyatspi python3-slixmpp python3-gi gir1.2-glib-2.0
  imagemagick iproute2 procps
  clang-14 libclang-rt-14-dev llvm-14
  valgrind
"

missing=""
for p in $PACKAGES; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing="$missing $p"
  fi
done

if [ -z "$missing" ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" != 0 ]; then
  SUDO=sudo
fi

# Remember whether prosody's system service existed before, so the install
# leaves no server running behind the user's back.
had_prosody=0
if dpkg-query -W -f='${Status}' prosody 2>/dev/null | grep -q 'install ok installed'; then
  had_prosody=1
fi

# While installing, a policy-rc.d that answers 101 ("action forbidden") keeps
# invoke-rc.d and deb-systemd-invoke from starting the new prosody service at
# all (init-system-helpers, README.policy-rc.d). Only ours is removed after.
policy=/usr/sbin/policy-rc.d
own_policy=0
remove_own_policy () {
  if [ "$own_policy" = 1 ]; then
    $SUDO rm -f "$policy"
  fi
}
if [ "$had_prosody" = 0 ] && [ ! -e "$policy" ]; then
  trap remove_own_policy EXIT
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
  $SUDO chmod 755 "$policy"
  own_policy=1
fi

echo "Installing:$missing" >&2
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing
remove_own_policy
own_policy=0

# Also keep it from starting at the next boot, whatever the init system.
if [ "$had_prosody" = 0 ]; then
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    $SUDO systemctl disable --now prosody >/dev/null 2>&1 || true
  else
    if command -v update-rc.d >/dev/null 2>&1; then
      $SUDO update-rc.d prosody disable >/dev/null 2>&1 || true
    fi
    if [ -x /etc/init.d/prosody ]; then
      $SUDO /etc/init.d/prosody stop >/dev/null 2>&1 || true
    fi
  fi
fi
