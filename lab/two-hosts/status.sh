#!/usr/bin/env bash
# Says whether the two-host lab is up (bash lab/status.sh --hosts 2): a line and `xl list` per
# host; exit 0 when both run and answer, 3 when both are down, 1 otherwise (one down, or a dom0
# that does not answer).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

up=0 answering=0
for name in "${LAB2_HOSTS[@]}"; do
  if ! pid=$(lab2_qemu_pid "$name"); then
    echo "$name is down"
    continue
  fi
  up=$((up + 1))
  port=$(lab2_state_get "$name" port || true)
  echo "$name runs: QEMU pid $pid, ssh on 127.0.0.1:${port:-?}, migration address $(lab2_state_get "$name" migrationAddress || echo '?'), state file $LAB_STATE"
  if [ -n "$port" ] && lab2_ssh "$name" 'xl list' 2>&1; then
    answering=$((answering + 1))
  else
    echo "$name's dom0 does not answer over SSH (still booting, or hung: bash lab/down.sh --hosts 2 && bash lab/up.sh --hosts 2)"
  fi
done
if [ "$up" = 0 ]; then
  echo "the two-host lab is down$([ -e "$LAB_STATE" ] && echo " (stale state file $LAB_STATE)")"
  exit 3
fi
[ "$answering" = "${#LAB2_HOSTS[@]}" ] && exit 0
exit 1
