#!/usr/bin/env bash
# Says whether the local Xen lab host is up (npm run lab:status): exit 0 and the domains
# when it is, exit 3 when it is down.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# `--hosts 2`: the two-host lab (lab/two-hosts/status.sh) instead of this single host.
lab_dispatch_hosts status.sh "$@"
shift "$LAB_HOSTS_SHIFT"

if ! pid=$(lab_qemu_pid); then
  echo "the Xen lab host is down$([ -e "$LAB_STATE" ] && echo " (stale state file $LAB_STATE)")"
  echo "image for this recipe: $(lab_cache_dir)$([ -f "$(lab_cache_dir)/manifest.env" ] || echo " (not built yet)")"
  exit 3
fi
port=$(lab_state_get port || true)
echo "the Xen lab host runs: QEMU pid $pid, ssh on 127.0.0.1:${port:-?}, state file $LAB_STATE"
if [ -n "$port" ] && lab_ssh "$port" "$(lab_state_get privateKeyPath)" "$(lab_state_get knownHostsFile)" \
  'xl list' 2>&1; then
  exit 0
fi
echo "dom0 does not answer over SSH (still booting, or hung: npm run lab:down && npm run lab:up)"
exit 1
