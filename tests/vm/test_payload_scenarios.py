"""Payload proofs in the VM: the installer installs the harness's bootable test OS through
both payload paths in one UEFI live boot, and each installed disk then boots alone.

  pay-dnf      dnf from the harness's signed RPM repository (azl-test-os is the whole test OS
               as one package), with a comps group, a weak dependency, an exclusion and
               --excludedocs; GPG checking on, the key supplied in %pre as an admin would.
               Disk: NVMe, autopart --encrypted (LUKS2 + LVM; storage scenario 3), unlocked at
               boot by typing the passphrase on the serial console.
  pay-squash   liveimg of the squashfs image with --checksum=sha256. Disks: two virtio disks,
               RAID1 for /boot and / (storage scenario 4).

The repository is the harness's 9p share "repo" (/run/azl/repo in the guest).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from harness.ssh import sections
from harness import checks, rpmrepo, scenario, ssh, verify
from harness.qemu import Share
from harness.scenario import Scenario, TargetDisk

pytestmark = pytest.mark.vm

COMMON = """\
cmdline
lang en_US.UTF-8
keyboard --vckeymap=us
timezone UTC --utc
network --bootproto=dhcp
network --hostname={hostname}
rootpw --lock
sshkey --username=root "{{pubkey}}"
selinux --permissive
zerombr
clearpart --all --initlabel
bootloader --append="console=ttyS0,115200 norandmaps"
poweroff
"""
LUKS_PASSPHRASE = "azl-test-luks-passphrase"
# pbkdf2 with few iterations: argon2id's memory-hard unlock takes minutes under TCG.
LUKS_STORAGE = """ignoredisk --only-use=pay-dnf-os
autopart --encrypted --passphrase=""" + LUKS_PASSPHRASE + """ --luks-version=luks2 --pbkdf=pbkdf2 --pbkdf-iterations=1000
"""
RAID_STORAGE = """ignoredisk --only-use=pay-squash-a,pay-squash-b
reqpart
part raid.11 --size=1024 --ondisk=pay-squash-a
part raid.12 --size=1024 --ondisk=pay-squash-b
part raid.21 --size=4096 --grow --ondisk=pay-squash-a
part raid.22 --size=4096 --grow --ondisk=pay-squash-b
raid /boot --level=1 --device=boot --fstype=xfs raid.11 raid.12
raid / --level=1 --device=root --fstype=xfs raid.21 raid.22
"""

DNF_KS = COMMON + LUKS_STORAGE + """\
url --url=file:///run/azl/repo/repo

%pre
# The test repository's signing key where the product looks for its key.
mkdir -p /etc/pki/rpm-gpg
cp /run/azl/repo/repo/RPM-GPG-KEY-azl-test /etc/pki/rpm-gpg/MICROSOFT-RPM-GPG-KEY
%end

%packages --nocore --excludedocs
azl-test-os
azl-test-extra
@azl-test
azl-test-excluded
-azl-test-excluded
%end
"""

LIVEIMG_KS = COMMON + RAID_STORAGE + """\
liveimg --url=file:///run/azl/payload/testos.squashfs --checksum={checksum}
"""

EXTRA = r"""
echo "== azl-test"
ls -1 /usr/share/azl-test/ 2>&1
echo "== rpmdb"
ls /var/lib/rpm/ 2>&1
echo "== repos"
ls -1 /etc/yum.repos.d/ 2>&1
echo "== log"
grep -E "dnf: +Installing|sha256 of .* verified|GPG signature checking is OFF" /var/log/installer/install.log 2>&1 | head -20
echo "== mdstat"
cat /proc/mdstat 2>&1
echo "== end"
"""

# The mirrored ESP (pay-squash): what is on /boot/efi, the spares and the mount point under it.
ESP_CHECKS = r"""
echo "== esp-mount"
findmnt -n -o SOURCE,UUID --mountpoint /boot/efi 2>&1
systemctl show -p ActiveState -p Result boot-efi.mount 2>&1
echo "== esp-fstab"
grep -E '[[:space:]]/boot/efi[[:space:]]' /etc/fstab
echo "== esp-order"
systemctl show -p After local-fs.target | tr ' ' '\n' | grep -x -e 'After=boot-efi.mount' -e 'boot-efi.mount'
systemctl show -p JobRunningTimeoutUSec "$(systemctl show -p Requires -p BindsTo --value boot-efi.mount | tr ' ' '\n' | grep '\.device$' | head -1)"
echo "== esp-journal"
journalctl -b --no-pager -o short-monotonic 2>&1 | grep -E 'boot-efi|Timed out waiting for device|/boot/efi' | tail -6
echo "== esp-vfat"
blkid -t TYPE=vfat -o value -s UUID 2>&1
echo "== esp-conf"
cat /etc/azl-esp-sync.conf 2>&1
echo "== esp-hooks"
ls -1 /etc/kernel/postinst.d/ /etc/kernel/postrm.d/ 2>&1
apt-config dump 2>&1 | grep -i 'post-invoke'
echo "== esp-under"
mkdir -p /run/azl-under && mount --bind /boot /run/azl-under && {
  touch /run/azl-under/efi/written-under-the-mount 2>&1; echo "touch rc=$?"; umount /run/azl-under; }
