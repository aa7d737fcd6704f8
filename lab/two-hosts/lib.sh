# shellcheck shell=bash
# shellcheck disable=SC2034 # the settings below are read by the scripts that source this file
# Settings and helpers of the two-host lab (bash lab/up.sh --hosts 2), sourced by lab/two-hosts/*.sh.
# Builds on ../lib.sh; what differs from the single host:
#   - its own lab directory (default <repo>/.lab2, so it runs beside the single host's .lab) with
#     one subdirectory per host (xenA/, xenB/: overlay, VG disk, serial log, pid file, known_hosts)
#     and the state file hosts.json;
#   - its own image: the base recipe (../build.sh, ../packages.txt, ../files, ../guest) plus the
#     layer in this directory (packages.txt, files/), staged together and built by ../build.sh
#     under their own recipe hash. The single host's image and cache key do not change.
#
# Settings (environment), beside those of ../lib.sh that still apply (CDKTF_XEN_LAB_CACHE,
# CDKTF_XEN_LAB_BOOT_TIMEOUT, CDKTF_XEN_LAB_VG_GIB, CDKTF_XEN_LAB_XEN_ARGS, the mirrors). Its own
# names, not CDKTF_XEN_LAB_DIR/_STATE, so a setting meant for the single host never points both
# labs at one directory:
#   CDKTF_XEN_LAB2_DIR             lab directory (default <repo>/.lab2)
#   CDKTF_XEN_LAB2_STATE           state file (default $CDKTF_XEN_LAB2_DIR/hosts.json)
#   CDKTF_XEN_LAB2_MEMORY_MIB      RAM of each host (default 2048)
#   CDKTF_XEN_LAB2_DOM0_MEMORY_MIB dom0_mem of each host (default 768)
#   CDKTF_XEN_LAB2_CPUS            pCPUs of each host = dom0 vCPUs (default 1: two -smp 2 hosts on a
#                                  2-core machine took 2-3 times longer to boot)

source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

LAB2_SRC=$LAB_SRC/two-hosts
LAB_DIR=${CDKTF_XEN_LAB2_DIR:-$LAB_REPO/.lab2}
LAB_STATE=${CDKTF_XEN_LAB2_STATE:-$LAB_DIR/hosts.json}
# Not used in this mode; pointed into this lab's directory so that a helper of ../lib.sh called by
# mistake (lab_qemu_pid, lab_stop) can never reach the single host's QEMU in .lab/.
LAB_RUN=$LAB_DIR/run
LAB2_CPUS=${CDKTF_XEN_LAB2_CPUS:-1}
LAB2_MEMORY_MIB=${CDKTF_XEN_LAB2_MEMORY_MIB:-2048}
LAB2_DOM0_MEMORY_MIB=${CDKTF_XEN_LAB2_DOM0_MEMORY_MIB:-768}

# The hosts and their fixed facts. Index i of each array belongs to host LAB2_HOSTS[i]; xenA is
# started first (its QEMU listens on the socket link, xenB's connects).
LAB2_HOSTS=(xenA xenB)
LAB2_MIGRATION_NETWORK=192.168.77.0/24
LAB2_MIGRATION_ADDRESSES=(192.168.77.1 192.168.77.2)
LAB2_MIGRATION_BRIDGE=xenbr1
# Explicit MACs: QEMU numbers NICs per process (both second NICs would be 52:54:00:12:34:57), and
# networkd derives a bridge's MAC from the machine-id, which hosts cloned from one image share.
LAB2_NIC_MACS=(52:54:00:77:00:01 52:54:00:77:00:02)
LAB2_BRIDGE_MACS=(52:54:00:77:01:01 52:54:00:77:01:02)
# The shared storage pool: exported by xenA from LAB2_EXPORT_DIR, mounted at LAB2_SHARED_PATH on
# both (on xenA a bind mount of the export, so the path is the same everywhere).
LAB2_SHARED_PATH=/srv/xen-shared
LAB2_EXPORT_DIR=/srv/nfs/xen-shared
LAB2_NFS_SERVER_INDEX=0

# The recipe layer of this mode: its files are hashed together with the base recipe.
LAB2_LAYER_FILES=(packages.txt files)

lab2_index_of() {
  local i
  for i in "${!LAB2_HOSTS[@]}"; do
    [ "${LAB2_HOSTS[$i]}" = "$1" ] && { echo "$i"; return 0; }
  done
  die "no lab host named '$1' (hosts: ${LAB2_HOSTS[*]})"
}

lab2_host_dir() { printf '%s/%s\n' "$LAB_DIR" "$1"; }

