"""The TUI over the installation medium's serial console (vt220, 80x24), typed at by the
harness: the ISO in the CD-ROM drive, GRUB's "Install Azure Linux" entry with inst.ks= naming
a partial kickstart on a USB stick (the console launcher starts the TUI with it at once), a
real install from the medium's own signed repository plus the hub's missing answers, then the
installed disk boots alone and is checked over SSH; the disks not chosen are untouched.

The target disk already holds another system (a Windows-style data partition and a Linux
ext4 partition with files); the TUI installs with "use free space only": the summary must
erase nothing and ask for no confirmation, and both partitions must hash identically after."""
from __future__ import annotations

import subprocess
import time

import pytest
from harness import isoboot, verify
from harness.diskhash import hash_disks, hash_range
from harness.guest import run_dir
from harness.qemu import Disk, ext4_stick, partitioned_disk, sparse_disk

pytestmark = pytest.mark.vm

ROOT_PW = "Serial-Console-Pw-2026"
KEYS = {"esc": b"\x1b", "tab": b"\t", "enter": b"\r", "right": b"\x1b[C", "f6": b"\x1b[17~", "f10": b"\x1b[21~"}

# What the kickstart cannot know about this TUI session is left out: the disk layout
# and the root password are answered on the hub.
PARTIAL_KS = """\
lang en_US.UTF-8
keyboard --vckeymap=us
timezone UTC --utc
network --bootproto=dhcp --activate
network --hostname=tui-serial
sshkey --username=root "{pubkey}"
selinux --permissive
ignoredisk --only-use=disk/by-id/virtio-tui-os
bootloader --append="console=ttyS0,115200 norandmaps"
poweroff

%packages --nocore --excludedocs
azl-test-os
%end
"""
KS_LABEL = "TUI-KS"


MiB = 1 << 20
# The existing system at the start of the target disk: (GPT type, size MiB, mkfs argv, label).
EXISTING = [("EBD0A0A2-B9E5-4433-87C0-68B6B72699C7", 300, ["mkfs.vfat", "-n", "WINDATA"]),
            ("0FC63DAF-8483-4772-8E79-3D69D8477DE4", 700, ["mkfs.ext4", "-q", "-L", "oldlinux"])]


def existing_os_disk(path, workdir) -> list[tuple[int, int]]:
    """Partition the (sparse) image like a machine that already has a system, filesystems with
    content included; returns each partition's (start, size) in bytes."""
    script = ["label: gpt"]
    start = MiB
    spans = []
    for gpt_type, size_mib, _ in EXISTING:
        script.append(f"start={start // 512}, size={size_mib * MiB // 512}, type={gpt_type}")
        spans.append((start, size_mib * MiB))
        start += size_mib * MiB
    subprocess.run(["sfdisk", "-q", str(path)], input="\n".join(script) + "\n", text=True, check=True)
    content = workdir / "oldlinux-content"
    (content / "etc").mkdir(parents=True, exist_ok=True)
    (content / "etc/os-release").write_text("NAME=OldLinux\nID=oldlinux\n")
    (content / "data.bin").write_bytes(bytes(range(256)) * 4096)
    for (_, size_mib, mkfs), (offset, size) in zip(EXISTING, spans):
        image = workdir / f"part-{offset}.img"
        image.unlink(missing_ok=True)
        with open(image, "wb") as fh:
            fh.truncate(size)
        argv = mkfs + (["-d", str(content)] if mkfs[0] == "mkfs.ext4" else []) + [str(image)]
        subprocess.run(argv, check=True, capture_output=True)
        subprocess.run(["dd", f"if={image}", f"of={path}", "bs=1M", f"seek={offset // MiB}", "conv=notrunc,sparse",
                        "status=none"], check=True)
        image.unlink()
    return spans


def partition_entries(path, count: int) -> list[str]:
    """sfdisk's dump lines of the first `count` partitions (start, size, type, uuid)."""
    dump = subprocess.run(["sfdisk", "--dump", str(path)], capture_output=True, text=True, check=True).stdout
    return [line for line in dump.splitlines() if line.startswith(str(path))][:count]


