#!/bin/sh
# The reference install: the least a correct install of the test OS does,
# as the baseline the installer's timings are compared against.
#
# usage: reference-install.sh SERIAL FIRMWARE HOSTNAME PUBKEY TARBALL [broken-root|parity]
#   SERIAL    serial number of the blank target disk
#   FIRMWARE  uefi | bios | auto (what the live system booted under)
#   parity    reach the same end state as azl-install with bench/install_vs_reference.py's kickstart
#             (its fstab, network keyfile, root lock, SSH policy and fresh host keys, SELinux,
#             time zone, locale, services, firewalld zone, GRUB defaults and EFI entries), so that
#             the benchmark compares equal work
# Prints "azl-phase: NAME UPTIME" lines when each phase starts.
set -eu
serial=$1 fw=$2 host=$3 pubkey=$4 tarball=$5 broken=${6:-}
parity=; [ "$broken" = parity ] && parity=1 broken=
phase() { echo "azl-phase: $1 $(cut -d' ' -f1 /proc/uptime)"; }

disk=$(lsblk -dpno NAME,SERIAL | awk -v s="$serial" '$2 == s {print $1}')
[ -b "$disk" ] || { echo "no disk with serial $serial" >&2; exit 1; }
if [ "$fw" = auto ]; then
    if [ -d /sys/firmware/efi ]; then fw=uefi; else fw=bios; fi
fi
t=/mnt/target-$serial

