#!/usr/bin/env bash
# Starts the two-host lab (bash lab/up.sh --hosts 2), the ground for live migration:
#   - xenA and xenB, each Debian's Xen 4.17 and dom0 in its own QEMU (TCG), booted from ONE image
#     (the base recipe plus lab/two-hosts/{packages.txt,files}) with a qcow2 overlay and a blank VG
#     disk each, its hostname and migration address on the dom0 kernel line, SSH on its own
#     127.0.0.1 port with its own pinned host key;
#   - joined by a second NIC on a QEMU socket netdev (xenA listens, xenB connects), bridged in dom0
#     as xenbr1 with 192.168.77.1 / 192.168.77.2;
#   - root on each host reaches the other over xenbr1 by SSH (for `xl migrate`): each host makes
#     its own lab-only migration key at boot, the peers authorise each other's public key (from
#     192.168.77.0/24 only) and know each other's host key; no private key leaves the host it
#     was made on, and the operator's key never goes onto a host;
#   - a shared storage pool: xenA exports /srv/nfs/xen-shared over NFS to 192.168.77.0/24, both
#     hosts have it at /srv/xen-shared (xenB by NFS, xenA by a bind mount);
#   - writes $LAB_DIR/hosts.json (default .lab2/hosts.json); never leaves a QEMU behind on failure.
# Idempotent: when both hosts are up and answer it only prints. Runs beside the single host
# (.lab/), which it never touches.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# dom0 is ready for guests and for the peer: xenstored answers, vg0, xenbr0 (with its DHCP
# address) and xenbr1 (with its static one) exist, and xenconsoled's log directory is there.
ready_check() {
  local address=$1
  printf '%s' "xl list >/dev/null && vgs $LAB_VOLUME_GROUP >/dev/null 2>&1"
  printf '%s' " && [ -d /sys/class/net/$LAB_BRIDGE/bridge ] && ip -4 -o addr show dev $LAB_BRIDGE | grep -q ' inet '"
  printf '%s' " && [ -d /sys/class/net/$LAB2_MIGRATION_BRIDGE/bridge ]"
  printf '%s' " && ip -4 -o addr show dev $LAB2_MIGRATION_BRIDGE | grep -q ' inet $address/'"
  printf '%s' " && [ -d /var/log/xen/console ]"
}
# What "up" means for a lab that is already running: each host ready, and its peer and the
# shared pool reachable the way up.sh left them.
up_check() {
  local i=$1 peer=$(($1 == 0 ? 1 : 0))
  ready_check "${LAB2_MIGRATION_ADDRESSES[$i]}"
  printf '%s' " && mountpoint -q $LAB2_SHARED_PATH && ssh ${LAB2_MIGRATION_ADDRESSES[$peer]} true"
}

print_connect() {
  local name
  {
    echo "The two-host Xen lab is up ($LAB_STATE):"
    for name in "${LAB2_HOSTS[@]}"; do
      printf '  %s: QEMU pid %s, ssh on 127.0.0.1:%s, migration address %s, shared pool %s\n' "$name" \
        "$(lab2_state_get "$name" pid)" "$(lab2_state_get "$name" port)" \
        "$(lab2_state_get "$name" migrationAddress)" "$(lab2_state_get "$name" sharedPath)"
    done
    echo "  run a command:  bash lab/ssh.sh --hosts 2 xenB xl info"
    echo "  status / stop:  bash lab/status.sh --hosts 2 / bash lab/down.sh --hosts 2"
  } >&2
}

mkdir -p "$LAB_DIR"
case "$LAB_DIR" in *,* | *' '*) die "the lab directory '$LAB_DIR' contains a comma or a space; QEMU options cannot take it" \
  "set CDKTF_XEN_LAB2_DIR to a path without commas or spaces" ;; esac
if [ -e "$LAB_DIR/host.json" ] || [ -e "$LAB_DIR/run/qemu.pid" ]; then
  die "$LAB_DIR holds a single-host lab" "give the two-host lab its own directory: CDKTF_XEN_LAB2_DIR (default .lab2)"
