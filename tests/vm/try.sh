#!/bin/sh
# Boot the installation medium (build/azl-install.iso, built and cached under build/ on first
# use) as a CD-ROM with a blank 20 GB sparse disk; GRUB's menu and the serial console, with the
# installer on it, are this terminal.
# Safe on any machine: everything runs inside QEMU (TCG), no host disk is touched.
# AZL_TRY_FIRMWARE=bios|uefi (default uefi), AZL_TRY_DISK_SIZE=20G.
set -e
cd "$(dirname "$0")"
exec /usr/bin/python3 -m harness.trylive "$@"
