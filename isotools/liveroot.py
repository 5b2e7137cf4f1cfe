"""The live root inside a dmsquash ISO's LiveOS/squashfs.img, edited without mounting anything.

Three shapes occur:
- squashfs holding the root directly (Fedora 35-41): unsquashfs, add files, mksquashfs with the
  image's own compressor and block size;
- erofs holding the root directly (Fedora 42+): fsck.erofs --extract, add files, mkfs.erofs;
- squashfs holding LiveOS/rootfs.img, an ext4 image with the root (KIWI, older Fedora): the
  ext4 image is grown with resize2fs if needed and edited in place with debugfs (a script of
  mkdir/write/symlink/set_inode_field), then the squashfs around it is rebuilt. debugfs works on
  the image file as any user and leaves every other inode (owners, modes, SELinux xattrs)
  untouched, which a copy through an unprivileged extraction could not.

Extracting a squashfs or erofs root keeps owners, device nodes and security xattrs only as root;
as another user the extraction would silently lose them, so that is refused (fail closed) unless
the image's files are all owned by root and carry no xattrs.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

EROFS_MAGIC_OFFSET = 1024
EROFS_MAGIC = bytes.fromhex("e2e1f5e0")


class LiveRootError(RuntimeError):
    pass


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    proc = subprocess.run(cmd, check=False, **kw)
    if proc.returncode != 0:
        tail = ((proc.stdout or "") + (proc.stderr or ""))[-2000:]
        raise LiveRootError(f"{cmd[0]} failed ({proc.returncode}): {tail}")
    return proc


def image_kind(path: Path) -> str:
    with open(path, "rb") as f:
        head = f.read(EROFS_MAGIC_OFFSET + 4)
    if head[:4] == b"hsqs":
        return "squashfs"
    if head[EROFS_MAGIC_OFFSET:EROFS_MAGIC_OFFSET + 4] == EROFS_MAGIC:
        return "erofs"
    raise LiveRootError(f"{path.name}: neither squashfs nor erofs")


@dataclass
class SquashfsInfo:
    compression: str
    block_size: int
    xattrs: bool


def squashfs_info(path: Path) -> SquashfsInfo:
    out = run(["unsquashfs", "-s", str(path)]).stdout
    comp = re.search(r"Compression (\S+)", out)
    block = re.search(r"Block size (\d+)", out)
    if not comp or not block:
        raise LiveRootError(f"{path.name}: unsquashfs -s printed no compression/block size")
    xattrs = "Xattrs are stored" in out or re.search(r"Number of xattr ids \d*[1-9]", out) is not None
    return SquashfsInfo(comp.group(1), int(block.group(1)), bool(xattrs))


def squashfs_listing(path: Path) -> list[tuple[str, str, str]]:
    """(mode string, owner/group, path) for every entry, numeric owners."""
    rows = []
    for line in run(["unsquashfs", "-lln", "-d", "", str(path)]).stdout.splitlines():
        m = re.match(r"^([-dlcbps][-rwxsStT]{9})\s+(\d+/\d+)\s+.*?\d\d:\d\d\s(.*)$", line)
        if m:
            rows.append((m.group(1), m.group(2), m.group(3).split(" -> ")[0]))
    return rows


def erofs_extract_keeps_setuid(workdir: Path) -> bool:
    """Does fsck.erofs --extract --preserve keep a setuid bit? (Probed on a tiny image.)"""
    probe = workdir / "erofs-probe"
    (probe / "src").mkdir(parents=True)
    f = probe / "src" / "su"
    f.write_bytes(b"x")
    os.chmod(f, 0o4755)
    try:
        run(["mkfs.erofs", "--quiet", str(probe / "img"), str(probe / "src")])
        run(["fsck.erofs", f"--extract={probe / 'out'}", "--preserve", str(probe / "img")])
        return bool((probe / "out" / "su").stat().st_mode & stat.S_ISUID)
    finally:
        shutil.rmtree(probe)


class Root:
    """A live root being edited: what is in it (for choosing install paths) and how to add a tree."""

    def exists(self, path: str) -> bool:
        raise NotImplementedError

    def listdir(self, path: str) -> list[str]:
        raise NotImplementedError

    def add_tree(self, stage: Path) -> None:
        """Lay stage/ over the root: its directories merged, its files and links replacing what is there;
        everything added is owned by root."""
        raise NotImplementedError


class DirRoot(Root):
    def __init__(self, path: Path, epoch: int) -> None:
        self.path = path
        self.epoch = epoch

    def _p(self, path: str) -> Path:
        return self.path / path.lstrip("/")

    def exists(self, path: str) -> bool:
        return os.path.lexists(self._p(path))

    def listdir(self, path: str) -> list[str]:
        p = self._p(path)
        return sorted(os.listdir(p)) if p.is_dir() and not p.is_symlink() else []

    def add_tree(self, stage: Path) -> None:
        for src in sorted(stage.rglob("*")):
            rel = src.relative_to(stage)
            dst = self.path / rel
            if src.is_dir() and not src.is_symlink():
                if dst.is_symlink() or (dst.exists() and not dst.is_dir()):
                    raise LiveRootError(f"/{rel}: a directory in the payload, not one in the live root")
                if not dst.exists():
                    dst.mkdir()
                    os.chmod(dst, stat.S_IMODE(src.lstat().st_mode))
                    _chown_root(dst)
                continue
            if dst.is_dir() and not dst.is_symlink():
                raise LiveRootError(f"/{rel}: a directory in the live root, a file in the payload")
            if os.path.lexists(dst):
                dst.unlink()
            if src.is_symlink():
                dst.symlink_to(os.readlink(src))
            else:
                shutil.copy2(src, dst)
            _chown_root(dst)
        # Everything added, and the directories that changed by it, dated epoch.
        touched = set()
        for src in stage.rglob("*"):
            rel = src.relative_to(stage)
            touched.add(self.path / rel)
            touched.add(self.path / rel.parent)
        for p in sorted(touched, reverse=True):
            os.utime(p, (self.epoch, self.epoch), follow_symlinks=False)


def _chown_root(path: Path) -> None:
    if os.geteuid() == 0:
        os.lchown(path, 0, 0)


class Ext4Root(Root):
    """An ext4 image edited with debugfs (no mount, no privileges)."""

    def __init__(self, image: Path, epoch: int) -> None:
        self.image = image
        self.epoch = epoch

    def _debugfs(self, commands: list[str], write: bool = False) -> str:
        script = self.image.with_suffix(".debugfs")
        script.write_text("\n".join(commands) + "\n")
        try:
            return run(["debugfs", *(["-w"] if write else []), "-f", str(script), str(self.image)]).stdout
        finally:
            script.unlink()

    def _stat_many(self, paths: list[str]) -> dict[str, str | None]:
        """path -> 'dir' | 'file' | 'link' | other type word, or None when absent."""
        if not paths:
            return {}
        out = self._debugfs([f'stat "{p}"' for p in paths])
        found: dict[str, str | None] = {}
        sections = re.split(r"^debugfs: stat ", out, flags=re.MULTILINE)[1:]
        for path, section in zip(paths, sections):
            m = re.search(r"Type: (\w+)", section)
            found[path] = {"directory": "dir", "regular": "file", "symlink": "link"}.get(m.group(1), m.group(1)) if m else None
        return found

    def exists(self, path: str) -> bool:
        return self._stat_many([path])[path] is not None

    def listdir(self, path: str) -> list[str]:
        out = self._debugfs([f'ls -p "{path}"'])
        names = []
        for line in out.splitlines():
            parts = line.split("/")
            if len(parts) >= 7 and parts[5] not in ("", ".", ".."):
                names.append(parts[5])
        return sorted(names)

    def free_bytes(self) -> int:
        out = run(["dumpe2fs", "-h", str(self.image)]).stdout
        free = int(re.search(r"Free blocks:\s+(\d+)", out).group(1))
        block = int(re.search(r"Block size:\s+(\d+)", out).group(1))
        return free * block

    def _grow(self, need: int) -> None:
        if self.free_bytes() >= need:
            return
        run(["e2fsck", "-f", "-y", str(self.image)])
        size = self.image.stat().st_size
        new = (size + need + (64 << 20) + (1 << 20) - 1) // (1 << 20)
        run(["resize2fs", str(self.image), f"{new}M"])

    def add_tree(self, stage: Path) -> None:
        entries = sorted(stage.rglob("*"))
        rels = ["/" + e.relative_to(stage).as_posix() for e in entries]
        need = sum(e.lstat().st_size + 4096 for e in entries)
        self._grow(need * 2)
        have = self._stat_many(rels)
        cmds: list[str] = []
        for src, rel in zip(entries, rels):
            mode = stat.S_IMODE(src.lstat().st_mode)
            kind = "link" if src.is_symlink() else "dir" if src.is_dir() else "file"
            if kind == "dir":
                if have[rel] not in (None, "dir"):
                    raise LiveRootError(f"{rel}: a directory in the payload, a {have[rel]} in the live root")
                if have[rel] is None:
                    cmds += [f'mkdir "{rel}"', f'sif "{rel}" mode 0{stat.S_IFDIR | mode:o}']
                else:
                    continue
            else:
                if have[rel] == "dir":
                    raise LiveRootError(f"{rel}: a directory in the live root, a file in the payload")
                if have[rel] is not None:
                    cmds.append(f'rm "{rel}"')
                if kind == "link":
                    cmds.append(f'symlink "{rel}" "{os.readlink(src)}"')
                else:
                    cmds += [f'write "{src}" "{rel}"', f'sif "{rel}" mode 0{stat.S_IFREG | mode:o}']
            cmds += [f'sif "{rel}" uid 0', f'sif "{rel}" gid 0', f'sif "{rel}" mtime {self.epoch}']
        self._debugfs(cmds, write=True)
        # debugfs reports errors on stdout and exits 0: check that everything arrived.
        after = self._stat_many(rels)
        for src, rel in zip(entries, rels):
            want = "link" if src.is_symlink() else "dir" if src.is_dir() else "file"
            if after[rel] != want:
                raise LiveRootError(f"debugfs did not create {rel} ({after[rel]})")
        run(["e2fsck", "-f", "-n", str(self.image)])


@dataclass
class LiveImage:
    """LiveOS/squashfs.img unpacked for editing; rebuild() writes the new image."""

    kind: str  # squashfs | erofs | squashfs+ext4
    workdir: Path
    root: Root
    info: SquashfsInfo | None

    @classmethod
    def open(cls, image: Path, workdir: Path, epoch: int) -> LiveImage:
        kind = image_kind(image)
        workdir.mkdir(parents=True, exist_ok=True)
        if kind == "erofs":
            if os.geteuid() != 0:
                raise LiveRootError("an erofs live root keeps its owners and xattrs only when extracted as root")
            if not erofs_extract_keeps_setuid(workdir):
                raise LiveRootError("this fsck.erofs clears setuid/setgid bits when it extracts (erofs-utils 1.5 "
                                    "does): the remastered root would lose them; use a newer erofs-utils")
            tree = workdir / "root"
            run(["fsck.erofs", f"--extract={tree}", "--preserve", str(image)])
            return cls("erofs", workdir, DirRoot(tree, epoch), None)
        info = squashfs_info(image)
        listing = squashfs_listing(image)
        names = {p for _, _, p in listing}
        tree = workdir / "squashfs-root"
        if "/LiveOS/rootfs.img" in names and len(names) <= 3:
            run(["unsquashfs", "-no-progress", "-d", str(tree), str(image)])
            return cls("squashfs+ext4", workdir, Ext4Root(tree / "LiveOS" / "rootfs.img", epoch), info)
        if os.geteuid() != 0:
            others = [p for m, o, p in listing if o != "0/0" or m[0] in "cbps"]
            if others or info.xattrs:
                raise LiveRootError("the live root has files not owned by root, device nodes or xattrs "
                                    f"({len(others)} entries, xattrs {info.xattrs}): run as root to keep them")
        run(["unsquashfs", "-no-progress", "-d", str(tree), str(image)])
        return cls("squashfs", workdir, DirRoot(tree, epoch), info)

    def rebuild(self, out: Path, epoch: int) -> None:
        env = {**os.environ, "SOURCE_DATE_EPOCH": str(epoch)}
        if self.kind == "erofs":
            run(["mkfs.erofs", "-zlz4hc", "--preserve-mtime", "--quiet", str(out), str(self.root.path)], env=env)
            return
        assert self.info is not None
        src = self.workdir / "squashfs-root"
        opts = ["-comp", self.info.compression, "-b", str(self.info.block_size), "-noappend", "-no-progress",
                "-quiet"]
        if self.kind == "squashfs" and os.geteuid() != 0:
            opts.append("-all-root")  # open() checked that every original entry is root's
        run(["mksquashfs", str(src), str(out), *opts], env=env)


def sitelib_for(root: Root) -> tuple[str, str]:
    """(site directory, bin directory) where a package not managed by the root's own package manager
    belongs: Fedora/Azure Linux /usr/lib/python3.X/site-packages and /usr/bin; Debian's python
    reads /usr/local/lib/python3.X/dist-packages for that, with /usr/local/bin."""
    versions = sorted((n for n in root.listdir("/usr/lib") if re.fullmatch(r"python3\.\d+", n)),
                      key=lambda n: int(n.split(".")[1]))
    versions = [v for v in versions if root.exists(f"/usr/lib/{v}/os.py") or root.exists(f"/usr/lib/{v}/encodings")]
    if not versions:
        raise LiveRootError("the live root has no Python 3 (/usr/lib/python3.X): the installer cannot run in it")
    ver = versions[-1]
    if root.exists("/usr/lib/python3/dist-packages"):
        return f"/usr/local/lib/{ver}/dist-packages", "/usr/local/bin"
    return f"/usr/lib/{ver}/site-packages", "/usr/bin"


def installed_distributions(root: Root) -> set[str]:
    """Normalised names of the Python distributions the root already has (any of its site dirs)."""
    names = set()
    for d in python_dirs(root):
        for n in root.listdir(d):
            m = re.match(r"^(.+?)-\d[^/]*\.(dist-info|egg-info)$", n)
            if m:
                names.add(re.sub(r"[-_.]+", "_", m.group(1)).lower())
    return names


def python_dirs(root: Root) -> list[str]:
    dirs = ["/usr/lib/python3/dist-packages"]
    for base in ("/usr/lib", "/usr/local/lib", "/usr/lib64"):
        for v in root.listdir(base):
            if re.fullmatch(r"python3\.\d+", v):
                dirs += [f"{base}/{v}", f"{base}/{v}/site-packages", f"{base}/{v}/dist-packages"]
    return dirs


def has_module(root: Root, name: str) -> bool:
    return any(root.exists(f"{d}/{name}") or root.exists(f"{d}/{name}.py") for d in python_dirs(root))
