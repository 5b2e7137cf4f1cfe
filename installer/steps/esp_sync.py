"""The spare EFI system partitions of a RAID1 /boot, kept in step with /boot/efi after the install.

Only the primary ESP is mounted (on /boot/efi); the spares on the other disks are never mounted
at boot, so a slow or missing disk cannot leave /boot/efi empty or pointing at a stale copy.
Whatever later changes /boot/efi (a kernel, GRUB or shim update) is followed by one command,
/usr/libexec/azl-esp-sync, which copies /boot/efi/EFI onto each spare named (by filesystem UUID)
in /etc/azl-esp-sync.conf. It is run by:

- Debian family: /etc/kernel/postinst.d/ and /etc/kernel/postrm.d/ (kernel packages) and an apt
  DPkg::Post-Invoke hook (every dpkg run through apt: grub-efi-amd64's grub-install, shim).
- Fedora family: a kernel-install plugin in /etc/kernel/install.d/ (kernel add/remove) and a
  post-transaction action for dnf5 (libdnf5-plugin-actions) and dnf4
  (python3-dnf-plugin-post-transaction-actions) on packages with files under /boot/efi.

The hooks never fail the package operation: a spare that is missing (its disk lost) is reported
on stderr and the other spares are still updated.
"""

from __future__ import annotations

from installer.context import InstallContext

SYNC = "/usr/libexec/azl-esp-sync"
CONF = "/etc/azl-esp-sync.conf"

SYNC_SCRIPT = r"""#!/bin/sh
# azl-esp-sync (written by azl-install): copy the EFI tree of the ESP mounted on /boot/efi to the
# spare EFI system partitions on the other disks of the RAID1 /boot, so that each disk boots alone.
# The spares are listed by filesystem UUID in /etc/azl-esp-sync.conf (SPARES="UUID ...");
# after replacing a disk, make its ESP (mkfs.vfat), put its UUID there and run this command.
# Exit status: 0 all spares are current, 1 a spare could not be updated, 2 nothing on /boot/efi.
ESP=/boot/efi
SPARES=""
[ -r /etc/azl-esp-sync.conf ] && . /etc/azl-esp-sync.conf
say() { echo "azl-esp-sync: $*" >&2; }
[ -n "$SPARES" ] || exit 0
if ! mountpoint -q "$ESP" || [ ! -d "$ESP/EFI" ]; then
    say "nothing is mounted on $ESP (or it has no EFI directory): the spare EFI system partitions were not updated"
    exit 2
fi
exec 9>/run/azl-esp-sync.lock
flock 9
primary=$(findmnt -n -o SOURCE --mountpoint "$ESP")
status=0
for uuid in $SPARES; do
    dev=$(blkid -U "$uuid" 2>/dev/null)
    if [ -z "$dev" ]; then
        say "the spare EFI system partition UUID=$uuid is missing (disk lost?): not updated"
        status=1
        continue
    fi
    [ "$dev" = "$primary" ] && continue
    dir=$(mktemp -d /run/azl-esp-sync.XXXXXX) || exit 1
    if ! mount -t vfat -o umask=0077,shortname=winnt "$dev" "$dir"; then
        say "cannot mount $dev (UUID=$uuid): not updated"
        rmdir "$dir"
        status=1
        continue
    fi
    if [ -d "$dir/EFI" ] && command -v diff >/dev/null 2>&1 && diff -r -q "$ESP/EFI" "$dir/EFI" >/dev/null 2>&1; then
        :   # already the same: nothing written
    elif rm -rf "$dir/EFI.new" "$dir/EFI.old" && cp -R "$ESP/EFI" "$dir/EFI.new"; then
        # the new tree is complete before the old one goes: a crash leaves EFI or EFI.new whole
        { [ ! -d "$dir/EFI" ] || mv "$dir/EFI" "$dir/EFI.old"; } && mv "$dir/EFI.new" "$dir/EFI" && rm -rf "$dir/EFI.old"
        say "copied $ESP/EFI to $dev (UUID=$uuid)"
    else
        rm -rf "$dir/EFI.new"
        say "copying $ESP/EFI to $dev (UUID=$uuid) failed (full?): not updated"
        status=1
    fi
    umount "$dir" && rmdir "$dir"
done
exit $status
"""

# The hooks ignore the status: a degraded mirror must not block kernel or GRUB updates.
DEBIAN_KERNEL_HOOK = f"""#!/bin/sh
# Written by azl-install: after a kernel is installed or removed, bring the spare ESPs up to date.
[ -x {SYNC} ] && {SYNC}
exit 0
"""

APT_HOOK = f"""// Written by azl-install: after every dpkg run (GRUB, shim or kernel updates write /boot/efi),
// bring the spare EFI system partitions of the RAID1 /boot up to date ({SYNC}).
DPkg::Post-Invoke {{ "if [ -x {SYNC} ]; then {SYNC} || true; fi"; }};
"""

KERNEL_INSTALL_PLUGIN = f"""#!/bin/sh
# Written by azl-install: kernel-install plugin; after a kernel is added or removed, bring the
# spare EFI system partitions of the RAID1 /boot up to date.
case "$1" in
    add|remove) [ -x {SYNC} ] && {SYNC} ;;
esac
exit 0
"""

DNF5_ACTION = f"""# Written by azl-install (libdnf5-plugin-actions): after each transaction, bring the spare EFI
# system partitions of the RAID1 /boot up to date.
post_transaction::::{SYNC}
"""

DNF4_ACTION = f"""# Written by azl-install (python3-dnf-plugin-post-transaction-actions): after a package with
# files under /boot/efi (shim, grub2-efi) is installed or updated, bring the spare ESPs up to date.
/boot/efi/*:in:{SYNC} || true
"""


def hook_files(family: str) -> dict[str, tuple[str, int]]:
    """The files (path in the target -> text, mode) that run SYNC after updates on `family`."""
    if family == "debian":
        return {"/etc/kernel/postinst.d/zz-azl-esp-sync": (DEBIAN_KERNEL_HOOK, 0o755),
                "/etc/kernel/postrm.d/zz-azl-esp-sync": (DEBIAN_KERNEL_HOOK, 0o755),
                "/etc/apt/apt.conf.d/99azl-esp-sync": (APT_HOOK, 0o644)}
    return {"/etc/kernel/install.d/99-azl-esp-sync.install": (KERNEL_INSTALL_PLUGIN, 0o755),
            "/etc/dnf/libdnf5-plugins/actions.d/azl-esp-sync.actions": (DNF5_ACTION, 0o644),
            "/etc/dnf/plugins/post-transaction-actions.d/azl-esp-sync.action": (DNF4_ACTION, 0o644)}


def conf_text(uuids: list[str]) -> str:
    return ("# The spare EFI system partitions azl-esp-sync keeps in step with /boot/efi (filesystem UUIDs).\n"
            f'SPARES="{" ".join(uuids)}"\n')


def install(ctx: InstallContext, family: str, uuids: list[str]) -> None:
    """Write the sync command, its list of spares and the update hooks of the target's family."""
    ctx.write(CONF, conf_text(uuids), 0o644)
    ctx.write(SYNC, SYNC_SCRIPT, 0o755)
    for path, (text, mode) in hook_files(family).items():
        ctx.write(path, text, mode)
    ctx.info(f"spare EFI system partitions (UUID {', '.join(uuids)}) kept in step with /boot/efi after "
             f"kernel and bootloader updates by {SYNC} ({', '.join(hook_files(family))})")
