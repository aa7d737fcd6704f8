#!/usr/bin/env bash
# Captures the real Xen 4.17 outputs behind test/fixtures/lab-capture/ from a running lab
# (npm run lab:up first): LVM JSON reports, the bridge listing, and `xl list -l` / `xl vcpu-list`
# of PV guests after vCPU pins, a credit2 weight, mem-set, block and network hot-plug, an LV
# grown under a running guest, and a guest created with the per-vCPU `cpus = [...]` list form.
#   bash lab/capture-fixtures.sh [DIR]     (default test/fixtures/lab-capture; DIR is emptied)
# Guests: cap1, cap2 (PV, the lab's busybox guest); LVs vg0/cap*-*; all removed at the end.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

dir=${1:-$LAB_REPO/test/fixtures/lab-capture}
[ -r "$LAB_STATE" ] || die "the lab is not up (no $LAB_STATE)" "start it: npm run lab:up"
mkdir -p "$dir"
rm -f "$dir"/*.out "$dir"/*.err "$dir"/*.cfg "$dir/INDEX.tsv"

kernel=$(lab_state_get guestKernel)
ramdisk=$(lab_state_get guestRamdisk)
cap() { bash "$LAB_SRC/capture.sh" "$dir" "$@"; }
run() { bash "$LAB_SRC/ssh.sh" "$@"; }
# Waits until guest NAME's console log has a line matching PATTERN (grep -E), at most 120 s.
wait_console() {
  local name=$1 pattern=$2 i
  for i in $(seq 1 120); do
    run "grep -aqE '$pattern' /var/log/xen/console/guest-$name.log" 2>/dev/null && return 0
    sleep 1
  done
  die "guest $name printed no line matching '$pattern' in 120 s" "read /var/log/xen/console/guest-$name.log in dom0"
}
cleanup() {
  run 'for d in cap1 cap2; do xl destroy $d 2>/dev/null; done; for lv in cap1-disk cap1-extra cap2-disk; do lvremove -y vg0/$lv >/dev/null 2>&1; done; rm -rf /root/cap' || true
}
trap cleanup EXIT
cleanup

# The two guest configs, kept beside the outputs.
cat >"$dir/cap1.cfg" <<EOF
# PV guest: the lab's guest kernel + busybox initramfs, 2 vCPUs, 128 of up to 256 MiB.
name     = "cap1"
type     = "pv"
kernel   = "$kernel"
ramdisk  = "$ramdisk"
extra    = "console=hvc0"
memory   = 128
maxmem   = 256
vcpus    = 2
maxvcpus = 2
disk     = [ 'phy:/dev/vg0/cap1-disk,xvda,w' ]
vif      = [ 'bridge=xenbr0' ]
EOF
cat >"$dir/cap2.cfg" <<EOF
# PV guest with per-vCPU hard affinity in list form, a credit2 weight and a cap.
name       = "cap2"
type       = "pv"
kernel     = "$kernel"
ramdisk    = "$ramdisk"
extra      = "console=hvc0"
memory     = 96
vcpus      = 2
cpus       = ["0", "1"]
cpu_weight = 512
cap        = 50
disk       = [ 'phy:/dev/vg0/cap2-disk,xvda,w' ]
vif        = [ 'bridge=xenbr0' ]
EOF
run 'mkdir -p /root/cap && cat > /root/cap/cap1.cfg' <"$dir/cap1.cfg"
run 'cat > /root/cap/cap2.cfg' <"$dir/cap2.cfg"

cap lvcreate-cap1-disk 'lvcreate -y -L 256M -n cap1-disk vg0'
cap lvcreate-cap1-extra 'lvcreate -y -L 64M -n cap1-extra vg0'
cap lvcreate-cap2-disk 'lvcreate -y -L 128M -n cap2-disk vg0'
cap lvs-json 'lvs --reportformat json --units b --nosuffix -o lv_name,vg_name,lv_size'
cap lvs-json-vg0 'lvs --reportformat json --units b --nosuffix -o lv_name,vg_name,lv_size vg0'
cap vgs-json 'vgs --reportformat json --units b --nosuffix'
cap vgs-json-vg0-fields 'vgs --reportformat json --units b --nosuffix -o vg_name,vg_size,vg_free,vg_extent_size vg0'
cap err-lvs-json-novg 'lvs --reportformat json --units b --nosuffix -o lv_name,vg_name,lv_size novg' || true
cap bridges-dom0-only 'ls -1d /sys/class/net/*/bridge'

