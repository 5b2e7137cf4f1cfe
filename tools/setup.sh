#!/usr/bin/env bash
# Idempotent setup: system packages, .venv (over the system python3, with its
# site-packages for gi/blockdev/parted), the project with test extras, udevd.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  python3 python3-venv python3-pip python3-gi python3-blockdev gir1.2-blockdev-2.0
  libblockdev-part2 libblockdev-fs2 libblockdev-lvm2 libblockdev-crypto2 libblockdev-swap2
  libblockdev-loop2 libblockdev-mdraid2 libblockdev-btrfs2 libblockdev-dm2 libblockdev-utils2
  python3-parted python3-bytesize python3-pyudev udev kmod
  parted fdisk e2fsprogs xfsprogs dosfstools ntfs-3g btrfs-progs lvm2 cryptsetup mdadm kpartx
  tmux python3-yaml python3-zstandard
  dnf rpm createrepo-c gnupg squashfs-tools zstd xz-utils bzip2 tar cpio attr acl
  qemu-system-x86 qemu-utils ovmf debootstrap openssh-client openssl efibootmgr
  grub-common grub-efi-amd64-bin grub-pc-bin xorriso mtools
  openssh-server curl ipxe-qemu rpm2cpio erofs-utils
)
DNF_PACKAGES=(
  python3 python3-pip python3-blivet python3-pyudev python3-kickstart tmux
  rpm-build createrepo_c gnupg2 squashfs-tools zstd qemu-system-x86 edk2-ovmf
  grub2-tools-extra grub2-efi-x64-modules grub2-pc-modules xorriso mtools
)

missing_apt() {
  local p
  for p in "${APT_PACKAGES[@]}" $(cat tools/extra-apt-packages.txt 2>/dev/null || true); do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' || echo "$p"
  done
}

SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"

if command -v apt-get >/dev/null; then
  mapfile -t need < <(missing_apt)
  if [ "${#need[@]}" -gt 0 ]; then
    echo "setup: installing ${#need[@]} Debian packages: ${need[*]}"
    $SUDO apt-get -o DPkg::Lock::Timeout=900 update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
elif command -v dnf >/dev/null; then
  $SUDO dnf install -y -q "${DNF_PACKAGES[@]}"
else
  echo "setup: neither apt-get nor dnf found; install the system packages listed in tools/setup.sh" >&2
fi

PY=/usr/bin/python3
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv --system-site-packages .venv
fi
stamp=.venv/.azl-setup-stamp
want=$(cat pyproject.toml tools/setup.sh | sha256sum | cut -c1-16)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null 2>&1 || true
  if ! .venv/bin/python -c 'import blivet' 2>/dev/null; then
    # Debian 12 has libblockdev 2.x: blivet 3.8+ wants libblockdev 3.
    .venv/bin/python -m pip install -q --disable-pip-version-check --no-deps 'blivet==3.7.1'
    .venv/bin/python -m pip install -q --disable-pip-version-check six
  fi
  if ! .venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]' >.venv/pip-install.log 2>&1; then
    cat .venv/pip-install.log >&2
    exit 1
  fi
  echo "$want" > "$stamp"
fi

if [ "$(id -u)" = 0 ]; then
  if ! pgrep -x systemd-udevd >/dev/null && [ -x /lib/systemd/systemd-udevd ]; then
    /lib/systemd/systemd-udevd --daemon
  fi
  if pgrep -x systemd-udevd >/dev/null; then
    # A udevd started after boot has no records until devices are replayed.
    udevadm trigger --action=add --subsystem-match=block --subsystem-match=net || true
    udevadm settle --timeout=30 || true
  fi
fi
echo "setup: ready (.venv/bin/azl-install)"
