# shellcheck shell=bash
# shellcheck disable=SC2034 # the settings below are read by the scripts that source this file
# Shared settings and helpers for the local Xen lab host (sourced by lab/*.sh, never run).
#
# Every setting can be overridden from the environment:
#   CDKTF_XEN_LAB_CACHE            where built images live, one directory per recipe hash
#                                  (default ${XDG_CACHE_HOME:-$HOME/.cache}/cdktf-xen-lab: outside the
#                                  clone, so CI can keep it between runs and clones)
#   CDKTF_XEN_LAB_DIR              runtime directory: overlay disk, VG disk, serial log, pid file
#                                  (default <repo>/.lab, gitignored)
#   CDKTF_XEN_LAB_STATE            state file read by tests and tools (default $CDKTF_XEN_LAB_DIR/host.json)
#   CDKTF_XEN_LAB_PORT             127.0.0.1 port forwarded to dom0's sshd (default: a free port)
#   CDKTF_XEN_LAB_CPUS             pCPUs of the Xen host (default 2: pin tests need two)
#   CDKTF_XEN_LAB_DOM0_CPUS        dom0 vCPUs, dom0_max_vcpus (default: all pCPUs; 1 measured no faster)
#   CDKTF_XEN_LAB_MEMORY_MIB       RAM of the Xen host (default 3072)
#   CDKTF_XEN_LAB_DOM0_MEMORY_MIB  dom0_mem (default 1024)
#   CDKTF_XEN_LAB_VG_GIB           size of the sparse disk holding VG vg0 (default 8)
#   CDKTF_XEN_LAB_BOOT_TIMEOUT     seconds to wait for sshd + xenstored (default 600)
#   CDKTF_XEN_LAB_XEN_ARGS         extra Xen command-line options, e.g. "loglvl=all guest_loglvl=all"
#   CDKTF_XEN_LAB_MIRROR           Debian mirror for debootstrap (default: the one apt uses here)
#   CDKTF_XEN_LAB_SECURITY_MIRROR  Debian security mirror (default: the one apt uses here)

set -euo pipefail

LAB_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_REPO=$(cd "$LAB_SRC/.." && pwd)

LAB_CACHE_ROOT=${CDKTF_XEN_LAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cdktf-xen-lab}
LAB_DIR=${CDKTF_XEN_LAB_DIR:-$LAB_REPO/.lab}
LAB_STATE=${CDKTF_XEN_LAB_STATE:-$LAB_DIR/host.json}
LAB_RUN=$LAB_DIR/run
LAB_CPUS=${CDKTF_XEN_LAB_CPUS:-2}
LAB_DOM0_CPUS=${CDKTF_XEN_LAB_DOM0_CPUS:-$LAB_CPUS}
LAB_MEMORY_MIB=${CDKTF_XEN_LAB_MEMORY_MIB:-3072}
LAB_DOM0_MEMORY_MIB=${CDKTF_XEN_LAB_DOM0_MEMORY_MIB:-1024}
LAB_VG_GIB=${CDKTF_XEN_LAB_VG_GIB:-8}
LAB_BOOT_TIMEOUT=${CDKTF_XEN_LAB_BOOT_TIMEOUT:-600}

# Fixed facts of the image (build.sh and lab/files/ create them; host.json reports them).
LAB_GUEST_KERNEL=/var/lib/xen-lab/guest/vmlinuz
LAB_GUEST_RAMDISK=/var/lib/xen-lab/guest/initrd.gz
LAB_VOLUME_GROUP=vg0
LAB_BRIDGE=xenbr0

# The files that decide what the image contains. Changing any of them changes the recipe
# hash and so builds a new image; the start/stop scripts are deliberately not part of it.
LAB_RECIPE_FILES=(build.sh packages.txt files guest)

# `--hosts N` as the first argument of up.sh, down.sh, status.sh or ssh.sh: 2 means the two-host
# lab for live migration (lab/two-hosts/, its own directory .lab2/); 1, or no such argument, this
# single host, unchanged. Usage: lab_dispatch_hosts SCRIPT "$@"; shift "$LAB_HOSTS_SHIFT".
lab_dispatch_hosts() {
  local script=$1 hosts=1
  shift
  LAB_HOSTS_SHIFT=0
  case "${1:-}" in
    --hosts) hosts=${2:-}; LAB_HOSTS_SHIFT=2 ;;
    --hosts=*) hosts=${1#--hosts=}; LAB_HOSTS_SHIFT=1 ;;
  esac
  case "$hosts" in
    1) ;;
    2) shift "$LAB_HOSTS_SHIFT"; exec bash "$LAB_SRC/two-hosts/$script" "$@" ;;
    *) die "--hosts '$hosts' is not a lab size this script knows" "use --hosts 2 for the two-host lab, nothing for the single host" ;;
  esac
}

