#!/usr/bin/env bash
# Starts the local Xen lab host (npm run lab:up): Debian 12's Xen 4.17 and dom0 in QEMU (TCG),
# reachable by SSH on a 127.0.0.1 port, and writes the state file tests and tools read.
#   - installs missing host packages (lab/deps.sh) and builds the image if the cache has none
#     for the current recipe (lab/build.sh: under a minute with a fast Debian mirror; then cached);
#   - boots from a fresh copy-on-write overlay and a blank VG disk (every start is a clean host);
#   - waits until sshd answers and dom0 is ready for guests (xl list, vg0, xenbr0);
#   - never leaves a QEMU behind when it fails.
# Idempotent: when the lab is already up (its QEMU alive and SSH answering) it only prints.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# `--hosts 2`: the two-host lab (lab/two-hosts/up.sh) instead of this single host.
lab_dispatch_hosts up.sh "$@"
shift "$LAB_HOSTS_SHIFT"

# dom0 is ready for guests: xenstored answers, the VG and the bridge (with its address) exist,
# and xenconsoled's log directory is there.
READY_CHECK="xl list >/dev/null && vgs $LAB_VOLUME_GROUP >/dev/null 2>&1 && [ -d /sys/class/net/$LAB_BRIDGE/bridge ]"
READY_CHECK+=" && ip -4 -o addr show dev $LAB_BRIDGE | grep -q ' inet ' && [ -d /var/log/xen/console ]"

print_connect() {
  local port key known
  port=$(lab_state_get port)
  key=$(lab_state_get privateKeyPath)
  known=$(lab_state_get knownHostsFile)
  cat >&2 <<EOF
The Xen lab host is up: $(lab_state_get xenVersion), $(lab_state_get cpus) pCPUs, QEMU pid $(lab_state_get pid).
  run a command:  npm run lab:ssh -- xl info
  plain ssh:      ssh -i $key -p $port -o UserKnownHostsFile=$known root@127.0.0.1
  state file:     $LAB_STATE
  serial log:     $(lab_state_get serialLog)
  stop it:        npm run lab:down
EOF
}

mkdir -p "$LAB_DIR" "$LAB_RUN"
case "$LAB_RUN" in *,* | *' '*) die "the lab directory '$LAB_DIR' contains a comma or a space; QEMU options cannot take it" \
  "set CDKTF_XEN_LAB_DIR to a path without commas or spaces" ;; esac

# One lab:up / lab:down at a time for this lab directory.
exec 9>"$LAB_DIR/.lock"
flock -w 900 9 || die "another lab:up or lab:down holds $LAB_DIR/.lock for 15 minutes" \
  "wait for it, or find it with: fuser -v $LAB_DIR/.lock"

if pid=$(lab_qemu_pid) && [ -r "$LAB_STATE" ]; then
  if lab_ssh "$(lab_state_get port)" "$(lab_state_get privateKeyPath)" "$(lab_state_get knownHostsFile)" \
    "$READY_CHECK" >/dev/null 2>&1; then
    print_connect
    exit 0
  fi
  log "the lab's QEMU (pid $pid) runs but dom0 does not answer: restarting it"
fi
lab_stop

bash "$LAB_SRC/deps.sh"
cache=$(lab_cache_dir)
if [ ! -f "$cache/manifest.env" ]; then
  log "no image for this recipe in $cache: building it from Debian packages (a minute or a few)"
  bash "$LAB_SRC/build.sh"
fi
# shellcheck source=/dev/null
source "$cache/manifest.env"
touch "$cache/manifest.env" # last use, for whoever prunes old images

[ "$LAB_DOM0_MEMORY_MIB" -lt "$LAB_MEMORY_MIB" ] || die \
  "dom0 memory ($LAB_DOM0_MEMORY_MIB MiB) must be less than the host's ($LAB_MEMORY_MIB MiB)" \
  "lower CDKTF_XEN_LAB_DOM0_MEMORY_MIB or raise CDKTF_XEN_LAB_MEMORY_MIB"

# A free 127.0.0.1 port (QEMU would fail on a taken one; that case is retried below).
port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pick_port() {
  local p i
  for i in $(seq 1 50); do
    p=$((20000 + RANDOM % 40000))
    port_taken "$p" || { echo "$p"; return 0; }
  done
  die "found no free port on 127.0.0.1" "set CDKTF_XEN_LAB_PORT"
}