# What azl-install does for bench/install_vs_reference.py's kickstart, in the same order.
parity_config() {
    {
        echo "# /etc/fstab: created by azl-install. Filesystems are named by UUID."
        echo "UUID=$(uuid "$rootp") / ext4 defaults 0 1"
        echo "UUID=$(uuid "$bootp") /boot ext4 defaults 0 2"
        [ "$fw" = uefi ] && echo "UUID=$(uuid "$first") /boot/efi vfat umask=0077,shortname=winnt 0 2"
    } > "$t/etc/fstab"
    # network --device=link: the first NIC with a carrier, else the first NIC (a down link has none)
    nic=
    for n in /sys/class/net/*; do
        [ "${n##*/}" = lo ] && continue
        [ -z "$nic" ] && nic=${n##*/}
        if [ "$(cat "$n/carrier" 2>/dev/null)" = 1 ]; then nic=${n##*/}; break; fi
    done
    conn=$(python3 -c 'import sys, uuid; print(uuid.uuid5(uuid.NAMESPACE_URL, "azl-install:" + sys.argv[1]))' "$nic")
    install -d -m 755 "$t/etc/NetworkManager/system-connections"
    printf '[connection]\nid=%s\nuuid=%s\ntype=ethernet\ninterface-name=%s\nautoconnect=true\n\n[ethernet]\n\n[ipv4]\nmethod=auto\n\n[ipv6]\nmethod=auto\n' \
        "$nic" "$conn" "$nic" > "$t/etc/NetworkManager/system-connections/$nic.nmconnection"
    chmod 600 "$t/etc/NetworkManager/system-connections/$nic.nmconnection"
    echo "$host" > "$t/etc/hostname"
    sed -i '/^127\.0\.1\.1/d' "$t/etc/hosts"
    sed -i "1a 127.0.1.1\t$host" "$t/etc/hosts"
    chroot "$t" usermod -L root
    install -d -m 700 "$t/root/.ssh"
    install -m 600 "$pubkey" "$t/root/.ssh/authorized_keys"
    printf '# Written by azl-install from the install plan.\nPermitRootLogin prohibit-password\nPasswordAuthentication yes\n' \
        > "$t/etc/ssh/sshd_config.d/50-azl-install.conf"
    chmod 600 "$t/etc/ssh/sshd_config.d/50-azl-install.conf"
    rm -f "$t"/etc/ssh/ssh_host_*
    mount --bind /dev "$t/dev"
    chroot "$t" ssh-keygen -A >/dev/null
    umount "$t/dev"
    sed -i 's/^SELINUX=.*/SELINUX=permissive/; s/^SELINUXTYPE=.*/SELINUXTYPE=targeted/' "$t/etc/selinux/config"
    ln -sfn ../usr/share/zoneinfo/UTC "$t/etc/localtime"
    echo UTC > "$t/etc/timezone"
    printf '0.0 0 0.0\n0\nUTC\n' > "$t/etc/adjtime"
    echo LANG=en_US.UTF-8 > "$t/etc/locale.conf"
    echo LANG=en_US.UTF-8 > "$t/etc/default/locale"
    echo KEYMAP=us > "$t/etc/vconsole.conf"
    systemctl --root="$t" enable ssh.service NetworkManager.service chrony.service 2>/dev/null
    install -d -m 750 "$t/etc/firewalld/zones"
    cp "$t/usr/lib/firewalld/zones/public.xml" "$t/etc/firewalld/zones/public.xml"
    systemctl --root="$t" enable firewalld.service 2>/dev/null
    cat > "$t/etc/default/grub" <<GRUB
GRUB_CMDLINE_LINUX='console=ttyS0,115200 norandmaps net.ifnames=0'
GRUB_TIMEOUT=0
GRUB_TERMINAL='serial console'
GRUB_SERIAL_COMMAND='serial --unit=0 --speed=115200'
GRUB
}

n() { [ -n "$parity" ] || printf ", name=%s" "$1"; }  # blivet names no partitions
phase storage
if [ "$fw" = uefi ]; then
    sfdisk -q --label gpt "$disk" <<PARTS
size=600MiB, type=U$(n esp)
size=1GiB, type=L$(n boot)
type=L$(n root)
PARTS
else
    sfdisk -q --label gpt "$disk" <<PARTS
size=1MiB, type=21686148-6449-6E6F-744E-656564454649$(n biosboot)
size=1GiB, type=L$(n boot)
type=L$(n root)
PARTS
fi
udevadm settle
set -- $(lsblk -lnpo NAME,TYPE "$disk" | awk '$2 == "part" {print $1}')
first=$1 bootp=$2 rootp=$3
if [ -n "$parity" ]; then
    mkfs.ext4 -q -F "$rootp"
    mkfs.ext4 -q -F "$bootp"
    [ "$fw" = uefi ] && mkfs.vfat -F 32 "$first" >/dev/null
else
    mkfs.ext4 -q -F -L root "$rootp"
    mkfs.ext4 -q -F -L boot "$bootp"
    [ "$fw" = uefi ] && mkfs.vfat -F 32 -n ESP "$first" >/dev/null
fi
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
if [ -n "$parity" ]; then
    parity_config
else
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
fi

phase bootloader
for d in dev proc sys run; do mount --rbind "/$d" "$t/$d"; mount --make-rslave "$t/$d"; done
if [ "$fw" = uefi ] && [ -n "$parity" ]; then
    id=$(. "$t/etc/os-release"; echo "$ID")
    chroot "$t" grub-install --target=x86_64-efi --efi-directory=/boot/efi --no-nvram --bootloader-id="$id"
    chroot "$t" grub-install --target=x86_64-efi --efi-directory=/boot/efi --no-nvram --removable
    if [ -w /sys/firmware/efi/efivars ] && command -v efibootmgr >/dev/null; then
        efibootmgr --quiet --create --disk "$disk" --part 1 --label "Azure Linux" --loader "\\EFI\\$id\\grubx64.efi" || true
    fi
elif [ "$fw" = uefi ]; then
    chroot "$t" grub-install --target=x86_64-efi --efi-directory=/boot/efi --boot-directory=/boot \
        --removable --no-nvram
else
    chroot "$t" grub-install --target=i386-pc "$disk"
fi
[ -n "$parity" ] && echo "azl-time: update-initramfs start $(cut -d' ' -f1 /proc/uptime)"
chroot "$t" update-initramfs -c -k all
[ -n "$parity" ] && echo "azl-time: update-initramfs end $(cut -d' ' -f1 /proc/uptime)"
chroot "$t" grub-mkconfig -o /boot/grub/grub.cfg
# SELinux permissive and no policy in the target to relabel with: it relabels itself at first boot
if [ -n "$parity" ]; then : > "$t/.autorelabel"; chmod 644 "$t/.autorelabel"; fi
if [ "$broken" = broken-root ]; then
    sed -i 's/root=UUID=[0-9a-f-]*/root=UUID=00000000-0000-4000-8000-000000000bad/' "$t/boot/grub/grub.cfg"
fi

phase unmount
umount -R "$t"
sync
phase done
