#!/usr/bin/env bash
# Debian packages the tests and the lab need; installs only what is missing, and runs
# `apt-get update` only when something is.
set -euo pipefail
want=(openssh-server openssh-client util-linux libxen-dev gcc)
if [ -f lab/deps.sh ]; then :; fi
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "cdktf-xen: missing Debian packages: ${missing[*]} (run as root or: sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
  echo "cdktf-xen: installing ${missing[*]}"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
if [ -f lab/deps.sh ]; then bash lab/deps.sh; fi
command -v terraform >/dev/null || echo "cdktf-xen: terraform not on PATH: the Terraform tests will fail under CI" >&2
