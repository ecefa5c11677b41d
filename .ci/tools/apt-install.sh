#!/usr/bin/env bash
# Installs the Debian packages that are not installed yet, once, as root (CI) or through passwordless sudo; fails
# with a message naming them otherwise. Shared by the *-stack.sh scripts. Logs go to stderr.
#
#   usage: apt-install.sh LABEL PACKAGE...   (LABEL prefixes the log lines, e.g. auth-stack)
# The packages' own services are never started: the tests run their binaries with their own configuration.
set -euo pipefail

label="$1"
shift
log() { echo "${label}: $*" >&2; }
die() { echo "${label}: error: $*" >&2; exit 1; }

missing=()
for p in "$@"; do
  if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" != "install ok installed" ]; then missing+=("$p"); fi
done
[ "${#missing[@]}" -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ]; then sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo=(sudo -n)
else die "missing Debian packages: ${missing[*]}; install them (apt-get install ${missing[*]}) or run as root"
fi
log "installing ${missing[*]} (one-off) ..."
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq >&2 || die 'apt-get update failed'
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 || die "apt-get install ${missing[*]} failed"