echo "== esp-unmounted-write"
if mountpoint -q /boot/efi; then echo mounted; else touch /boot/efi/written 2>&1; echo "touch rc=$?"; fi
echo "== esp-sync"
. /etc/azl-esp-sync.conf
mkdir -p /run/azl-spare
if mountpoint -q /boot/efi; then
  for u in $SPARES; do d=$(blkid -U "$u"); mount -o ro "$d" /run/azl-spare &&
    { diff -r /boot/efi/EFI /run/azl-spare/EFI && echo "in sync after the install: $u"; umount /run/azl-spare; }; done
  # an update changes the ESP: the kernel hook (as the kernel package runs it) copies it to the spares
  echo "written on $(hostname) after the install" > /boot/efi/EFI/azl-sync-probe
  /etc/kernel/postinst.d/zz-azl-esp-sync "$(uname -r)" 2>&1; echo "hook rc=$?"
fi
/usr/libexec/azl-esp-sync 2>&1; echo "sync rc=$?"
for u in $SPARES; do d=$(blkid -U "$u") && mount -o ro "$d" /run/azl-spare &&
  { echo "probe on $u: $(cat /run/azl-spare/EFI/azl-sync-probe 2>&1)"; ls /run/azl-spare/EFI/BOOT; umount /run/azl-spare; }; done