fi

exec 9>"$LAB_DIR/.lock"
flock -w 900 9 || die "another up or down of the two-host lab holds $LAB_DIR/.lock for 15 minutes" \
  "wait for it, or find it with: fuser -v $LAB_DIR/.lock"

if [ -r "$LAB_STATE" ] && lab2_qemu_pid xenA >/dev/null && lab2_qemu_pid xenB >/dev/null; then
  all_up=1
  for i in "${!LAB2_HOSTS[@]}"; do
    lab2_ssh "${LAB2_HOSTS[$i]}" "$(up_check "$i")" >/dev/null 2>&1 || { all_up=0; break; }
  done
  if [ "$all_up" = 1 ]; then
    print_connect
    exit 0
  fi
  log "the two-host lab's QEMUs run but a host does not answer as up.sh left it: restarting both"
fi
lab2_stop_all

bash "$LAB_SRC/deps.sh"

# Each host's QEMU stays about 1 GiB above its -m once Xen has scrubbed the RAM (measured: 3 GiB
# resident with -m 2048). Refuse to start rather than let the kernel's OOM killer pick a QEMU.
need_mib=$(((LAB2_MEMORY_MIB + 1024) * ${#LAB2_HOSTS[@]}))
avail_mib=$(($(sed -n 's/^MemAvailable: *\([0-9]*\) kB/\1/p' /proc/meminfo) / 1024))
[ "$avail_mib" -ge "$need_mib" ] || die "the two-host lab needs about $need_mib MiB of free memory; $avail_mib MiB are available" \
  "stop something (the single host takes about 4.4 GiB: npm run lab:down), or lower CDKTF_XEN_LAB2_MEMORY_MIB"

cache=$(lab2_cache_dir)
if [ ! -f "$cache/manifest.env" ]; then
  log "no two-host image in $cache: building it (the base recipe plus lab/two-hosts/; a minute or a few)"
  lab2_build
fi
# shellcheck source=/dev/null
source "$cache/manifest.env"
touch "$cache/manifest.env"
case "$cache" in *,* | *' '*) die "the cache path '$cache' contains a comma or a space; QEMU's -initrd cannot take it" \
  "set CDKTF_XEN_LAB_CACHE to a path without commas or spaces" ;; esac
[ "$LAB2_DOM0_MEMORY_MIB" -lt "$LAB2_MEMORY_MIB" ] || die \
  "dom0 memory ($LAB2_DOM0_MEMORY_MIB MiB) must be less than the host's ($LAB2_MEMORY_MIB MiB)" \
  "lower CDKTF_XEN_LAB2_DOM0_MEMORY_MIB or raise CDKTF_XEN_LAB2_MEMORY_MIB"

port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# A free 127.0.0.1 port not in the arguments (QEMU fails on a taken one; that case is retried).
pick_port() {
  local p i used=" $* "
  for i in $(seq 1 50); do
    p=$((20000 + RANDOM % 40000))
    case "$used" in *" $p "*) continue ;; esac
    port_taken "$p" || { echo "$p"; return 0; }
  done
  die "found no free port on 127.0.0.1"
}

started=0
ready=0
cleanup() {
  local rc=$? name
  if [ "$started" = 1 ] && [ "$ready" = 0 ]; then
    log "start failed: stopping the QEMUs it started"
    for name in "${LAB2_HOSTS[@]}"; do
      if [ -s "$(lab2_host_dir "$name")/run/serial.log" ]; then
        { echo "[lab] last lines of $name's serial log:"; tail -n 15 "$(lab2_host_dir "$name")/run/serial.log" | tr -d '\r' | sed 's/^/    /'; } >&2
      fi
    done
    lab2_stop_all || true
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

xen_args="console=com1 com1=115200,8n1 dom0_mem=${LAB2_DOM0_MEMORY_MIB}M,max:${LAB2_DOM0_MEMORY_MIB}M"
xen_args+=" dom0_max_vcpus=$LAB2_CPUS smap=0 smep=0 spec-ctrl=eager-fpu noreboot ${CDKTF_XEN_LAB_XEN_ARGS:-}"

# Starts host i's QEMU. $ports[i] is its SSH port; $link_port the socket link's port.
start_host() {
  local i=$1 name=${LAB2_HOSTS[$1]} dir run link dom0_args
  dir=$(lab2_host_dir "$name")
  run=$dir/run
  mkdir -p "$run"
  rm -f "$run/serial.log" "$run/dom0-root.qcow2" "$run/vg.img"
  qemu-img create -q -f qcow2 -b "$cache/dom0-root.img" -F raw "$run/dom0-root.qcow2"
  truncate -s "${LAB_VG_GIB}G" "$run/vg.img"
  if [ "$i" = 0 ]; then link="listen=127.0.0.1:$link_port"; else link="connect=127.0.0.1:$link_port"; fi
  dom0_args="root=/dev/vda ro console=hvc0 earlyprintk=xen net.ifnames=1 systemd.hostname=$name"
  dom0_args+=" xenlab.migration_address=${LAB2_MIGRATION_ADDRESSES[$i]}/${LAB2_MIGRATION_NETWORK#*/}"
  dom0_args+=" xenlab.migration_nic_mac=${LAB2_NIC_MACS[$i]} xenlab.migration_bridge_mac=${LAB2_BRIDGE_MACS[$i]}"
  log "starting $name's QEMU: $LAB2_CPUS pCPU, $LAB2_MEMORY_MIB MiB (dom0 $LAB2_DOM0_MEMORY_MIB), ssh on 127.0.0.1:${ports[$i]}, link ${link%%=*} $link_port"
  started=1
  # The same machine and Xen options as the single host (lab/up.sh says why each is there).
  qemu-system-x86_64 \
    -name "cdktf-xen-lab-$name" -machine pc -accel tcg,thread=multi \
    -cpu max,avx=off,avx2=off,fma=off,f16c=off,vaes=off,vpclmulqdq=off \
    -smp "$LAB2_CPUS" -m "$LAB2_MEMORY_MIB" \
    -nodefaults -display none -vga none -no-reboot \
    -serial "file:$run/serial.log" \
    -monitor "unix:$run/monitor.sock,server=on,wait=off" \
    -kernel "$cache/xen-4.17.elf" -append "$xen_args" \
    -initrd "$cache/vmlinuz $dom0_args,$cache/initrd.img" \
    -drive "file=$run/dom0-root.qcow2,if=virtio,format=qcow2,cache=unsafe" \
    -drive "file=$run/vg.img,if=virtio,format=raw,cache=unsafe" \
    -netdev "user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:${ports[$i]}-:22" \
    -device virtio-net-pci,netdev=n0 \
    -netdev "socket,id=n1,$link" \
    -device "virtio-net-pci,netdev=n1,mac=${LAB2_NIC_MACS[$i]}" \
    -pidfile "$run/qemu.pid" -daemonize 2>"$run/qemu.err" 9>&-
}

declare -a ports t0s boot_seconds known pids
for attempt in 1 2 3; do
  ports=()
  ports[0]=$(pick_port)
  ports[1]=$(pick_port "${ports[0]}")
  link_port=$(pick_port "${ports[@]}")
  ok=1
  for i in "${!LAB2_HOSTS[@]}"; do
    t0s[i]=$(date +%s)
    if ! start_host "$i"; then
      ok=0
      break
    fi
  done
  [ "$ok" = 1 ] && break
  err=$(cat "$(lab2_host_dir "${LAB2_HOSTS[$i]}")/run/qemu.err" 2>/dev/null || true)
  lab2_stop_all
  if [ "$attempt" -lt 3 ] && printf '%s' "$err" | grep -qiE 'host forwarding|address already in use|bind'; then
    log "a port was taken meanwhile ($err); trying others"
    continue
  fi
  die "${LAB2_HOSTS[$i]}'s QEMU did not start: $err" "see the message above"
done

key=$cache/id_ed25519
for i in "${!LAB2_HOSTS[@]}"; do
  name=${LAB2_HOSTS[$i]}
  pids[i]=$(lab2_qemu_pid "$name") || die "$name's QEMU started but its pid file names no QEMU of this lab"
  known[i]=$(lab2_host_dir "$name")/known_hosts
  # Until the host makes its own host key (below), it has the image's.
  printf '[127.0.0.1]:%s %s\n' "${ports[$i]}" "$(cut -d' ' -f1,2 "$cache/host_key.pub")" >"${known[$i]}"
done

log "waiting for both dom0s (sshd, xenstored, vg0, xenbr0, xenbr1); serial logs: $LAB_DIR/xen{A,B}/run/serial.log"
deadline=$((t0s[0] + LAB_BOOT_TIMEOUT))
next_note=$((t0s[0] + 30))
boot_seconds=()
while [ "${#boot_seconds[@]}" -lt "${#LAB2_HOSTS[@]}" ]; do
  for i in "${!LAB2_HOSTS[@]}"; do
    [ -z "${boot_seconds[$i]:-}" ] || continue
    name=${LAB2_HOSTS[$i]}
    serial=$(lab2_host_dir "$name")/run/serial.log
    lab2_pid_is_qemu "${pids[$i]}" "$name" || die "$name's QEMU exited while the lab booted" "read $serial"
    if grep -aqE 'Panic on CPU|Kernel panic|\(XEN\) \*\*\*\*' "$serial" 2>/dev/null; then
      die "Xen or dom0 crashed while $name booted" "read $serial"
    fi
    if lab_ssh "${ports[$i]}" "$key" "${known[$i]}" "$(ready_check "${LAB2_MIGRATION_ADDRESSES[$i]}")" >/dev/null 2>&1; then
      boot_seconds[i]=$(($(date +%s) - t0s[i]))
      log "$name ready after ${boot_seconds[$i]} s"
    fi
  done
  [ "${#boot_seconds[@]}" -lt "${#LAB2_HOSTS[@]}" ] || break
  now=$(date +%s)
  if [ "$now" -ge "$deadline" ]; then
    for i in "${!LAB2_HOSTS[@]}"; do
      [ -z "${boot_seconds[$i]:-}" ] || continue
      why=$(lab_ssh "${ports[$i]}" "$key" "${known[$i]}" \
        "xl list >/dev/null 2>&1 || echo 'xl list fails (xenstored?)'; vgs vg0 >/dev/null 2>&1 || echo 'no VG vg0';
         ip -4 -o addr show dev $LAB_BRIDGE 2>/dev/null | grep -q ' inet ' || echo '$LAB_BRIDGE has no IPv4 address';
         ip -4 -o addr show dev $LAB2_MIGRATION_BRIDGE 2>/dev/null | grep -q ' inet ' || echo '$LAB2_MIGRATION_BRIDGE has no IPv4 address';
         systemctl --failed --no-legend --plain | sed 's/^/failed unit: /'; echo answered" 2>&1 | tr '\n' ' ' || true)
      case "$why" in *answered*) why=${why% answered*} ;; *) why="sshd does not answer" ;; esac
      log "${LAB2_HOSTS[$i]} not ready: $why"
    done
    die "the two-host lab was not ready after $LAB_BOOT_TIMEOUT s" \
      "read $LAB_DIR/xen{A,B}/run/serial.log; raise CDKTF_XEN_LAB_BOOT_TIMEOUT on a loaded machine"
  fi
  if [ "$now" -ge "$next_note" ]; then
    for i in "${!LAB2_HOSTS[@]}"; do
      [ -z "${boot_seconds[$i]:-}" ] || continue
      log "${LAB2_HOSTS[$i]} still booting ($((now - t0s[i])) s): $(tr -d '\r' <"$(lab2_host_dir "${LAB2_HOSTS[$i]}")/run/serial.log" |
        sed 's/\x1b\[[0-9;]*[A-Za-z]//g; s/\x1b[A-Za-z]//g' | grep -av '^[[:space:]]*$' | tail -n 1 | cut -c1-100)"
    done
    next_note=$((now + 30))
  fi
  sleep 2
