#!/usr/bin/env bash
# Installs the host packages the lab needs, and only those missing (Debian/Ubuntu, apt-get).
# `apt-get update` runs only when something has to be installed. Safe to run every time.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

export PATH="$PATH:/usr/sbin:/sbin"
have() { command -v "$1" >/dev/null 2>&1; }

missing=()
have qemu-system-x86_64 || missing+=(qemu-system-x86)
have qemu-img || missing+=(qemu-utils)
have debootstrap || missing+=(debootstrap)
# debootstrap checks the Release signatures with these.
have gpgv || missing+=(gpgv)
[ -r /usr/share/keyrings/debian-archive-keyring.gpg ] || missing+=(debian-archive-keyring)
have mke2fs || missing+=(e2fsprogs)
{ have ssh && have ssh-keygen; } || missing+=(openssh-client)
{ have flock && have findmnt; } || missing+=(util-linux)
have gzip || missing+=(gzip)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

log "installing host packages: ${missing[*]}"
sudo=()
if [ "$(id -u)" != 0 ]; then
  have sudo || die "missing host packages: ${missing[*]}" "as root: apt-get update && apt-get install -y ${missing[*]}"
  sudo=(sudo)
fi
have apt-get || die "missing host packages: ${missing[*]}, and this is not an apt-based system" \
  "install the equivalents of: ${missing[*]}"
"${sudo[@]}" apt-get update -q
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
