#!/usr/bin/env bash
# Stops the local Xen lab host (npm run lab:down): its QEMU by PID (never by process name),
# then removes the state file, the overlay disk and the VG disk. Safe to run when it is down.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# `--hosts 2`: the two-host lab (lab/two-hosts/down.sh) instead of this single host.
lab_dispatch_hosts down.sh "$@"
shift "$LAB_HOSTS_SHIFT"

mkdir -p "$LAB_DIR"
exec 9>"$LAB_DIR/.lock"
flock -w 900 9 || die "another lab:up or lab:down holds $LAB_DIR/.lock" "wait for it to finish"
if lab_qemu_pid >/dev/null; then
  lab_stop
  log "the lab is down"
else
  lab_stop
  log "the lab was not running"
fi