done
t_config=$(date +%s)

# Runs a script in several dom0s at once: on_hosts FUNCTION INDEX... runs "$(FUNCTION i)" on
# host i; each host's output goes to $out[i], and it fails (naming the host and its output) when
# any script fails. One SSH round trip costs 1.5-3 s here: the steps below go in parallel.
declare -a out
on_hosts() {
  local fn=$1 i rc=0 failed=""
  local -a jobs files
  shift
  for i in "$@"; do
    files[i]=$(lab2_host_dir "${LAB2_HOSTS[$i]}")/run/configure.out
    lab_ssh "${ports[$i]}" "$key" "${known[$i]}" "$("$fn" "$i")" >"${files[$i]}" 2>&1 &
    jobs[i]=$!
  done
  for i in "$@"; do
    wait "${jobs[$i]}" || { rc=1; failed+=" ${LAB2_HOSTS[$i]}: $(tr '\n' ' ' <"${files[$i]}")"; }
    out[i]=$(cat "${files[$i]}")
    rm -f "${files[$i]}"
  done
  [ "$rc" = 0 ] || log "failed on$failed"
  return "$rc"
}
all_hosts=("${!LAB2_HOSTS[@]}")
server=$LAB2_NFS_SERVER_INDEX
nfs_server_address=${LAB2_MIGRATION_ADDRESSES[$server]}
probe=".xen-lab-probe-$$-$RANDOM"

