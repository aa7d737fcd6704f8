#!/bin/sh
# Runs inside the dom0 root (chroot) at build time: writes the test guests' kernel and
# initramfs to /var/lib/xen-lab/guest/. Usage: build-initrd.sh KERNEL_VERSION SOURCE_DIR
set -eu
kver=$1
src=$2
out=/var/lib/xen-lab/guest
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/bin" "$work/sbin" "$work/usr/bin" "$work/usr/sbin" "$work/etc/init.d" \
  "$work/proc" "$work/sys" "$work/dev" "$work/run" "$work/tmp" "$work/lib/modules"
cp /bin/busybox "$work/bin/busybox"
# One link per applet, so /sbin/poweroff, /sbin/init, /bin/sh … exist without --install.
"$work/bin/busybox" --list-full | while read -r applet; do
  [ "$applet" = bin/busybox ] && continue
  mkdir -p "$work/$(dirname "$applet")"
  ln -sf /bin/busybox "$work/$applet"
done
install -m 0755 "$src/init" "$work/init"
install -m 0644 "$src/inittab" "$work/etc/inittab"
install -m 0755 "$src/rcS" "$work/etc/init.d/rcS"
install -m 0755 "$src/xenlab-monitor" "$work/etc/xenlab-monitor"
install -m 0755 "$src/udhcpc.script" "$work/etc/udhcpc.script"
install -m 0755 "$src/xenlab-console" "$work/etc/xenlab-console"

# Front-end drivers and their dependencies, dependencies first, uncompressed for busybox insmod.
: >"$work/lib/modules/load-order"
for module in xen-blkfront xen-netfront; do
  modprobe -S "$kver" --show-depends "$module" | while read -r kind path _; do
    [ "$kind" = insmod ] || continue
    name=$(basename "$path")
    name=${name%.xz}
    name=${name%.zst}
    grep -qx "$name" "$work/lib/modules/load-order" && continue
    case "$path" in
      *.xz) busybox xzcat "$path" >"$work/lib/modules/$name" ;;
      *.zst) zstd -q -d -c "$path" >"$work/lib/modules/$name" ;;
      *) cp "$path" "$work/lib/modules/$name" ;;
    esac
    echo "$name" >>"$work/lib/modules/load-order"
  done
done
grep -q xen-blkfront "$work/lib/modules/load-order"
grep -q xen-netfront "$work/lib/modules/load-order"

mkdir -p "$out"
(cd "$work" && find . | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) | gzip -9 -n >"$out/initrd.gz"
cp "/boot/vmlinuz-$kver" "$out/vmlinuz"
chmod 0644 "$out/initrd.gz" "$out/vmlinuz"
