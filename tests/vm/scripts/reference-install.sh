#!/bin/sh
# The reference install: the least a correct install of the test OS does,
# as the baseline the installer's timings are compared against.
#
# usage: reference-install.sh SERIAL FIRMWARE HOSTNAME PUBKEY TARBALL [broken-root]
#   SERIAL    serial number of the blank target disk
#   FIRMWARE  uefi | bios | auto (what the live system booted under)
# Prints "azl-phase: NAME UPTIME" lines when each phase starts.
set -eu
serial=$1 fw=$2 host=$3 pubkey=$4 tarball=$5 broken=${6:-}
phase() { echo "azl-phase: $1 $(cut -d' ' -f1 /proc/uptime)"; }

disk=$(lsblk -dpno NAME,SERIAL | awk -v s="$serial" '$2 == s {print $1}')
[ -b "$disk" ] || { echo "no disk with serial $serial" >&2; exit 1; }
if [ "$fw" = auto ]; then
    if [ -d /sys/firmware/efi ]; then fw=uefi; else fw=bios; fi
fi
t=/mnt/target-$serial

phase storage
if [ "$fw" = uefi ]; then
    sfdisk -q --label gpt "$disk" <<PARTS
size=600MiB, type=U, name=esp
size=1GiB, type=L, name=boot
type=L, name=root
PARTS
else
    sfdisk -q --label gpt "$disk" <<PARTS
size=1MiB, type=21686148-6449-6E6F-744E-656564454649, name=biosboot
size=1GiB, type=L, name=boot
type=L, name=root
PARTS
fi
udevadm settle
set -- $(lsblk -lnpo NAME,TYPE "$disk" | awk '$2 == "part" {print $1}')
first=$1 bootp=$2 rootp=$3
mkfs.ext4 -q -F -L root "$rootp"
mkfs.ext4 -q -F -L boot "$bootp"
[ "$fw" = uefi ] && mkfs.vfat -F 32 -n ESP "$first" >/dev/null
mkdir -p "$t"
trap 'umount -R "$t" 2>/dev/null || true' EXIT
mount "$rootp" "$t"
mkdir -p "$t/boot"
mount "$bootp" "$t/boot"
if [ "$fw" = uefi ]; then
    mkdir -p "$t/boot/efi"
    mount "$first" "$t/boot/efi"
fi

phase payload
zstd -dcq "$tarball" | tar -C "$t" --numeric-owner --xattrs --acls -xf -

phase config
uuid() { blkid -s UUID -o value "$1"; }
{
    echo "UUID=$(uuid "$rootp") / ext4 errors=remount-ro 0 1"
    echo "UUID=$(uuid "$bootp") /boot ext4 defaults 0 2"
    [ "$fw" = uefi ] && echo "UUID=$(uuid "$first") /boot/efi vfat umask=0077 0 1"
} > "$t/etc/fstab"
echo "$host" > "$t/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 %s\n' "$host" > "$t/etc/hosts"
install -d -m 700 "$t/root/.ssh"
install -m 600 "$pubkey" "$t/root/.ssh/authorized_keys"
cat > "$t/etc/default/grub" <<GRUB
GRUB_DEFAULT=0
GRUB_TIMEOUT=0
GRUB_DISTRIBUTOR=azl-test
GRUB_CMDLINE_LINUX="console=ttyS0,115200 norandmaps"
GRUB_CMDLINE_LINUX_DEFAULT=""
GRUB_TERMINAL="serial console"
GRUB_SERIAL_COMMAND="serial --unit=0 --speed=115200"
GRUB_DISABLE_OS_PROBER=true
GRUB

phase bootloader
for d in dev proc sys run; do mount --rbind "/$d" "$t/$d"; mount --make-rslave "$t/$d"; done
if [ "$fw" = uefi ]; then
    chroot "$t" grub-install --target=x86_64-efi --efi-directory=/boot/efi --boot-directory=/boot \
        --removable --no-nvram
else
    chroot "$t" grub-install --target=i386-pc "$disk"
fi
chroot "$t" update-initramfs -c -k all
chroot "$t" grub-mkconfig -o /boot/grub/grub.cfg
if [ "$broken" = broken-root ]; then
    sed -i 's/root=UUID=[0-9a-f-]*/root=UUID=00000000-0000-4000-8000-000000000bad/' "$t/boot/grub/grub.cfg"
fi

phase unmount
umount -R "$t"
sync
phase done
