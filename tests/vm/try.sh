#!/bin/sh
# Boot the live test environment (built and cached under build/) with a blank
# 20 GB sparse disk; its serial console, with the installer on it, is this terminal.
# Safe on any machine: everything runs inside QEMU (TCG), no host disk is touched.
# AZL_TRY_FIRMWARE=bios|uefi (default uefi), AZL_TRY_DISK_SIZE=20G.
set -e
cd "$(dirname "$0")"
exec /usr/bin/python3 -m harness.trylive "$@"
