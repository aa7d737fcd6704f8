#!/usr/bin/env bash
# Stops the two-host lab (bash lab/down.sh --hosts 2): each host's QEMU by its PID (never by
# process name; xenB first, the socket link's client), then removes the state file, the overlays,
# the VG disks and the known_hosts files. The serial logs stay. Safe to run when it is down; the
# single host (.lab/) is never touched.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mkdir -p "$LAB_DIR"
exec 9>"$LAB_DIR/.lock"
flock -w 900 9 || die "another up or down of the two-host lab holds $LAB_DIR/.lock" "wait for it to finish"
running=()
for name in "${LAB2_HOSTS[@]}"; do
  lab2_qemu_pid "$name" >/dev/null && running+=("$name")
done
lab2_stop_all
if [ ${#running[@]} -gt 0 ]; then
  log "the two-host lab is down (stopped: ${running[*]})"
else
  log "the two-host lab was not running"
fi
