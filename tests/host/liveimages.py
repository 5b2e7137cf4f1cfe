"""Builders for liveimg test images: a small root tree with everything extraction must
keep (owners, modes, setuid, hardlinks, symlinks, sparse files, ACLs, xattrs, SELinux
labels), packed as tar (plain, gz, xz, zst, bz2) and squashfs. Used by tests and bench."""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
from pathlib import Path

COMPRESSORS = {"tar": None, "tar.gz": ["gzip", "-1", "-c"], "tar.xz": ["xz", "-0", "-T0", "-c"],
               "tar.zst": ["zstd", "-q", "-1", "-c"], "tar.bz2": ["bzip2", "-1", "-c"]}
SELINUX_LABEL = b"system_u:object_r:etc_t:s0"


def selinux_settable(path: Path) -> bool:
    probe = path / ".selinux-probe"
    probe.write_text("")
    try:
        os.setxattr(probe, "security.selinux", SELINUX_LABEL)
        return os.getxattr(probe, "security.selinux").rstrip(b"\0") == SELINUX_LABEL
    except OSError:
        return False
    finally:
        probe.unlink()


def make_tree(root: Path, *, bulk_bytes: int = 0, files: int = 0) -> dict[str, bool]:
    """A tree to extract; bulk_bytes/files add compressible data for benchmarks."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "etc").mkdir()
    (root / "etc/os-release").write_text("ID=azltest\n")
    (root / "etc/shadow").write_text("root:!:1::::::\n")
    os.chmod(root / "etc/shadow", 0o000)
    (root / "srv/private").mkdir(parents=True)
    os.chown(root / "srv/private", 1001, 1002)
    os.chmod(root / "srv/private", 0o750)
    (root / "srv/private/owned").write_text("mine\n")
    os.chown(root / "srv/private/owned", 1001, 1002)
    (root / "usr/bin").mkdir(parents=True)
    (root / "usr/bin/su").write_bytes(b"\x7fELF fake setuid\n")
    os.chmod(root / "usr/bin/su", 0o4755)
    (root / "usr/bin/sticky").mkdir()
    os.chmod(root / "usr/bin/sticky", 0o1777)
    (root / "usr/bin/one").write_text("same inode\n")
    os.link(root / "usr/bin/one", root / "usr/bin/two")
    os.symlink("one", root / "usr/bin/link")
    os.symlink("usr/bin", root / "bin")
    with open(root / "usr/sparse.img", "wb") as fh:
        fh.truncate(64 << 20)
        fh.seek(32 << 20)
        fh.write(b"middle")
    (root / "empty").mkdir()
    os.mkfifo(root / "usr/fifo")
    os.setxattr(root / "usr/bin/one", "user.azl", b"xattr value")
    subprocess.run(["setfacl", "-m", "u:1234:rw", str(root / "etc/os-release")], check=True)
    features = {"selinux": selinux_settable(root)}
    if features["selinux"]:
        os.setxattr(root / "etc/os-release", "security.selinux", SELINUX_LABEL)
    if bulk_bytes:
        # about as compressible as an OS image (~2.5:1): half text, half random bytes
        bulk = root / "usr/share/bulk"
        bulk.mkdir(parents=True)
        n = max(files, 1)
        text = b"".join(hashlib.sha256(str(i).encode()).hexdigest().encode() + b"\n" for i in range(4096))
        each = bulk_bytes // n
        for i in range(n):
            with open(bulk / f"f{i:05d}", "wb") as fh:
                left = each
                while left > 0:
                    chunk = min(left, 64 << 10)
                    fh.write(os.urandom(chunk // 2) + text[i % 1024:i % 1024 + chunk - chunk // 2])
                    left -= chunk
    return features


def make_images(tree: Path, out: Path) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    plain = out / "root.tar"
    subprocess.run(["tar", "--sparse", "--numeric-owner", "--xattrs", "--xattrs-include=*", "--acls",
                    "--selinux", "-C", str(tree), "-cf", str(plain), "."], check=True)
    images = {"tar": plain}
    for ext, cmd in COMPRESSORS.items():
        if cmd is None:
            continue
        dst = out / f"root.{ext}"
        with open(plain, "rb") as src, open(dst, "wb") as fh:
            subprocess.run(cmd, stdin=src, stdout=fh, check=True)
        images[ext] = dst
    sq = out / "root.squashfs"
    subprocess.run(["mksquashfs", str(tree), str(sq), "-noappend", "-quiet", "-no-progress",
                    "-comp", "zstd", "-xattrs"], check=True, stdout=subprocess.DEVNULL)
    images["squashfs"] = sq
    return images


def snapshot(root: Path, *, acls: bool = True) -> dict[str, tuple]:
    """Everything extraction must preserve, per path (hardlinks as groups of paths)."""
    out: dict[str, tuple] = {}
    inodes: dict[int, list[str]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            rel = str(p.relative_to(root))
            st = p.lstat()
            xattrs = {}
            if not stat.S_ISLNK(st.st_mode):
                for k in sorted(os.listxattr(p, follow_symlinks=False)):
                    if k.startswith("system.posix_acl") and not acls:
                        continue
                    xattrs[k] = os.getxattr(p, k, follow_symlinks=False).rstrip(b"\0")
            content = None
            if stat.S_ISREG(st.st_mode):
                content = hashlib.sha256(p.read_bytes()).hexdigest()
                if st.st_nlink > 1:
                    inodes.setdefault(st.st_ino, []).append(rel)
            elif stat.S_ISLNK(st.st_mode):
                content = os.readlink(p)
            out[rel] = (stat.S_IMODE(st.st_mode), stat.S_IFMT(st.st_mode), st.st_uid, st.st_gid,
                        content, tuple(sorted(xattrs.items())))
    out["<hardlinks>"] = tuple(sorted(tuple(sorted(v)) for v in inodes.values()))
    return out
