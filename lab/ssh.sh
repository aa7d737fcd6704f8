#!/usr/bin/env bash
# Runs a command in the lab's dom0 as root over SSH (npm run lab:ssh -- xl info), or opens a
# shell without one. Uses the lab's key and its pinned host key from the state file.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# `--hosts 2`: the two-host lab (lab/two-hosts/ssh.sh) instead of this single host.
lab_dispatch_hosts ssh.sh "$@"
shift "$LAB_HOSTS_SHIFT"

[ -r "$LAB_STATE" ] || die "the lab is not up (no $LAB_STATE)" "start it: npm run lab:up"
tty=()
[ $# -eq 0 ] && [ -t 0 ] && tty=(-t)
rc=0
lab_ssh "$(lab_state_get port)" "$(lab_state_get privateKeyPath)" "$(lab_state_get knownHostsFile)" \
  "${tty[@]}" -- "$@" || rc=$?
exit "$rc"