# 1. Each host gets its own SSH host key (the image's is the same on both: pinning it could not
# tell the hosts apart) and a root key for migration, both made on the host itself. The new host
# key's public half arrives over a session authenticated with the image's pinned key.
make_keys() {
  local name=${LAB2_HOSTS[$1]}
  cat <<EOF
set -e
cd /etc/ssh
rm -f ssh_host_ed25519_key.new ssh_host_ed25519_key.new.pub
ssh-keygen -q -t ed25519 -N '' -C 'root@$name' -f ssh_host_ed25519_key.new
mv -f ssh_host_ed25519_key.new.pub ssh_host_ed25519_key.pub
mv -f ssh_host_ed25519_key.new ssh_host_ed25519_key
systemctl reload ssh
rm -f /root/.ssh/id_ed25519 /root/.ssh/id_ed25519.pub
ssh-keygen -q -t ed25519 -N '' -C 'root@$name lab-only migration key' -f /root/.ssh/id_ed25519
echo "HOSTKEY \$(cut -d' ' -f1,2 ssh_host_ed25519_key.pub)"
echo "ROOTKEY \$(cut -d' ' -f1,2 /root/.ssh/id_ed25519.pub)"
echo "XENVERSION \$(xl info | sed -n 's/^xen_version *: *//p')"
EOF
}
log "making each host's own host key and migration key"
on_hosts make_keys "${all_hosts[@]}" || die "could not make the hosts' own host keys and migration keys" "the line above says why"
declare -a host_keys host_fps root_keys xen_versions
for i in "${all_hosts[@]}"; do
  host_keys[i]=$(printf '%s\n' "${out[$i]}" | sed -n 's/^HOSTKEY //p')
  root_keys[i]=$(printf '%s\n' "${out[$i]}" | sed -n 's/^ROOTKEY //p')
  xen_versions[i]=$(printf '%s\n' "${out[$i]}" | sed -n 's/^XENVERSION //p')
  case "${host_keys[$i]}:${root_keys[$i]}" in ssh-ed25519\ *:ssh-ed25519\ *) ;; *) die "${LAB2_HOSTS[$i]} sent no keys: ${out[$i]}" ;; esac
  printf '[127.0.0.1]:%s %s\n' "${ports[$i]}" "${host_keys[$i]}" >"${known[$i]}"
  host_fps[i]=$(ssh-keygen -l -E sha256 -f "${known[$i]}" | awk '{print $2}')