# Copies the base recipe and this layer into DIR as one recipe ../build.sh can build:
# packages.txt = the base list + ours, files/ = the base files + ours (ours win on a clash).
lab2_stage_recipe() {
  local dir=$1
  mkdir -p "$dir"
  cp -r "$LAB_SRC/lib.sh" "$LAB_SRC/build.sh" "$LAB_SRC/deps.sh" "$LAB_SRC/files" "$LAB_SRC/guest" "$dir/"
  {
    cat "$LAB_SRC/packages.txt"
    printf '\n# ---- two-host lab: lab/two-hosts/packages.txt ----\n'
    cat "$LAB2_SRC/packages.txt"
  } >"$dir/packages.txt"
  cp -r "$LAB2_SRC/files/." "$dir/files/"
}

# Runs "$@" with a freshly staged recipe directory as its last argument, then removes it.
lab2_with_staged_recipe() {
  local stage rc=0
  mkdir -p "$LAB_CACHE_ROOT"
  stage=$(mktemp -d "$LAB_CACHE_ROOT/.stage-two-hosts.XXXXXX")
  lab2_stage_recipe "$stage"
  "$@" "$stage" || rc=$?
  rm -rf "$stage"
  return "$rc"
}

_lab2_print_cache_dir() { bash -c 'source "$1/lib.sh" && lab_cache_dir' _ "$1"; }
_lab2_build() { bash "$1/build.sh"; }

# The cache directory of the two-host image (LAB_CACHE_ROOT/<hash of base recipe + layer>).
lab2_cache_dir() { lab2_with_staged_recipe _lab2_print_cache_dir; }

# Builds the two-host image with ../build.sh from a staged recipe (a no-op when it is built).
lab2_build() { lab2_with_staged_recipe _lab2_build; }

# The QEMU of lab host NAME, if it runs: its PID (checked against the pid file named on its
# command line, so a stale pid file or a reused number is never taken for it).
lab2_qemu_pid() {
  local run pid
  run=$(lab2_host_dir "$1")/run
  [ -r "$run/qemu.pid" ] || return 1
  pid=$(tr -dc 0-9 <"$run/qemu.pid")
  [ -n "$pid" ] && lab2_pid_is_qemu "$pid" "$1" || return 1
  echo "$pid"
}

lab2_pid_is_qemu() {
  [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -qF -- "-pidfile $(lab2_host_dir "$2")/run/qemu.pid"
}

# Reads one field of host NAME from the state file (written by up.sh: one host object per
# "{ … }" block, one key per line).
lab2_state_get() {
  local name=$1 key=$2
  [ -r "$LAB_STATE" ] || return 1
  awk -v name="\"$name\"" -v key="\"$key\"" '
    /^    \{/ { inhost = 1; mine = 0; value = ""; next }
    inhost && /^    \}/ { if (mine && value != "") { print value; exit } inhost = 0; next }
    inhost {
      line = $0; sub(/^ +/, "", line); sub(/,$/, "", line)
      split(line, kv, ": ")
      if (kv[1] == "\"name\"" && substr(line, length(kv[1]) + 3) == name) mine = 1
      if (kv[1] == key) { value = substr(line, length(kv[1]) + 3); gsub(/^"|"$/, "", value) }
    }' "$LAB_STATE"
}

# ssh to host NAME's dom0 as the state file says (its port, the lab key, its pinned host key).
lab2_ssh() {
  local name=$1
  shift
  lab_ssh "$(lab2_state_get "$name" port)" "$(lab2_state_get "$name" privateKeyPath)" \
    "$(lab2_state_get "$name" knownHostsFile)" "$@"
}

# Stops host NAME's QEMU by its PID (SIGTERM, SIGKILL after 20 s) and removes what its start made
# (overlay, VG disk, known_hosts, pid file); the serial log stays for reading.
lab2_stop_host() {
  local name=$1 dir pid
  dir=$(lab2_host_dir "$name")
  if pid=$(lab2_qemu_pid "$name"); then
    lab_kill_qemu "$pid" "$name's QEMU"
  fi
  rm -f "$dir/known_hosts" "$dir/run/qemu.pid" "$dir/run/monitor.sock" "$dir/run/dom0-root.qcow2" \
    "$dir/run/vg.img" "$dir/run/qemu.err"
}

# Stops every host (B first: its QEMU is the socket link's client) and removes the state file.
# The caller holds $LAB_DIR/.lock.
lab2_stop_all() {
  local i
  for ((i = ${#LAB2_HOSTS[@]} - 1; i >= 0; i--)); do
    lab2_stop_host "${LAB2_HOSTS[$i]}"
  done
  rm -f "$LAB_STATE"
}
