#!/usr/bin/env bash
# Runs a command as root in one dom0 of the two-host lab, or opens a shell without one:
#   bash lab/ssh.sh --hosts 2 [xenA|xenB] [COMMAND...]      (default xenA)
# Uses the lab's key and the host's pinned host key from the state file.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ -r "$LAB_STATE" ] || die "the two-host lab is not up (no $LAB_STATE)" "start it: bash lab/up.sh --hosts 2"
name=${LAB2_HOSTS[0]}
for h in "${LAB2_HOSTS[@]}"; do
  if [ "${1:-}" = "$h" ]; then
    name=$h
    shift
    break
  fi
done
[ "${1:-}" = -- ] && shift
tty=()
[ $# -eq 0 ] && [ -t 0 ] && tty=(-t)
rc=0
lab2_ssh "$name" "${tty[@]}" -- "$@" || rc=$?
exit "$rc"