echo "== end"
"""


def payload_scenario(name: str, kickstart: str, disks: list[TargetDisk], layout: list[dict],
                     unlock: str = "") -> Scenario:
    ks = kickstart.format(hostname=name, checksum="{checksum}")
    return Scenario(name=name, firmware="uefi", disks=disks,
                    expected={"hostname": name, "firmware": "uefi", "fstab_by_uuid": True, "layout": layout,
                              "cmdline": {"present": ["console=ttyS0"]}},
                    install="installer", kickstart=ks, ks_delivery="file", timeout=1800, unlock=unlock)


@pytest.fixture(scope="module")
def rpm_repo(test_payload, vm_timer):
    with vm_timer.phase("build", "rpm-repo"):
        return rpmrepo.build_repo(test_payload)


@pytest.fixture(scope="module")
def payload_runs(live_env, test_payload, rpm_repo, ssh_key, vm_timer):
    """Both payload installs in one live boot (the repository shared into the guest), then
    each installed disk booted alone and inspected."""
    checksum = hashlib.sha256(test_payload.squashfs.read_bytes()).hexdigest()
    dnf = payload_scenario("pay-dnf", DNF_KS, [TargetDisk("os", "10G", "nvme", True, "pay-dnf-os")],
                           [{"mountpoint": "/", "fstype": "xfs", "stack": ["disk", "part", "crypt", "lvm"]},
                            {"mountpoint": "/boot", "fstype": "xfs", "stack": ["disk", "part"]},
                            {"mountpoint": "/boot/efi", "fstype": "vfat"}], unlock=LUKS_PASSPHRASE)
    squash = payload_scenario("pay-squash", LIVEIMG_KS,
                              [TargetDisk("a", "8G", "virtio", True, "pay-squash-a"),
                               TargetDisk("b", "8G", "virtio", True, "pay-squash-b")],
                              [{"mountpoint": "/", "fstype": "xfs", "stack": ["disk", "part", "raid1"]},
                               {"mountpoint": "/boot", "fstype": "xfs", "stack": ["disk", "part", "raid1"]},
                               {"mountpoint": "/boot/efi", "fstype": "vfat"}])
    squash.kickstart = squash.kickstart.replace("{checksum}", checksum)
    pub = ssh_key.with_suffix(".pub").read_text()
    scenario.install(live_env, test_payload, [dnf, squash], pub, vm_timer, boot_name="payload-live",
                     shares=[Share("repo", rpm_repo.dir, readonly=True)])
    runs = {sc.name: (sc, inspect(sc, ssh_key, vm_timer, ESP_CHECKS if sc is squash else ""))
            for sc in (dnf, squash)}
    runs["pay-squash-b"] = (squash, boot_without_first_disk(squash, ssh_key, vm_timer))
    return runs


def boot_without_first_disk(sc: Scenario, key: Path, timer) -> dict:
    """The first disk is gone (its RAID1 members and the mounted ESP with it): the system must still
    boot, from the second disk alone, through the spare ESP the install and the update hook filled."""
    if sc.results.get("rc") != 0:
        return {"error": f"{sc.name}: not installed"}
    probe = Scenario(name=f"{sc.name}-b", firmware=sc.firmware, disks=sc.disks, expected={"hostname": sc.name},
                     results={**sc.results, "disks": sc.results["disks"][1:]})
    return inspect(probe, key, timer, ESP_CHECKS)


def inspect(sc: Scenario, key: Path, timer, esp_checks: str = "") -> dict:
    r = sc.results
    if r.get("rc") != 0:
        return {"error": (f"{sc.name}: install exited with {r.get('rc')}\n"
                          + "\n".join(r.get("output", "").splitlines()[-60:])
                          + f"\n--- serial ({r.get('serial_log')}) ---\n{r.get('serial_tail', '')}")}
    vm = verify.installed_vm(f"{sc.name}-installed", sc.workdir / f"boot-{sc.name}", [d for d in r["disks"] if d.selected],
                             sc.firmware, unlock=sc.unlock)
    with vm:
        try:
            with timer.phase("reboot", sc.name):
                ssh.wait_ssh(vm, vm.ssh_port, key, 600)
        except Exception as e:
            return {"error": f"{sc.name}: the installed system did not come up: {e}\n{vm.tail(40)}"}
        with timer.phase("checks", sc.name):
            facts = checks.gather(vm.ssh_port, key)
            facts["extra"] = sections(ssh.run(vm.ssh_port, key, EXTRA + esp_checks, timeout=120).stdout)
        facts["problems"] = checks.run_checks(facts, sc.expected)
        ssh.run(vm.ssh_port, key, "systemctl poweroff --no-block", timeout=30)
        try:
            vm.wait_exit(verify.POWEROFF_BOUND)
        except Exception:
            pass
    (sc.workdir / f"facts-{sc.name}.txt").write_text("".join(f"=== {k}\n{v}" for k, v in facts.items()))
    return facts


def facts_of(runs, name) -> dict:
    facts = runs[name][1]
    assert "error" not in facts, facts.get("error")
    assert not facts["problems"], f"{name}: " + "\n  ".join(facts["problems"])
    return facts


def test_dnf_install_from_the_signed_repository_boots(payload_runs):
    facts = facts_of(payload_runs, "pay-dnf")
    extra = facts["extra"]
    # storage scenario 3: LUKS2 under LVM, unlocked at boot from /etc/crypttab through the prompt
    crypt = [line.split() for line in facts["crypttab"].splitlines() if line.strip() and not line.startswith("#")]
    assert len(crypt) == 1 and crypt[0][0].startswith("luks-") and crypt[0][2] == "none", facts["crypttab"]
    assert "TYPE=crypto_LUKS" in facts["blkid"]
    sc = payload_runs["pay-dnf"][0]
    assert LUKS_PASSPHRASE not in sc.results["output"] + facts["ks"] + extra["log"]
    files = set(extra["azl-test"].split())
    # the group member (comps), the package and its weak dependency; the excluded package not
    assert {"azl-test-extra.txt", "azl-test-weak.txt", "azl-test-group-member.txt"} <= files, extra["azl-test"]
    assert "azl-test-excluded.txt" not in files
    assert "rpmdb.sqlite" in extra["rpmdb"]
    assert "Installing" in extra["log"] and "GPG signature checking is OFF" not in extra["log"]
    # the install source was a path on the live medium: nothing about it is left on the target
    assert extra["repos"].strip() in ("", "ls: cannot access '/etc/yum.repos.d/': No such file or directory")


def test_liveimg_squashfs_with_checksum_boots(payload_runs):
    facts = facts_of(payload_runs, "pay-squash")
    extra = facts["extra"]
    # storage scenario 4: /boot and / are RAID1 arrays with a member on each disk
    arrays = re.findall(r"^md\d+ : active raid1 (\S+) (\S+)$", extra["mdstat"], re.M)
    assert len(arrays) == 2 and extra["mdstat"].count("[UU]") == 2, extra["mdstat"]
    for members in arrays:
        assert {m[:3] for m in members} == {"vda", "vdb"}, extra["mdstat"]
    # each disk has its own EFI system partition, the second a copy of the first's EFI tree
    assert facts["blkid"].count("TYPE=vfat") == 2, facts["blkid"]
    assert "sha256 of file:///run/azl/payload/testos.squashfs verified" in extra["log"]
    assert "rpmdb.sqlite" not in extra["rpmdb"]


def spare_uuids(extra: dict) -> list[str]:
    found = re.search(r'^SPARES="([^"]*)"$', extra["esp-conf"], re.M)
    assert found, extra["esp-conf"]
    return found.group(1).split()


def test_mirrored_esp_mounts_the_primary_and_keeps_the_spare_in_step(payload_runs):
    """Normal boot of the RAID1 install: /boot/efi is the primary ESP, waited for (no short device
    timeout); the spare is not mounted, equal to it after the install, and updated by the kernel hook."""
    extra = facts_of(payload_runs, "pay-squash")["extra"]
    spares = spare_uuids(extra)
    fstab = extra["esp-fstab"].split()
    assert fstab[3] == "umask=0077,shortname=winnt,nofail,x-systemd.before=local-fs.target", extra["esp-fstab"]
    primary = fstab[0].removeprefix("UUID=")
    assert len(spares) == 1 and primary not in spares
    assert sorted(extra["esp-vfat"].split()) == sorted([primary, *spares])
    assert extra["esp-mount"].split()[1] == primary and "ActiveState=active" in extra["esp-mount"], extra["esp-mount"]
    # the boot waits for it (local-fs.target after it) up to systemd's default device timeout, 90 s
    assert "boot-efi.mount" in extra["esp-order"], extra["esp-order"]
    assert re.search(r"^JobRunningTimeoutUSec=(1min 30s|90s)$", extra["esp-order"], re.M), extra["esp-order"]
    assert f"in sync after the install: {spares[0]}" in extra["esp-sync"], extra["esp-sync"]
    assert "hook rc=0" in extra["esp-sync"] and "sync rc=0" in extra["esp-sync"], extra["esp-sync"]
    assert f"probe on {spares[0]}: written on pay-squash after the install" in extra["esp-sync"], extra["esp-sync"]
    assert "zz-azl-esp-sync" in extra["esp-hooks"] and "azl-esp-sync" in extra["esp-hooks"].lower()
    assert "DPkg::Post-Invoke" in extra["esp-hooks"], extra["esp-hooks"]
    # the directory under the mount is immutable: nothing lands in /boot when the ESP is absent
    assert "Operation not permitted" in extra["esp-under"] and "touch rc=1" in extra["esp-under"], extra["esp-under"]


def test_raid1_install_boots_with_the_first_disk_removed(payload_runs):
    """The first disk removed (RAID1 members and the primary ESP gone): the firmware boots the second
    disk through the spare ESP, the boot goes on without /boot/efi, and nothing can be written there."""
    facts = facts_of(payload_runs, "pay-squash-b")
    extra = facts["extra"]
    assert facts["firmware"].strip() == "uefi"
    assert "md" in facts["findmnt"] and "/boot" in facts["findmnt"]
    assert extra["mdstat"].count("[2/1]") == 2, extra["mdstat"]   # both arrays run degraded
    spares = spare_uuids(extra)
    # the only EFI system partition left is the spare: it served the boot
    assert extra["esp-vfat"].split() == spares, extra["esp-vfat"]
    assert f"probe on {spares[0]}: written on pay-squash after the install" in extra["esp-sync"], extra["esp-sync"]
    assert "BOOTX64.EFI" in extra["esp-sync"]
    # the primary's mount gave up after systemd's device timeout instead of stopping the boot
    assert not extra["esp-mount"].startswith("/dev/"), extra["esp-mount"]
    assert "ActiveState=active" not in extra["esp-mount"], extra["esp-mount"]
    assert "Operation not permitted" in extra["esp-unmounted-write"], extra["esp-unmounted-write"]
    assert "nothing is mounted on /boot/efi" in extra["esp-sync"] and "sync rc=2" in extra["esp-sync"]