log() { printf '[lab %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() {
  printf '[lab] error: %s\n' "$1" >&2
  [ $# -gt 1 ] && printf '[lab]   fix: %s\n' "$2" >&2
  exit 1
}

# Hash of every recipe file, path and content, in a stable order (first 16 hex digits).
lab_recipe_hash() {
  (
    cd "$LAB_SRC"
    find "${LAB_RECIPE_FILES[@]}" -type f -print0 | LC_ALL=C sort -z |
      while IFS= read -r -d '' f; do
        printf '%s\0' "$f"
        sha256sum <"$f"
      done | sha256sum | cut -c1-16
  )
}

lab_cache_dir() { printf '%s/%s\n' "$LAB_CACHE_ROOT" "$(lab_recipe_hash)"; }

# First URI apt uses for a suite, from deb822 .sources files or one-line .list files.
lab_apt_uri_for_suite() {
  local suite=$1 f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -r "$f" ] || continue
    awk -v suite="$suite" '
      function flush() { if (uris != "" && has && !done) { split(uris, u, " "); print u[1]; done = 1 } uris = ""; has = 0 }
      /^[[:space:]]*$/ { flush(); next }
      /^URIs:/ { sub(/^URIs:[[:space:]]*/, ""); uris = $0 }
      /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == suite) has = 1 }
      END { flush() }' "$f"
  done | head -n 1 | grep . && return 0
  cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
    awk -v suite="$suite" '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ } if ($(i + 1) == suite) { print $i; exit } }' | grep .
}

lab_mirror() {
  if [ -n "${CDKTF_XEN_LAB_MIRROR:-}" ]; then echo "$CDKTF_XEN_LAB_MIRROR"; return; fi
  lab_apt_uri_for_suite bookworm || echo http://deb.debian.org/debian
}

lab_security_mirror() {
  if [ -n "${CDKTF_XEN_LAB_SECURITY_MIRROR:-}" ]; then echo "$CDKTF_XEN_LAB_SECURITY_MIRROR"; return; fi
  lab_apt_uri_for_suite bookworm-security || echo http://deb.debian.org/debian-security
}

# The QEMU of this lab, if one runs: its PID, but only when that PID is really the QEMU started
# with our pid file (a PID file can outlive its process and the number can be reused).
lab_qemu_pid() {
  local pid
  [ -r "$LAB_RUN/qemu.pid" ] || return 1
  pid=$(tr -dc 0-9 <"$LAB_RUN/qemu.pid")
  [ -n "$pid" ] && lab_pid_is_qemu "$pid" || return 1
  echo "$pid"
}

# Reads one scalar field of the state file (written by up.sh; flat, one key per line).
lab_state_get() {
  [ -r "$LAB_STATE" ] || return 1
  sed -n -e "s/^  \"$1\": \"\(.*\)\",\{0,1\}\$/\1/p" -e "s/^  \"$1\": \([0-9][0-9]*\),\{0,1\}\$/\1/p" "$LAB_STATE" | head -n 1
}

# ssh to dom0 with the lab's key and pinned host key. Usage: lab_ssh PORT KEY KNOWN_HOSTS [ssh args…]
lab_ssh() {
  local port=$1 key=$2 known=$3
  shift 3
  ssh -i "$key" -p "$port" \
    -o IdentitiesOnly=yes -o BatchMode=yes \
    -o UserKnownHostsFile="$known" -o GlobalKnownHostsFile=/dev/null \
    -o StrictHostKeyChecking=yes -o HostKeyAlgorithms=ssh-ed25519 \
    -o ConnectTimeout=10 -o ServerAliveInterval=15 -o ServerAliveCountMax=4 \
    -o LogLevel=ERROR \
    root@127.0.0.1 "$@"
}

# Escapes a string for a JSON string literal.
json_str() {
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  printf '"%s"' "$s"
}

# True while PID is the QEMU of this lab (not a zombie, not a reused number).
lab_pid_is_qemu() {
  [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -qF -- "-pidfile $LAB_RUN/qemu.pid"
}

# True while PID exists and has not exited (a zombie has exited; its parent reaps it).
lab_pid_running() {
  local state
  state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# True once PID $1 is gone, waiting at most $2 half-seconds.
lab_pid_gone_within() {
  local pid=$1 i
  for i in $(seq 1 "$2"); do
    lab_pid_running "$pid" || return 0
    sleep 0.5
  done
  return 1
}

# Stops the QEMU with PID $1 (named $2 in messages): SIGTERM, then SIGKILL after 20 s.
lab_kill_qemu() {
  local pid=$1 what=$2
  log "stopping $what (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  lab_pid_gone_within "$pid" 40 && return 0
  log "$what (pid $pid) ignored SIGTERM for 20 s: killing it"
  kill -KILL "$pid" 2>/dev/null || true
  lab_pid_gone_within "$pid" 20 && return 0
  die "$what (pid $pid) is still running after SIGKILL" "look at it: ps -o pid,stat,cmd -p $pid"
}

# Stops this lab's QEMU by its PID (SIGTERM, then SIGKILL after 20 s) and removes what a start
# made: state file, pinned known_hosts, overlay and VG disk. The serial log stays for reading.
# The caller holds $LAB_DIR/.lock.

lab_stop() {
  local pid
  if pid=$(lab_qemu_pid); then
    lab_kill_qemu "$pid" "the lab's QEMU"
  fi
  rm -f "$LAB_STATE" "$LAB_DIR/known_hosts" "$LAB_RUN/qemu.pid" "$LAB_RUN/monitor.sock" \
    "$LAB_RUN/dom0-root.qcow2" "$LAB_RUN/vg.img" "$LAB_RUN/qemu.err"
}
