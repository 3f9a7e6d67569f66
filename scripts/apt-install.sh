#!/usr/bin/env bash
# apt-install.sh WHO PACKAGE...: installs the given Debian packages (the callers pass only the missing ones).
# Needs root or sudo; WHO names the caller in messages.
set -euo pipefail
who=$1
shift
[ $# -eq 0 ] && exit 0
sudo=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "$who: need root or sudo to install: $*" >&2; exit 1; }
  sudo=sudo
fi
echo "$who: installing $*"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
