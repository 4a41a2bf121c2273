#!/usr/bin/env bash
# Installs what the project needs on a fresh Debian 12 machine (as root, or with sudo).
# Idempotent and quiet: does nothing when everything is already there.
set -eu
pkgs="make gcc pkg-config libssl-dev libcurl4-openssl-dev libcjson-dev libyaml-dev libcmocka-dev
      bats python3 openssl nginx curl zsh fish bash-completion tmux
      python3-yaml groff-base man-db dpkg-dev autoconf automake libtool procps"
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "installing:$missing" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