started=0
ready=0
qemu_pid=""
cleanup() {
  local rc=$?
  if [ "$started" = 1 ] && [ "$ready" = 0 ]; then
    log "start failed: stopping the QEMU it started"
    if [ -s "$LAB_RUN/serial.log" ]; then
      { echo "[lab] last lines of $LAB_RUN/serial.log:"; tail -n 30 "$LAB_RUN/serial.log" | tr -d '\r' | sed 's/^/    /'; } >&2
    fi
    lab_stop || true
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

rm -f "$LAB_RUN/serial.log"
qemu-img create -q -f qcow2 -b "$cache/dom0-root.img" -F raw "$LAB_RUN/dom0-root.qcow2"
truncate -s "${LAB_VG_GIB}G" "$LAB_RUN/vg.img"

xen_args="console=com1 com1=115200,8n1 dom0_mem=${LAB_DOM0_MEMORY_MIB}M,max:${LAB_DOM0_MEMORY_MIB}M"
xen_args+=" dom0_max_vcpus=$LAB_DOM0_CPUS smap=0 smep=0 spec-ctrl=eager-fpu noreboot ${CDKTF_XEN_LAB_XEN_ARGS:-}"
dom0_args="root=/dev/vda ro console=hvc0 earlyprintk=xen net.ifnames=1"

t0=$(date +%s)
for attempt in 1 2 3; do
  port=${CDKTF_XEN_LAB_PORT:-$(pick_port)}
  log "starting QEMU: Xen $XEN_PACKAGE_VERSION, dom0 $KERNEL_VERSION, $LAB_CPUS pCPUs, ${LAB_MEMORY_MIB} MiB, ssh on 127.0.0.1:$port"
  started=1
  # TCG, not KVM: the machines this runs on have none. smap/smep off: dom0 crashes at once
  # under TCG otherwise. eager-fpu: dom0 corrupts data while PVH/HVM guests run otherwise.
  # No AVX: a cheap precaution from the same investigation (LAB-NOTES.md).
  if qemu-system-x86_64 \
    -name cdktf-xen-lab -machine pc -accel tcg,thread=multi \
    -cpu max,avx=off,avx2=off,fma=off,f16c=off,vaes=off,vpclmulqdq=off \
    -smp "$LAB_CPUS" -m "$LAB_MEMORY_MIB" \
    -nodefaults -display none -vga none -no-reboot \
    -serial "file:$LAB_RUN/serial.log" \
    -monitor "unix:$LAB_RUN/monitor.sock,server=on,wait=off" \
    -kernel "$cache/xen-4.17.elf" -append "$xen_args" \
    -initrd "$cache/vmlinuz $dom0_args,$cache/initrd.img" \
    -drive "file=$LAB_RUN/dom0-root.qcow2,if=virtio,format=qcow2,cache=unsafe" \
    -drive "file=$LAB_RUN/vg.img,if=virtio,format=raw,cache=unsafe" \
    -netdev "user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:$port-:22" \
    -device virtio-net-pci,netdev=n0 \
    -pidfile "$LAB_RUN/qemu.pid" -daemonize 2>"$LAB_RUN/qemu.err" 9>&-; then
    break
  fi
  if [ -z "${CDKTF_XEN_LAB_PORT:-}" ] && grep -q 'host forwarding' "$LAB_RUN/qemu.err" && [ "$attempt" -lt 3 ]; then
    log "port $port was taken meanwhile; trying another"
    continue
  fi
  die "QEMU did not start: $(cat "$LAB_RUN/qemu.err")" "see the message above; $LAB_RUN/qemu.err has it too"
done
qemu_pid=$(lab_qemu_pid) || die "QEMU started but its pid file $LAB_RUN/qemu.pid names no QEMU of this lab"

known_hosts=$LAB_DIR/known_hosts
printf '[127.0.0.1]:%s %s\n' "$port" "$(cut -d' ' -f1,2 "$cache/host_key.pub")" >"$known_hosts"
key=$cache/id_ed25519

log "waiting for dom0 (sshd, xenstored, vg0, xenbr0); Xen's and dom0's console: $LAB_RUN/serial.log"
deadline=$((t0 + LAB_BOOT_TIMEOUT))
next_note=$((t0 + 30))
until lab_ssh "$port" "$key" "$known_hosts" "$READY_CHECK" >/dev/null 2>&1; do
  lab_pid_is_qemu "$qemu_pid" || die "QEMU exited while the lab booted" "read $LAB_RUN/serial.log and $LAB_RUN/qemu.err"
  if grep -aqE 'Panic on CPU|Kernel panic|\(XEN\) \*\*\*\*' "$LAB_RUN/serial.log" 2>/dev/null; then
    die "Xen or dom0 crashed while booting" "read $LAB_RUN/serial.log"
  fi
  now=$(date +%s)
  if [ "$now" -ge "$deadline" ]; then
    why=$(lab_ssh "$port" "$key" "$known_hosts" \
      'xl list >/dev/null 2>&1 || echo "xl list fails (xenstored?)"; vgs vg0 >/dev/null 2>&1 || echo "no VG vg0";
       ip -4 -o addr show dev xenbr0 2>/dev/null | grep -q " inet " || echo "xenbr0 has no IPv4 address";
       [ -d /var/log/xen/console ] || echo "no /var/log/xen/console";
       systemctl --failed --no-legend --plain | sed "s/^/failed unit: /"; echo answered' 2>&1 | tr '\n' ' ' || true)
    case "$why" in
      answered*) why="it became ready just after the deadline" ;;
      *answered*) why=${why% answered*} ;;
      *) why="sshd does not answer" ;;
    esac
    die "dom0 was not ready after $LAB_BOOT_TIMEOUT s: $why" \
      "read $LAB_RUN/serial.log; raise CDKTF_XEN_LAB_BOOT_TIMEOUT on a loaded machine"
  fi
  if [ "$now" -ge "$next_note" ]; then
    log "still booting ($((now - t0)) s): $(tr -d '\r' <"$LAB_RUN/serial.log" | sed 's/\x1b\[[0-9;]*m//g' | grep -av '^[[:space:]]*$' | tail -n 1 | cut -c1-110)"
    next_note=$((now + 30))
  fi
  sleep 2
