#!/usr/bin/env bash
# Runs a command in the lab's dom0 as root over SSH (npm run lab:ssh -- xl info), or opens a
# shell without one. Uses the lab's key and its pinned host key from the state file.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ -r "$LAB_STATE" ] || die "the lab is not up (no $LAB_STATE)" "start it: npm run lab:up"
tty=()
[ $# -eq 0 ] && [ -t 0 ] && tty=(-t)
rc=0
lab_ssh "$(lab_state_get port)" "$(lab_state_get privateKeyPath)" "$(lab_state_get knownHostsFile)" \
  "${tty[@]}" -- "$@" || rc=$?
exit "$rc"
