"""bench/end_state.py: two installed disks compare equal when only their UUIDs, host keys and
initramfs differ, and every other difference is listed (files, modes, partitions)."""

import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import end_state  # noqa: E402

pytestmark = pytest.mark.skipif(not all(shutil.which(t) for t in ("sfdisk", "mkfs.ext4", "mkfs.vfat", "debugfs",
                                                                   "mcopy", "blkid")),
                                reason="needs sfdisk, e2fsprogs, dosfstools, mtools, blkid")
MiB = 1 << 20


def installed_disk(tmp: Path, name: str, *, tweak=None) -> Path:
    """A GPT disk: ESP (vfat) at /boot/efi, /boot (ext4), / (ext4), written like an install would."""
    ids = {k: str(uuid.uuid4()) for k in ("root", "boot")}
    esp_id = uuid.uuid4().hex[:8].upper()
    esp_uuid = f"{esp_id[:4]}-{esp_id[4:]}"
    trees = {k: tmp / f"{name}-{k}" for k in ("root", "boot", "esp")}
    root, boot, esp = trees.values()
    for d in trees.values():
        d.mkdir()
    (root / "etc/ssh").mkdir(parents=True)
    (root / "boot").mkdir()
    (root / "root").mkdir()
    (root / "etc/fstab").write_text(f"UUID={ids['root']} / ext4 defaults 0 1\nUUID={ids['boot']} /boot ext4 defaults 0 2\n"
                                    f"UUID={esp_uuid} /boot/efi vfat umask=0077 0 2\n")
    (root / "etc/ssh/ssh_host_ed25519_key").write_text(f"key of {name}\n")
    (root / "etc/ssh/ssh_host_ed25519_key").chmod(0o600)
    (root / "etc/hostname").write_text("bench\n")
    (boot / "efi").mkdir()
    (boot / "initrd.img-6.1").write_bytes(name.encode() * 100)
    (boot / "grub").mkdir()
    (boot / "grub/grub.cfg").write_text(f"search --fs-uuid --set=root {ids['boot']}\nlinux /vmlinuz root=UUID={ids['root']}\n")
    (esp / "EFI").mkdir()
    (esp / "EFI/grub.cfg").write_text(f"search.fs_uuid {ids['boot']} root\n")
    if tweak:
        tweak(trees)
    image = tmp / f"{name}.img"
    with open(image, "wb") as f:
        f.truncate(200 * MiB)
    subprocess.run(["sfdisk", "-q", "--label", "gpt", str(image)], check=True, text=True,
                   input="size=32MiB, type=U\nsize=64MiB, type=L\ntype=L\n")
    parts = end_state.partitions(image)
    for part, fs, src, fsid in ((parts[1], "boot", boot, ids["boot"]), (parts[2], "root", root, ids["root"])):
        subprocess.run(["mkfs.ext4", "-q", "-F", "-U", fsid, "-d", str(src), "-E", f"offset={part['offset']}",
                        str(image), f"{part['mib'] * 1024}k"], check=True, capture_output=True)
    esp_img = tmp / f"{name}-esp.img"
    subprocess.run(["mkfs.vfat", "-C", "-i", esp_id, str(esp_img), str(32 * 1024)], check=True, capture_output=True)
    subprocess.run(["mcopy", "-s", "-i", str(esp_img), str(esp / "EFI"), "::/"], check=True)
    with open(image, "r+b") as f, open(esp_img, "rb") as e:
        f.seek(parts[0]["offset"])
        f.write(e.read())
    return image


def test_the_same_install_twice_has_no_differences(tmp_path):
    a = installed_disk(tmp_path, "ref")
    b = installed_disk(tmp_path, "inst", tweak=lambda t: (t["root"] / "root/installer-ks.cfg").write_text("ks\n"))
    diffs, record = end_state.differences(a, b)
    assert diffs == []
    assert record == ["root/installer-ks.cfg"]


def test_every_other_difference_is_listed(tmp_path):
    a = installed_disk(tmp_path, "ref")

    def tweak(trees):
        (trees["root"] / "etc/hostname").write_text("other\n")
        (trees["root"] / "etc/ssh/ssh_host_ed25519_key").chmod(0o644)
        (trees["esp"] / "EFI/extra.efi").write_text("x")
        (trees["boot"] / "grub/grub.cfg").write_text("menuentry\n")

    b = installed_disk(tmp_path, "inst", tweak=tweak)
    diffs, _ = end_state.differences(a, b)
    paths = sorted(d.split(":")[0] for d in diffs)
    assert paths == ["/boot/efi/EFI/extra.efi", "/boot/grub/grub.cfg", "/etc/hostname",
                     "/etc/ssh/ssh_host_ed25519_key"]
