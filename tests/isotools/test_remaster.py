"""azl-install-iso remaster on small "vanilla" dmsquash ISOs made here with grub-mkrescue (a hybrid
BIOS+UEFI ISO like the real medium): the live root in squashfs, in erofs, or as an ext4 rootfs.img
inside squashfs. The remastered ISO keeps its label, volume date (GRUB's ISO UUID) and boot
records, its live root keeps every original file and gains the installer, the overlay and the
wheels it lacked, the kickstart is on the medium with a boot entry, and the installed files run."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from isotools import cli, iso, liveroot
from tests.conftest import KICKSTARTS, have

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module", autouse=True)
def dependency_wheels() -> Path:
    """build/wheels (the installer's dependencies, which remaster adds), made by the harness's cached
    step when this test runs before any VM test has built it (a fresh clone)."""
    sys.path.insert(0, str(ROOT / "tests" / "vm"))
    try:
        from harness.live import build_wheels
    finally:
        sys.path.remove(str(ROOT / "tests" / "vm"))
    return build_wheels()
LABEL = "VAN-LIVE"
SITE = "usr/lib/python3.11/site-packages"
TOOLS = ("xorriso", "grub-mkrescue", "mksquashfs", "unsquashfs", "mformat", "debugfs", "mke2fs")
pytestmark = [pytest.mark.host, pytest.mark.slow,
              pytest.mark.skipif(not all(have(t) for t in TOOLS), reason=f"needs {', '.join(TOOLS)}"),
              pytest.mark.skipif(not (Path("/usr/lib/grub/i386-pc").is_dir() and Path("/usr/lib/grub/x86_64-efi").is_dir()),
                                 reason="needs grub-pc-bin and grub-efi-amd64-bin")]

GRUB_CFG = f"""set default=0
set timeout=5
menuentry 'Start the live system' --id live {{
\tlinux /boot/vmlinuz root=live:CDLABEL={LABEL} rd.live.image quiet
\tinitrd /boot/initrd.img
}}
menuentry 'Test this media' --id check {{
\tlinux /boot/vmlinuz root=live:CDLABEL={LABEL} rd.live.image rd.live.check
\tinitrd /boot/initrd.img
}}
"""


def make_live_root(d: Path) -> Path:
    """A Fedora-shaped root: python3.11 with an older rich already installed, a setuid binary,
    a file owned by another user, a symlink."""
    r = d / "root"
    rich = next((ROOT / "build" / "wheels").glob("rich-*.whl"))
    with zipfile.ZipFile(rich) as z:  # "the distribution's" rich, with a file of its own
        z.extractall(r / SITE, [n for n in z.namelist() if n.startswith("rich/") or ".dist-info/" in n])
    (r / SITE / "rich/DISTRO").write_text("packaged by the distribution\n")
    (r / "usr/lib/python3.11/os.py").write_text("# stdlib marker\n")
    (r / "usr/bin").mkdir(parents=True)
    (r / "usr/bin/su").write_bytes(b"\x7fELF fake su")
    os.chmod(r / "usr/bin/su", 0o4755)
    (r / "etc/systemd/system").mkdir(parents=True)
    (r / "etc/os-release").write_text('NAME="Vanilla Live"\n')
    (r / "etc/systemd/system/default.target").symlink_to("/usr/lib/systemd/system/multi-user.target")
    (r / "home/user").mkdir(parents=True)
    (r / "home/user/notes").write_text("mine\n")
    os.chown(r / "home/user", 1000, 1000)
    os.chown(r / "home/user/notes", 1000, 1000)
    return r


def make_iso(d: Path, kind: str) -> Path:
    root = make_live_root(d)
    tree = d / "tree"
    (tree / "LiveOS").mkdir(parents=True)
    (tree / "boot/grub").mkdir(parents=True)
    img = tree / "LiveOS/squashfs.img"
    if kind == "squashfs":
        subprocess.run(["mksquashfs", str(root), str(img), "-comp", "xz", "-b", "256K", "-quiet", "-no-progress"],
                       check=True)
    elif kind == "erofs":
        subprocess.run(["mkfs.erofs", "-zlz4hc", "--quiet", str(img), str(root)], check=True)
    else:
        outer = d / "outer"
        (outer / "LiveOS").mkdir(parents=True)
        subprocess.run(["mke2fs", "-q", "-t", "ext4", "-L", "Anaconda", "-d", str(root),
                        str(outer / "LiveOS/rootfs.img"), "24M"], check=True)
        subprocess.run(["mksquashfs", str(outer), str(img), "-comp", "gzip", "-quiet", "-no-progress"], check=True)
    (tree / "boot/vmlinuz").write_bytes(b"kernel")
    (tree / "boot/initrd.img").write_bytes(b"initrd")
    (tree / "boot/grub/grub.cfg").write_text(GRUB_CFG)
    out = d / "vanilla.iso"
    subprocess.run(["grub-mkrescue", "-o", str(out), str(tree), "--", "-volid", LABEL],
                   check=True, capture_output=True)
    return out


def unpack_live_root(iso_path: Path, d: Path) -> Path:
    """The live root of an ISO as a directory (as root: owners and modes kept)."""
    img = d / "squashfs.img"
    iso.extract(iso_path, [("/LiveOS/squashfs.img", img)])
    out = d / "root"
    with open(img, "rb") as f:
        head = f.read(1028)
    if head[:4] == b"hsqs":
        subprocess.run(["unsquashfs", "-q", "-no-progress", "-d", str(d / "sq"), str(img)], check=True,
                       capture_output=True)
        inner = d / "sq/LiveOS/rootfs.img"
        if inner.exists():
            subprocess.run(["e2fsck", "-f", "-n", str(inner)], check=True, capture_output=True)
            out.mkdir()
            top = subprocess.run(["debugfs", "-R", "ls -p /", str(inner)], check=True, capture_output=True,
                                 text=True).stdout
            names = [p.split("/")[5] for p in top.splitlines() if p.count("/") >= 6]
            names = [n for n in names if n not in ("", ".", "..", "lost+found")]
            subprocess.run(["debugfs", "-R", f"rdump {' '.join('/' + n for n in names)} {out}", str(inner)],
                           check=True, capture_output=True)
            return out
        return d / "sq"
    subprocess.run(["fsck.erofs", f"--extract={out}", "--preserve", str(img)], check=True, capture_output=True)
    return out


def tree_state(r: Path) -> dict[str, tuple]:
    state = {}
    for p in sorted(r.rglob("*")):
        st = p.lstat()
        rel = p.relative_to(r).as_posix()
        if rel == "lost+found" or rel.startswith("lost+found/"):
            continue
        body = os.readlink(p) if p.is_symlink() else hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else ""
        state[rel] = (oct(st.st_mode), st.st_uid, st.st_gid, body)
    return state


def remaster(vanilla: Path, out: Path, *args: str) -> tuple[int, str, str]:
    proc = subprocess.run([sys.executable, "-m", "isotools", "remaster", str(vanilla), str(out), *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    return proc.returncode, proc.stdout, proc.stderr


KINDS = ["squashfs", "ext4", pytest.param("erofs", marks=pytest.mark.skipif(not have("mkfs.erofs"),
                                                                               reason="needs erofs-utils"))]


@pytest.fixture(scope="module", params=KINDS)
def remastered(request, tmp_path_factory):
    d = tmp_path_factory.mktemp(f"iso-{request.param}")
    vanilla = make_iso(d / "in", request.param)
    out = d / "out.iso"
    rc, stdout, stderr = remaster(vanilla, out, "--ks", str(KICKSTARTS / "minimal.ks"),
                                  "--append", "console=ttyS0,115200 inst.sshd")
    if request.param == "erofs" and not liveroot.erofs_extract_keeps_setuid(d / "probe"):
        # Debian 12's erofs-utils 1.5: extraction clears setuid bits, so the remaster refuses.
        assert rc == 1 and "clears setuid/setgid bits" in stderr and not out.exists(), stdout + stderr
        pytest.skip("fsck.erofs here loses setuid bits: remaster refused it, as it must")
    assert rc == 0, stdout + stderr
    return request.param, vanilla, out, d, stdout


def test_boot_records_label_and_date_kept(remastered):
    _, vanilla, out, _, _ = remastered
    before, after = iso.boot_summary(vanilla), iso.boot_summary(out)
    assert [(e["platform"], e["path"], e["emul"]) for e in after["entries"]] == \
        [("BIOS", "/boot/grub/i386-pc/eltorito.img", "none"), ("UEFI", "/efi.img", "none")]
    assert after["entries"] == before["entries"]
    # The Mac HFS+ hybrid is the only thing left out.
    assert [t for t in before["system_area"] if t != "APM"] == after["system_area"]
    assert "grub2-mbr" in after["system_area"] and "GPT" in after["system_area"]
    assert after["mbr_partition_types"] == before["mbr_partition_types"] == ["0xee"]
    assert [p for p in before["gpt_partitions"] if p[0] != "HFSPLUS"] == after["gpt_partitions"]
    assert iso.read_pvd(out) == iso.read_pvd(vanilla)
    assert iso.read_pvd(out).volume_id == LABEL


def test_live_root_keeps_everything_and_gains_the_installer(remastered, tmp_path):
    kind, vanilla, out, _, _ = remastered
    old = tree_state(unpack_live_root(vanilla, tmp_path / "old"))
    new_root = unpack_live_root(out, tmp_path / "new")
    new = tree_state(new_root)
    assert old, "the vanilla root did not unpack"
    changed = {rel: (state, new.get(rel)) for rel, state in old.items() if new.get(rel) != state}
    assert not changed, (kind, changed)
    if kind == "ext4":  # debugfs rdump clears setuid bits: read the inode itself
        stat_su = subprocess.run(["debugfs", "-R", "stat /usr/bin/su", str(tmp_path / "new/sq/LiveOS/rootfs.img")],
                                 capture_output=True, text=True, check=True).stdout
        assert re.search(r"Mode:\s+04755\b", stat_su), stat_su
    else:
        assert new["usr/bin/su"][0] == oct(0o104755)
    assert new["home/user/notes"][1:3] == (1000, 1000)
    added = set(new) - set(old)
    for must in (f"{SITE}/installer/cli.py", f"{SITE}/installer/data/azurelinux-4.0.toml",
                 f"{SITE}/screens/theme.tcss", f"{SITE}/textual/__init__.py", f"{SITE}/pykickstart/__init__.py",
                 "usr/bin/azl-install", "usr/libexec/azl-install/console-start",
                 "usr/lib/systemd/system/azl-install@.service",
                 "usr/lib/systemd/system-generators/azl-install-generator",
                 "etc/systemd/system/multi-user.target.wants/azl-install-shell.service"):
        assert must in added, (kind, must)
    assert new["usr/bin/azl-install"][:3] == (oct(0o100755), 0, 0)
    assert (new["etc/systemd/system/multi-user.target.wants/azl-install-shell.service"][3]
            == "../../../../usr/lib/systemd/system/azl-install-shell.service")
    assert new[f"{SITE}/rich/DISTRO"] == old[f"{SITE}/rich/DISTRO"]  # the root's own rich is kept
    assert not [a for a in added if a.startswith(f"{SITE}/rich")]
    assert not [a for a in added if a.startswith(f"{SITE}/tests") or a.endswith((".pyc", "conftest.py"))
                or "isotools" in a]
    assert all(new[a][1:3] == (0, 0) for a in added), [a for a in added if new[a][1:3] != (0, 0)]


def test_installed_installer_runs_from_the_live_root(remastered, tmp_path):
    _, _, out, _, _ = remastered
    r = unpack_live_root(out, tmp_path)
    env = dict(os.environ, PYTHONPATH=str(r / SITE), PYTHONDONTWRITEBYTECODE="1")
    script = r / "usr/bin/azl-install"
    proc = subprocess.run([sys.executable, str(script), "validate", str(KICKSTARTS / "minimal.ks")], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    code = "import installer, textual, pykickstart; print(installer.__file__, textual.__file__, pykickstart.__file__)"
    where = subprocess.run([sys.executable, "-c", code],
                           cwd=tmp_path, env=env, capture_output=True, text=True, check=True).stdout.split()
    assert all(w.startswith(str(r / SITE)) for w in where), where


def test_kickstart_and_boot_entries(remastered, tmp_path):
    _, _, out, _, stdout = remastered
    iso.extract(out, [("/ks.cfg", tmp_path / "ks.cfg"), ("/boot/grub/grub.cfg", tmp_path / "grub.cfg")])
    assert (tmp_path / "ks.cfg").read_bytes() == (KICKSTARTS / "minimal.ks").read_bytes()
    cfg = (tmp_path / "grub.cfg").read_text()
    assert cfg.startswith("set default=0\n")
    entries = re.findall(r"menuentry '([^']*)' --id (\S+) \{\n\tlinux (.*)\n", cfg)
    assert [(t, i) for t, i, _ in entries] == [("Start the live system", "live"), ("Test this media", "check"),
                                               ("Install Azure Linux with the embedded kickstart", "azl-ks")]
    assert entries[0][2] == f"/boot/vmlinuz root=live:CDLABEL={LABEL} rd.live.image quiet console=ttyS0,115200 inst.sshd"
    assert entries[2][2] == (f"/boot/vmlinuz root=live:CDLABEL={LABEL} rd.live.image quiet "
                             f"console=ttyS0,115200 inst.sshd inst.ks=hd:LABEL={LABEL}:/ks.cfg")
    assert '"ks": "/ks.cfg"' in stdout and '"/boot/grub/grub.cfg"' in stdout


def test_same_inputs_same_iso(remastered, tmp_path):
    kind, vanilla, out, _, _ = remastered
    if kind != "squashfs":
        pytest.skip("checked once")
    again = tmp_path / "again.iso"
    rc, _, stderr = remaster(vanilla, again, "--ks", str(KICKSTARTS / "minimal.ks"),
                                  "--append", "console=ttyS0,115200 inst.sshd")
    assert rc == 0, stderr
    assert hashlib.sha256(again.read_bytes()).hexdigest() == hashlib.sha256(out.read_bytes()).hexdigest()


def test_invalid_kickstart_is_refused_and_nothing_written(tmp_path, remastered):
    _, vanilla, _, _, _ = remastered
    bad = tmp_path / "bad.ks"
    bad.write_text("text\nbootloader --location=mbr\nnosuchcommand --x\n")
    out = tmp_path / "out.iso"
    rc, _, stderr = remaster(vanilla, out, "--ks", str(bad))
    assert rc == 1
    assert f"{bad}:3" in stderr
    assert not out.exists() and not list(tmp_path.glob(".remaster-*"))


def test_not_a_live_iso_is_refused(tmp_path):
    tree = tmp_path / "tree"
    (tree / "boot/grub").mkdir(parents=True)
    (tree / "boot/grub/grub.cfg").write_text("menuentry 'x' {\n}\n")
    plain = tmp_path / "plain.iso"
    subprocess.run(["grub-mkrescue", "-o", str(plain), str(tree)], check=True, capture_output=True)
    rc, _, stderr = remaster(plain, tmp_path / "out.iso")
    assert rc == 1 and "no /LiveOS/squashfs.img" in stderr
    assert cli.main(["remaster"]) == 2


@pytest.mark.skipif(not have("rpmbuild") or not have("rpm2cpio"), reason="needs rpmbuild and rpm2cpio")
def test_remaster_with_the_rpms(tmp_path):
    """--rpm: the packages' files (installer, live overlay, textual) instead of the tree."""
    sys.path.insert(0, str(ROOT / "tools"))
    import rpm as rpmtool  # tools/rpm.py

    rpms = rpmtool.build(tmp_path / "rpms", tmp_path / "top", ROOT / "build" / "wheels")
    wanted = [r for r in rpms if not r.name.startswith("azl-install-iso-")]
    vanilla = make_iso(tmp_path / "in", "squashfs")
    out = tmp_path / "out.iso"
    rc, stdout, stderr = remaster(vanilla, out, *[a for r in wanted for a in ("--rpm", str(r))])
    assert rc == 0, stdout + stderr
    old = tree_state(unpack_live_root(vanilla, tmp_path / "old"))
    new = tree_state(unpack_live_root(out, tmp_path / "new"))
    assert not {rel for rel, state in old.items() if new.get(rel) != state}
    added = set(new) - set(old)
    for must in (f"{SITE}/installer/cli.py", f"{SITE}/textual/app.py", "usr/bin/azl-install",
                 "usr/lib/systemd/system/azl-install@.service", "usr/libexec/azl-install/console-start"):
        assert must in added, must
    assert not [a for a in added if "isotools" in a or a.startswith(f"{SITE}/pykickstart")]
    assert all(new[a][1:3] == (0, 0) for a in added)


FEDORA_GRUB = f"""set default="0"
menuentry 'Start Fedora-Live' --class fedora --class gnu-linux {{
\tlinux /images/pxeboot/vmlinuz root=live:CDLABEL={LABEL} rd.live.image quiet rhgb
\tinitrd /images/pxeboot/initrd.img
}}
"""
FEDORA_ISOLINUX = f"""default vesamenu.c32
timeout 600
label linux
  menu label ^Start Fedora-Live
  kernel vmlinuz
  append initrd=initrd.img root=live:CDLABEL={LABEL} rd.live.image quiet rhgb
  menu default
"""


@pytest.mark.skipif(not have("mcopy"), reason="needs mtools")
def test_fedora_shaped_iso_menus_in_isolinux_and_the_efi_image(tmp_path):
    """ISOLINUX for BIOS, and a GRUB menu inside images/efiboot.img (the EFI El Torito image) as
    Fedora's live ISOs have them: all three menus get the kickstart entry."""
    root = make_live_root(tmp_path)
    tree = tmp_path / "tree"
    for d in ("LiveOS", "isolinux", "images/pxeboot", "EFI/BOOT"):
        (tree / d).mkdir(parents=True)
    subprocess.run(["mksquashfs", str(root), str(tree / "LiveOS/squashfs.img"), "-quiet", "-no-progress"], check=True)
    (tree / "isolinux/isolinux.bin").write_bytes(b"\0" * 4096)  # stands for SYSLINUX's loader
    (tree / "isolinux/isolinux.cfg").write_text(FEDORA_ISOLINUX)
    (tree / "EFI/BOOT/grub.cfg").write_text(FEDORA_GRUB)
    efi = tree / "images/efiboot.img"
    subprocess.run(["mformat", "-C", "-f", "2880", "-i", str(efi), "::"], check=True)
    subprocess.run(["mmd", "-i", str(efi), "::/EFI", "::/EFI/BOOT"], check=True)
    (tmp_path / "BOOTX64.EFI").write_bytes(b"MZ fake")
    subprocess.run(["mcopy", "-i", str(efi), str(tmp_path / "BOOTX64.EFI"), str(tree / "EFI/BOOT/grub.cfg"),
                    "::/EFI/BOOT/"], check=True)
    vanilla = tmp_path / "fedora.iso"
    subprocess.run(["xorriso", "-as", "mkisofs", "-quiet", "-V", LABEL, "-R", "-J", "-o", str(vanilla),
                    "-b", "isolinux/isolinux.bin", "-c", "isolinux/boot.cat", "-no-emul-boot",
                    "-boot-load-size", "4", "-boot-info-table", "-eltorito-alt-boot",
                    "-e", "images/efiboot.img", "-no-emul-boot", str(tree)], check=True, capture_output=True)
    out = tmp_path / "out.iso"
    rc, stdout, stderr = remaster(vanilla, out, "--ks", str(KICKSTARTS / "minimal.ks"), "--ks-default")
    assert rc == 0, stdout + stderr
    assert [(e["platform"], e["path"]) for e in iso.boot_summary(out)["entries"]] == \
        [("BIOS", "/isolinux/isolinux.bin"), ("UEFI", "/images/efiboot.img")]
    iso.extract(out, [("/isolinux/isolinux.cfg", tmp_path / "isolinux.cfg"),
                      ("/EFI/BOOT/grub.cfg", tmp_path / "grub.cfg"), ("/images/efiboot.img", tmp_path / "efi.img")])
    ks = f"inst.ks=hd:LABEL={LABEL}:/ks.cfg"
    isolinux = (tmp_path / "isolinux.cfg").read_text()
    assert "label azl-ks\n" in isolinux and f"rd.live.image quiet rhgb {ks}\n  menu default" in isolinux
    assert isolinux.count("menu default") == 1
    inner = subprocess.run(["mtype", "-i", str(tmp_path / "efi.img"), "::/EFI/BOOT/grub.cfg"], check=True,
                           capture_output=True, text=True).stdout
    for cfg in ((tmp_path / "grub.cfg").read_text(), inner):
        assert 'set default="azl-ks"' in cfg
        assert "menuentry 'Install Azure Linux with the embedded kickstart' --class fedora --class gnu-linux --id azl-ks {" in cfg
        assert f"rd.live.image quiet rhgb {ks}\n" in cfg
    assert "/images/efiboot.img (EFI image)" in stdout