done
[ "${host_fps[0]}" != "${host_fps[1]}" ] || die "both hosts made the same host key" "this cannot happen unless ssh-keygen is broken; read the serial logs"

# 2. Peers: names in /etc/hosts, every host's key in root's known_hosts, every host's migration
# key authorised for logins from the migration network only. The NFS server exports the pool,
# binds it at the shared path and writes a probe file there.
configure_peers() {
  local i j
  echo "set -e"
  echo "sed -i '/ # xen-lab-peer\$/d' /etc/hosts /root/.ssh/authorized_keys"
  echo ": >/root/.ssh/known_hosts"
  for j in "${all_hosts[@]}"; do
    echo "echo '${LAB2_MIGRATION_ADDRESSES[$j]} ${LAB2_HOSTS[$j]} # xen-lab-peer' >>/etc/hosts"
    echo "echo '${LAB2_HOSTS[$j]},${LAB2_MIGRATION_ADDRESSES[$j]} ${host_keys[$j]}' >>/root/.ssh/known_hosts"
    echo "echo 'from=\"$LAB2_MIGRATION_NETWORK\",no-agent-forwarding,no-port-forwarding,no-X11-forwarding ${root_keys[$j]} root@${LAB2_HOSTS[$j]} # xen-lab-peer' >>/root/.ssh/authorized_keys"
  done
  echo "chmod 0600 /root/.ssh/known_hosts /root/.ssh/authorized_keys"
  if [ "$1" = "$server" ]; then
    cat <<EOF
mkdir -p $LAB2_EXPORT_DIR $LAB2_SHARED_PATH /etc/exports.d
echo '$LAB2_EXPORT_DIR $LAB2_MIGRATION_NETWORK(rw,sync,no_subtree_check,no_root_squash)' >/etc/exports.d/xen-lab.exports
systemctl restart nfs-server
mountpoint -q $LAB2_SHARED_PATH || mount --bind $LAB2_EXPORT_DIR $LAB2_SHARED_PATH
echo $probe >$LAB2_SHARED_PATH/$probe
EOF
  fi
}
log "introducing the peers to each other; exporting $LAB2_EXPORT_DIR from ${LAB2_HOSTS[$server]}"
on_hosts configure_peers "${all_hosts[@]}" || die "configuring the peers and the NFS export failed" "the line above says why"