cap xl-create-cap1 'rm -f /var/log/xen/console/guest-cap1.log; xl create /root/cap/cap1.cfg'
wait_console cap1 XENLAB-DOMU-UP
cap bridges-with-guest 'ls -1d /sys/class/net/*/bridge'
cap bridge-ports-with-guest 'ls -1 /sys/class/net/xenbr0/brif'
cap xl-list-l-cap1-created 'xl list -l cap1'
cap xl-vcpu-pin-cap1-0-to-1 'xl vcpu-pin cap1 0 1'
cap xl-vcpu-pin-cap1-1-to-0 'xl vcpu-pin cap1 1 0'
cap xl-sched-credit2-cap1-w512 'xl sched-credit2 -d cap1 -w 512'
cap xl-mem-set-cap1-200m 'xl mem-set cap1 200m'
sleep 5
cap xl-list-l-cap1-pinned-weighted-memset 'xl list -l cap1'
cap xl-vcpu-list-cap1-pinned 'xl vcpu-list cap1'
cap xl-vcpu-list-all-pinned 'xl vcpu-list'
cap xl-sched-credit2-cap1 'xl sched-credit2 -d cap1'
cap xl-list-cap1-memset 'xl list cap1'

cap xl-block-attach-cap1-xvdb 'xl block-attach cap1 phy:/dev/vg0/cap1-extra,xvdb,w'
wait_console cap1 'XENLAB-DOMU-DISKS-CHANGED .*xvdb:'
cap xl-block-list-cap1-attached 'xl block-list cap1'
cap xl-list-l-cap1-block-attached 'xl list -l cap1'
cap xl-block-detach-cap1-xvdb 'xl block-detach cap1 xvdb'
cap xl-block-list-cap1-detached 'xl block-list cap1'
cap xl-list-l-cap1-block-detached 'xl list -l cap1'

cap xl-network-attach-cap1 'xl network-attach cap1 bridge=xenbr0'
wait_console cap1 'nets=eth0:[0-9.-]+,eth1:'
cap xl-network-list-cap1-attached 'xl network-list cap1'
cap xl-list-l-cap1-network-attached 'xl list -l cap1'
cap xl-network-detach-cap1-devid1 'xl network-detach cap1 1'
cap xl-network-list-cap1-detached 'xl network-list cap1'
cap xl-list-l-cap1-network-detached 'xl list -l cap1'

cap lvextend-cap1-disk-plus64m 'lvextend -L +64M vg0/cap1-disk'
wait_console cap1 'XENLAB-DOMU-DISKS-CHANGED .*xvda:335544320'
cap lvs-json-after-lvextend 'lvs --reportformat json --units b --nosuffix -o lv_name,vg_name,lv_size vg0'
cap cap1-console-resize 'tr -d "\r" </var/log/xen/console/guest-cap1.log | grep -aE "XENLAB-DOMU-DISKS-CHANGED|capacity change"'

cap xl-create-cap2 'rm -f /var/log/xen/console/guest-cap2.log; xl create /root/cap/cap2.cfg'
wait_console cap2 XENLAB-DOMU-UP
cap xl-list-l-cap2-cpus-list-weight-cap 'xl list -l cap2'
cap xl-vcpu-list-cap2 'xl vcpu-list cap2'
cap xl-sched-credit2-cap2 'xl sched-credit2 -d cap2'
cap xl-list-two-guests 'xl list'
cap xl-list-l-two-guests 'xl list -l'

cap xl-shutdown-w-cap1 'xl shutdown -w cap1'
cap xl-shutdown-w-cap2 'xl shutdown -w cap2'
cap cap1-console-tail 'tr -d "\r" </var/log/xen/console/guest-cap1.log | tail -n 8'
cap lvremove-cap 'lvremove -y vg0/cap1-disk vg0/cap1-extra vg0/cap2-disk'
log "captured $(($(wc -l <"$dir/INDEX.tsv") - 1)) outputs into $dir"
