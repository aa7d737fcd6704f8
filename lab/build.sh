#!/usr/bin/env bash
# Builds the Xen lab host image from Debian packages into the cache:
#   $CDKTF_XEN_LAB_CACHE/<recipe-hash>/{xen-4.17.elf,vmlinuz,initrd.img,dom0-root.img,id_ed25519,…}
# Nothing prebuilt is committed: debootstrap (bookworm, minbase) + apt inside a chroot, our files
# from lab/files/, SSH keys made now, the test guests' kernel + initramfs, then an ext4 image made
# with `mke2fs -d` (no loop device, no mount). Took 37–47 s on 2 cores with a fast mirror (about
# 100 MB to download); up.sh runs it when the cache has no image for the current recipe.
# `--force` rebuilds an existing one.
# Needs root. Downloaded .deb files are kept in $CDKTF_XEN_LAB_CACHE/debs for the next build.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

force=0
[ "${1:-}" = --force ] && force=1

[ "$(id -u)" = 0 ] || die "building the lab image needs root (debootstrap, chroot, device nodes)" \
  "run it as root, e.g. sudo bash lab/build.sh"

hash=$(lab_recipe_hash)
cache=$LAB_CACHE_ROOT/$hash
case "$cache" in *,* | *' '*) die "the cache path '$cache' contains a comma or a space; QEMU's -initrd cannot take it" \
  "set CDKTF_XEN_LAB_CACHE to a path without commas or spaces" ;; esac
mkdir -p "$LAB_CACHE_ROOT/debs/partial"

# One build at a time per cache; a second caller waits and then finds the image built.
exec 8>"$LAB_CACHE_ROOT/.build.lock"
if ! flock -n 8; then
  log "another build is running in $LAB_CACHE_ROOT; waiting for it"
  flock 8
fi
if [ -f "$cache/manifest.env" ] && [ "$force" = 0 ]; then
  log "image $hash is already built: $cache"
  exit 0
fi