# 3. The other hosts mount the pool: NFS 4.2 over TCP (no rpcbind or statd on the client); `hard`
# so a guest's disk never sees an I/O error while the server is slow, only a delay; `sync`
# because Xen's block script serves a file-backed disk through a buffered loop device: without
# it a guest's last writes could still sit in this host's page cache when the guest resumes on
# the server after a migration (the source detaches the disk, and so flushes, only after the
# target has started the guest). Then every
# host checks what migration needs, through the hosts themselves: root's SSH to each peer with
# the peer's host key known, and the probe file seen in the shared path.
check_peers() {
  local i=$1 j
  echo "set -e"
  if [ "$i" != "$server" ]; then
    echo "mkdir -p $LAB2_SHARED_PATH"
    echo "mountpoint -q $LAB2_SHARED_PATH || mount -t nfs -o vers=4.2,proto=tcp,hard,sync,timeo=600 $nfs_server_address:$LAB2_EXPORT_DIR $LAB2_SHARED_PATH"
  fi
  for j in "${all_hosts[@]}"; do
    [ "$i" = "$j" ] && continue
    echo "echo \"PEER ${LAB2_HOSTS[$j]} \$(ssh ${LAB2_MIGRATION_ADDRESSES[$j]} hostname 2>&1 | tr '\n' ' ')\""
  done
  echo "echo \"PROBE \$(cat $LAB2_SHARED_PATH/$probe 2>&1)\""
}
log "mounting the shared pool; checking root's SSH between the hosts and the pool"
on_hosts check_peers "${all_hosts[@]}" || die "mounting the shared pool failed" "the line above says why; is nfs-server running on ${LAB2_HOSTS[$server]}?"
for i in "${all_hosts[@]}"; do
  name=${LAB2_HOSTS[$i]}
  for j in "${all_hosts[@]}"; do
    [ "$i" = "$j" ] && continue
    got=$(printf '%s\n' "${out[$i]}" | sed -n "s/^PEER ${LAB2_HOSTS[$j]} //p")
    [ "$got" = "${LAB2_HOSTS[$j]} " ] || die "root on $name cannot ssh to ${LAB2_HOSTS[$j]} (${LAB2_MIGRATION_ADDRESSES[$j]}): $got" \
      "xl migrate needs it; check xenbr1 on both (ip -br addr) and the serial logs"
  done
  got=$(printf '%s\n' "${out[$i]}" | sed -n 's/^PROBE //p')
  [ "$got" = "$probe" ] || die "$name does not see the file written on ${LAB2_HOSTS[$server]} in $LAB2_SHARED_PATH: $got"