done
boot_seconds=$(($(date +%s) - t0))
xen_version=$(lab_ssh "$port" "$key" "$known_hosts" "xl info | sed -n 's/^xen_version *: *//p'" 2>/dev/null || true)

tmp=$LAB_STATE.tmp.$$
{
  printf '{\n'
  printf '  "address": "127.0.0.1",\n'
  printf '  "port": %s,\n' "$port"
  printf '  "user": "root",\n'
  printf '  "privateKeyPath": %s,\n' "$(json_str "$key")"
  printf '  "hostKey": %s,\n' "$(json_str "$HOST_KEY")"
  printf '  "knownHostsFile": %s,\n' "$(json_str "$known_hosts")"
  printf '  "guestKernel": %s,\n' "$(json_str "$LAB_GUEST_KERNEL")"
  printf '  "guestRamdisk": %s,\n' "$(json_str "$LAB_GUEST_RAMDISK")"
  printf '  "volumeGroup": %s,\n' "$(json_str "$LAB_VOLUME_GROUP")"
  printf '  "bridge": %s,\n' "$(json_str "$LAB_BRIDGE")"
  printf '  "cpus": %s,\n' "$LAB_CPUS"
  printf '  "memoryMiB": %s,\n' "$LAB_MEMORY_MIB"
  printf '  "dom0MemoryMiB": %s,\n' "$LAB_DOM0_MEMORY_MIB"
  printf '  "dom0Cpus": %s,\n' "$LAB_DOM0_CPUS"
  printf '  "pid": %s,\n' "$qemu_pid"
  printf '  "serialLog": %s,\n' "$(json_str "$LAB_RUN/serial.log")"
  printf '  "xenVersion": %s,\n' "$(json_str "${xen_version:-unknown}")"
  printf '  "dom0Kernel": %s,\n' "$(json_str "$KERNEL_VERSION")"
  printf '  "recipeHash": %s,\n' "$(json_str "$RECIPE_HASH")"
  printf '  "imageDir": %s,\n' "$(json_str "$cache")"
  printf '  "bootSeconds": %s,\n' "$boot_seconds"
  printf '  "startedAt": %s\n' "$(json_str "$(date -u +%Y-%m-%dT%H:%M:%SZ)")"
  printf '}\n'
} >"$tmp"
mv "$tmp" "$LAB_STATE"
ready=1
log "dom0 ready after $boot_seconds s"
print_connect