class SerialTUI:
    """Typing at the TUI on the VM's serial console (an interactive VM: stdin is a pipe)."""

    def __init__(self, vm):
        self.vm = vm

    def send(self, data: str | bytes, pause: float = 0.4):
        self.vm.send(data)
        time.sleep(pause)

    def key(self, name: str, pause: float = 0.6):
        self.send(KEYS[name], pause)

    def wait(self, text: str, timeout: float = 120) -> None:
        self.vm.wait_for(text, timeout)

    def mark(self) -> int:
        return self.vm.serial_log.stat().st_size

    def seen_after(self, mark: int) -> str:
        return self.vm.serial_log.read_bytes()[mark:].decode("utf-8", "replace")


def test_tui_over_serial_installs_a_system_that_boots(install_medium, ssh_key):
    workdir = run_dir("tui-serial")
    os_disk = Disk(sparse_disk(workdir / "os.img", "20G"), bus="virtio", serial="tui-os")
    keep = partitioned_disk(workdir / "keep.img", "4G", "nvme", "tui-keep")
    spans = existing_os_disk(os_disk.path, workdir)
    kept_before = [hash_range(os_disk.path, start, size) for start, size in spans]
    entries_before = partition_entries(os_disk.path, len(spans))
    pubkey = ssh_key.with_suffix(".pub").read_text().strip()
    stick = Disk(ext4_stick(workdir / "ks.img", KS_LABEL, {"tui.ks": PARTIAL_KS.format(pubkey=pubkey)}), bus="usb",
                 serial="tui-ks", selected=False)
    before = hash_disks([keep, stick])
    vm = isoboot.iso_vm(install_medium, "tui-serial", [os_disk, keep, stick], "uefi", workdir=workdir)
    vm.start()
    tui = SerialTUI(vm)
    try:
        isoboot.choose_entry(vm, "install", (*isoboot.TEST_ARGS, f"inst.ks=hd:LABEL={KS_LABEL}:/tui.ks"))
        tui.wait("Installation summary", timeout=600)
        tui.wait("[!] Installation destination")
        tui.wait("Before installing, complete:", timeout=180)  # the probe has finished
        tui.send("3")
        tui.wait("Disks: Space selects")
        # The kickstart's disk is already chosen; pick plain partitions and "Use free space only".
        tui.key("tab", pause=2)
        tui.key("right", pause=2)
        tui.key("enter", pause=2)
        tui.key("tab", pause=2)
        tui.key("right", pause=2)
        tui.key("enter", pause=2)
        tui.key("esc")
        tui.wait("automatic plain")
        tui.send("6")
        tui.wait("Root password:")
        # One field at a time: a burst of keys arriving together reads as a paste (Tab included).
        tui.send(ROOT_PW, pause=2)
        tui.wait("] Strong")
        tui.key("tab", pause=2)
        tui.send(ROOT_PW, pause=2)
        tui.key("esc")
        tui.wait("Ready to install")
        mark = tui.mark()
        tui.key("f10")
        tui.wait("Nothing: the new system goes into free space.", timeout=180)
        summary = tui.seen_after(mark)
        assert "destroy" not in summary and "Type erase" not in summary
        tui.key("f10")
        tui.wait("Installation complete", timeout=1500)
        assert ROOT_PW not in tui.seen_after(0)
        tui.key("f6")  # power off
        # within systemd's 90 s stop timeout: no unit of the medium (the tty2 shell) holds it up
        vm.wait_exit(85)
    finally:
        vm.kill()
    assert hash_disks([keep, stick]) == before, "a disk the TUI did not select was modified"
    assert partition_entries(os_disk.path, len(spans)) == entries_before, "the existing partitions were changed"
    assert [hash_range(os_disk.path, start, size) for start, size in spans] == kept_before, \
        "the existing partitions' contents changed"
    verify.boot_and_check("tui-serial-installed", workdir / "boot", [Disk(os_disk.path, bus="virtio",
                          serial="tui-os")], "uefi",
                          {"hostname": "tui-serial", "firmware": "uefi", "selinux": "permissive",
                           "users": [{"name": "root", "uid": 0, "password": "set"}],
                           "saved_kickstart": {"mode": "600", "absent": [ROOT_PW]},
                           "authorized_key": pubkey},
                          ssh_key)