done
lab_ssh "${ports[$server]}" "$key" "${known[$server]}" "rm -f $LAB2_SHARED_PATH/$probe" || true
config_seconds=$(($(date +%s) - t_config))

host_json() {
  local i=$1 name=${LAB2_HOSTS[$1]} dir
  dir=$(lab2_host_dir "$name")
  printf '    {\n'
  printf '      "name": %s,\n' "$(json_str "$name")"
  printf '      "address": "127.0.0.1",\n'
  printf '      "port": %s,\n' "${ports[$i]}"
  printf '      "user": "root",\n'
  printf '      "privateKeyPath": %s,\n' "$(json_str "$key")"
  printf '      "hostKey": %s,\n' "$(json_str "${host_fps[$i]}")"
  printf '      "knownHostsFile": %s,\n' "$(json_str "${known[$i]}")"
  printf '      "guestKernel": %s,\n' "$(json_str "$LAB_GUEST_KERNEL")"
  printf '      "guestRamdisk": %s,\n' "$(json_str "$LAB_GUEST_RAMDISK")"
  printf '      "volumeGroup": %s,\n' "$(json_str "$LAB_VOLUME_GROUP")"
  printf '      "bridge": %s,\n' "$(json_str "$LAB_BRIDGE")"
  printf '      "cpus": %s,\n' "$LAB2_CPUS"
  printf '      "memoryMiB": %s,\n' "$LAB2_MEMORY_MIB"
  printf '      "dom0MemoryMiB": %s,\n' "$LAB2_DOM0_MEMORY_MIB"
  printf '      "dom0Cpus": %s,\n' "$LAB2_CPUS"
  printf '      "pid": %s,\n' "${pids[$i]}"
  printf '      "serialLog": %s,\n' "$(json_str "$dir/run/serial.log")"
  printf '      "xenVersion": %s,\n' "$(json_str "${xen_versions[$i]:-unknown}")"
  printf '      "dom0Kernel": %s,\n' "$(json_str "$KERNEL_VERSION")"
  printf '      "recipeHash": %s,\n' "$(json_str "$RECIPE_HASH")"
  printf '      "imageDir": %s,\n' "$(json_str "$cache")"
  printf '      "bootSeconds": %s,\n' "${boot_seconds[$i]}"
  printf '      "startedAt": %s,\n' "$(json_str "$(date -u -d "@${t0s[$i]}" +%Y-%m-%dT%H:%M:%SZ)")"
  printf '      "migrationAddress": %s,\n' "$(json_str "${LAB2_MIGRATION_ADDRESSES[$i]}")"
  printf '      "migrationBridge": %s,\n' "$(json_str "$LAB2_MIGRATION_BRIDGE")"
  printf '      "sharedPath": %s\n' "$(json_str "$LAB2_SHARED_PATH")"
  printf '    }'
}

tmp=$LAB_STATE.tmp.$$
{
  printf '{\n  "hosts": [\n'
  for i in "${!LAB2_HOSTS[@]}"; do
    host_json "$i"
    [ "$i" -lt $((${#LAB2_HOSTS[@]} - 1)) ] && printf ','
    printf '\n'
  done
  printf '  ]\n}\n'
} >"$tmp"
mv "$tmp" "$LAB_STATE"
ready=1
log "both hosts ready: xenA after ${boot_seconds[0]} s, xenB after ${boot_seconds[1]} s; keys, peers and NFS in $config_seconds s"
print_connect