# Everything goes to the build log; progress lines also to the caller's stderr (fd 3).
build_log=$LAB_CACHE_ROOT/build-$hash.log
exec 3>&2 >"$build_log" 2>&1
# (Written to fd 3 itself, not reopened via /dev/fd/3: that would clobber a redirected stderr.)
both() { printf '%s\n' "$@"; printf '%s\n' "$@" >&3; }
log() { both "[lab $(date +%H:%M:%S)] $*"; }
die() {
  both "[lab] error: $1"
  [ $# -gt 1 ] && both "[lab]   fix: $2"
  exit 1
}

work=$LAB_CACHE_ROOT/.build-$hash
root=$work/rootfs
out=$work/out
mirror=$(lab_mirror)
security=$(lab_security_mirror)

mounts_under() { findmnt -rn -o TARGET | awk -v p="$1/" 'index($0 "/", p) == 1' | LC_ALL=C sort -r; }
unmount_root() {
  local m
  for m in $(mounts_under "$root"); do umount "$m" 2>/dev/null || umount -l "$m"; done
}
# Deletes the work tree, but never while anything is still mounted in it (the chroot has the
# machine's /dev, /proc and /sys bound inside: rm -rf there would reach the real ones).
remove_work() {
  unmount_root
  if [ -n "$(mounts_under "$work")" ]; then
    printf '[lab] error: still mounted under %s, not deleting it:\n%s\n' "$work" "$(mounts_under "$work")" >&3
    return 1
  fi
  rm -rf "$work"
}
on_exit() {
  local rc=$?
  if [ "$rc" != 0 ]; then
    { echo "[lab] last lines of the build log:"; tail -n 25 "$build_log" | sed 's/^/    /'; } >&3
    log "build failed (exit $rc); the whole log is $build_log"
  fi
  remove_work || true
  exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT TERM

remove_work
mkdir -p "$root" "$out"

t_start=$(date +%s)
t_step=$t_start
timings=""
step_done() {
  local now
  now=$(date +%s)
  timings="$timings $1=$((now - t_step))"
  log "$1 done in $((now - t_step)) s"
  t_step=$now
}
chroot_path=/usr/sbin:/usr/bin:/sbin:/bin
in_root() { chroot "$root" /usr/bin/env -i PATH="$chroot_path" HOME=/root LANG=C.UTF-8 \
  DEBIAN_FRONTEND=noninteractive "$@"; }

log "building lab image $hash from $mirror (security: $security)"
log "debootstrap bookworm (minbase)"
debootstrap --variant=minbase --components=main --cache-dir="$LAB_CACHE_ROOT/debs" \
  bookworm "$root" "$mirror"
step_done debootstrap

cat >"$root/etc/apt/sources.list" <<EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb $security bookworm-security main
EOF
cat >"$root/etc/apt/apt.conf.d/90xen-lab" <<'EOF'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Retries "3";
APT::Sandbox::User "root";
Dpkg::Options { "--force-confdef"; "--force-confold"; };
EOF
# No documentation, manual pages or translations: a third less to unpack and copy.
cat >"$root/etc/dpkg/dpkg.cfg.d/90xen-lab" <<'EOF'
path-exclude=/usr/share/doc/*
path-exclude=/usr/share/man/*
path-exclude=/usr/share/info/*
path-exclude=/usr/share/locale/*
path-exclude=/usr/share/lintian/*
force-unsafe-io
EOF
rm -rf "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/locale/*
# Nothing may start inside the chroot.
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 0755 "$root/usr/sbin/policy-rc.d"
# One initramfs generation at the end instead of one per trigger during the install: a no-op
# update-initramfs first in the PATH of the install (the real one stays untouched).
mkdir -p "$root/usr/local/lib/xen-lab-build"
printf '#!/bin/sh\necho "xen-lab build: update-initramfs $* postponed" >&2\n' \
  >"$root/usr/local/lib/xen-lab-build/update-initramfs"
chmod 0755 "$root/usr/local/lib/xen-lab-build/update-initramfs"

mount --bind /dev "$root/dev"
mount --bind /dev/pts "$root/dev/pts"
mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
mount -t tmpfs tmpfs "$root/run"
mount --bind "$LAB_CACHE_ROOT/debs" "$root/var/cache/apt/archives"

mapfile -t packages < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$LAB_SRC/packages.txt" | grep .)
log "apt-get install ${#packages[@]} packages"
in_root apt-get update -q
# (apt runs dpkg with its own PATH, DPkg::Path, so the stub goes there.)
in_root apt-get install -y -q -o DPkg::Path="/usr/local/lib/xen-lab-build:$chroot_path" "${packages[@]}"
step_done apt_install

log "configuring dom0"
cp -r --no-preserve=ownership "$LAB_SRC/files/." "$root/"
kver=$(ls "$root/lib/modules")
[ "$(printf '%s\n' "$kver" | wc -l)" = 1 ] || die "expected one kernel in the image, found: $kver"
xen_version=$(in_root dpkg-query -W -f '${Version}' xen-hypervisor-4.17-amd64)

cat >>"$root/etc/default/xen" <<'EOF'

# Xen lab: each guest's console goes to /var/log/xen/console/guest-NAME.log.
XENCONSOLED_ARGS="--log=guest"
EOF
# A stopped lab is thrown away: do not save running domains on dom0 shutdown.
sed -i 's|^XENDOMAINS_SAVE=.*|XENDOMAINS_SAVE=""|' "$root/etc/default/xendomains"
mkdir -p "$root/etc/xen/auto" "$root/var/log/xen/console" "$root/var/lib/xen-lab/guest"
chown root:adm "$root/var/log/xen/console"
chmod 0750 "$root/var/log/xen/console"

in_root systemctl enable systemd-networkd.service xen-lab-vg0.service
# Nothing that waits for a network the lab does not have, and no periodic jobs.
# No logins on consoles nobody can type on (QEMU's serial goes to a file; there is no screen),
# and none of the mounts and one-shot jobs a lab dom0 never uses: each costs seconds under TCG.
in_root systemctl mask systemd-networkd-wait-online.service apt-daily.timer apt-daily-upgrade.timer \
  dpkg-db-backup.timer e2scrub_all.timer e2scrub_reap.service fstrim.timer \
  getty@tty1.service serial-getty@hvc0.service \
  sys-kernel-debug.mount sys-kernel-tracing.mount sys-kernel-config.mount sys-fs-fuse-connections.mount \
  dev-mqueue.mount proc-sys-fs-binfmt_misc.automount systemd-binfmt.service systemd-pstore.service \
  modprobe@drm.service modprobe@efi_pstore.service modprobe@fuse.service modprobe@configfs.service

# SSH: one ed25519 host key, and a client key for root, both made for this build.
rm -f "$root"/etc/ssh/ssh_host_*
ssh-keygen -q -t ed25519 -N '' -C "root@xenlab" -f "$root/etc/ssh/ssh_host_ed25519_key"
ssh-keygen -q -t ed25519 -N '' -C "cdktf-xen-lab" -f "$out/id_ed25519"
install -d -m 0700 "$root/root/.ssh"
install -m 0600 "$out/id_ed25519.pub" "$root/root/.ssh/authorized_keys"
cp "$root/etc/ssh/ssh_host_ed25519_key.pub" "$out/host_key.pub"
host_key=$(ssh-keygen -l -E sha256 -f "$out/host_key.pub" | awk '{print $2}')

log "test guest kernel + initramfs"
mkdir -p "$root/tmp/xen-lab-guest"
cp "$LAB_SRC"/guest/* "$root/tmp/xen-lab-guest/"
in_root sh /tmp/xen-lab-guest/build-initrd.sh "$kver" /tmp/xen-lab-guest
rm -rf "$root/tmp/xen-lab-guest"

log "dom0 initramfs for $kver"
rm -rf "$root/usr/local/lib/xen-lab-build"
in_root update-initramfs -c -k "$kver"
step_done configure

rm -f "$root/usr/sbin/policy-rc.d"
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/log/*.log "$root"/var/log/apt/* "$root"/tmp/*
# Tell systemd the image is up to date, so the first boot skips ldconfig and hwdb rebuilds.
in_root /usr/lib/systemd/systemd-update-done || touch "$root/etc/.updated" "$root/var/.updated"
unmount_root

gunzip -c "$root/boot/xen-4.17-amd64.gz" >"$out/xen-4.17.elf"
cp "$root/boot/vmlinuz-$kver" "$out/vmlinuz"
cp "$root/boot/initrd.img-$kver" "$out/initrd.img"
rootfs_mib=$(du -sm "$root" | cut -f1)
log "ext4 image from a ${rootfs_mib} MiB root"
mke2fs -q -t ext4 -L xenlab-root -d "$root" "$out/dom0-root.img" 4G
chmod 0444 "$out/dom0-root.img"
step_done image

cat >"$out/manifest.env" <<EOF
RECIPE_HASH=$hash
KERNEL_VERSION=$kver
XEN_PACKAGE_VERSION=$xen_version
HOST_KEY=$host_key
BUILT_AT=$(date -u +%Y-%m-%dT%H:%M:%SZ)
BUILD_SECONDS=$(($(date +%s) - t_start))
BUILD_STEPS_SECONDS="${timings# }"
ROOTFS_MIB=$rootfs_mib
MIRROR=$mirror
EOF
rm -rf "$cache"
mv "$out" "$cache"
log "built $cache in $(($(date +%s) - t_start)) s ($timings )"

# Images of other recipes nobody started for 14 days go (up.sh touches manifest.env on use).
find "$LAB_CACHE_ROOT" -mindepth 2 -maxdepth 2 -name manifest.env -mtime +14 -printf '%h\n' |
  while read -r old; do
    [ "$old" = "$cache" ] && continue
    log "removing the unused image $old"
    rm -rf "$old" "$LAB_CACHE_ROOT/build-$(basename "$old").log"
  done
