"""Harness pieces that need no guest: disk hashing, cache keys, QEMU command lines."""
import pytest

from harness.cache import input_hash
from harness.diskhash import hash_disk
from harness.qemu import VM, Disk, sparse_disk

pytestmark = pytest.mark.vm


def test_disk_hash_sees_data_not_holes(tmp_path):
    a = sparse_disk(tmp_path / "a.img", "64M")
    empty = hash_disk(a)
    with open(a, "r+b") as f:
        f.seek(10 << 20)
        f.write(bytes(1 << 20))          # zeros written over a hole read the same
    assert hash_disk(a) == empty
    with open(a, "r+b") as f:
        f.seek(40 << 20)
        f.write(b"x")
    changed = hash_disk(a)
    assert changed != empty
    with open(a, "r+b") as f:
        f.seek(40 << 20)
        f.write(b"y")
    assert hash_disk(a) not in (empty, changed)
    b = sparse_disk(tmp_path / "b.img", "65M")
    assert hash_disk(b) != empty         # the size is part of the content


def test_input_hash_follows_file_contents(tmp_path):
    f = tmp_path / "script.sh"
    f.write_text("echo 1\n")
    one = input_hash(["pkg"], files=[f])
    assert one == input_hash(["pkg"], files=[f])
    f.write_text("echo 2\n")
    assert input_hash(["pkg"], files=[f]) != one
    assert input_hash(["pkg2"], files=[f]) != input_hash(["pkg"], files=[f])


def test_qemu_command_line(tmp_path):
    disks = [Disk(tmp_path / "v.img", bus="virtio", serial="v1"),
             Disk(tmp_path / "n.img", bus="nvme", serial="n1"),
             Disk(tmp_path / "s.img", bus="sata", serial="s1"),
             Disk(tmp_path / "u.img", bus="usb", serial="u1", snapshot=True)]
    vm = VM(name="t", workdir=tmp_path, disks=disks, firmware="uefi", forwards={22: 2222})
    cmd = " ".join(vm.command())
    assert "-accel tcg,thread=multi" in cmd and "-machine q35" in cmd and "-nodefaults" in cmd
    assert "virtio-blk-pci,drive=disk0,serial=v1" in cmd
    assert "nvme,drive=disk1,serial=n1" in cmd
    assert "-device ahci,id=sata0" in cmd and "ide-hd,drive=disk2,bus=sata0.0,serial=s1" in cmd
    assert "usb-storage,bus=xhci0.0,drive=disk3,serial=u1" in cmd and "snapshot=on" in cmd
    assert "hostfwd=tcp:127.0.0.1:2222-:22" in cmd and "restrict=on" in cmd
    assert "OVMF_CODE_4M.fd" in cmd and str(tmp_path / "OVMF_VARS.fd") in cmd
    with pytest.raises(ValueError):
        Disk(tmp_path / "x.img", bus="floppy")


def test_console_prompts_are_answered_and_lines_logged(tmp_path, monkeypatch):
    """The serial reader answers a prompt that has no newline yet (a LUKS passphrase prompt)
    and still logs every line; here the 'guest' is a shell reading its stdin."""
    guest = ("printf 'boot line 1\\nPlease unlock disk luks-1234: '; read answer; "
             "echo \"got [$answer]\"; printf 'tail without newline'")
    vm = VM(name="t", workdir=tmp_path, disks=[], answers={"Please unlock disk": "s3cret"})
    monkeypatch.setattr(vm, "command", lambda serial="stdio": ["sh", "-c", guest])
    with vm:
        assert vm.wait_exit(30) == 0
    log = vm.serial_log.read_text()
    assert "boot line 1" in log and "got [s3cret]" in log and "tail without newline" in log
    assert vm.wait_for("got [s3cret]", 1) >= 0
