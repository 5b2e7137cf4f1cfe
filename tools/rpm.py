#!/usr/bin/env python3
"""Build the RPMs from this tree: azl-install (+ -live, -iso) and python3-textual-bundled.

    python3 tools/rpm.py build [--out build/rpms] [--topdir DIR] [--wheels build/wheels]
    python3 tools/rpm.py sdist [--out DIR]

The source tarball holds what the package needs (pyproject.toml, README.md, installer/,
screens/, isotools/, iso-overlay/, packaging/) and never tests/ or build outputs; it is
reproducible (sorted, fixed mtimes and owners). The textual wheel comes from build/wheels
(the harness's cache) or, when missing, `pip download` from PyPI. On hosts whose rpm
database does not hold the build dependencies (Debian) rpmbuild runs with --nodeps.
"""

from __future__ import annotations

import argparse
import gzip
import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SDIST_PATHS = ("pyproject.toml", "README.md", "installer", "screens", "isotools", "iso-overlay", "packaging")
TEXTUAL_SPEC = ">=8.2.5,<9"
EPOCH = int(os.environ.get("SOURCE_DATE_EPOCH", "1767225600"))  # 2026-01-01


def version() -> str:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def sdist_files() -> list[str]:
    """Tracked and new (not ignored) files of the package paths, never caches or build outputs."""
    try:
        out = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-co", "--exclude-standard", "--", *SDIST_PATHS],
                             check=True, capture_output=True, text=True).stdout.split("\n")
        files = [f for f in out if f and (ROOT / f).exists()]
    except (OSError, subprocess.CalledProcessError):
        files = [p.relative_to(ROOT).as_posix() for top in SDIST_PATHS for p in
                 ([ROOT / top] if (ROOT / top).is_file() else (ROOT / top).rglob("*"))
                 if not p.is_dir() or p.is_symlink()]
    return sorted(f for f in files if "__pycache__" not in f and not f.endswith(".pyc"))


def sdist(out: Path) -> Path:
    name = f"azl-install-{version()}"
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"{name}.tar.gz"
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for rel in sdist_files():
            info = tar.gettarinfo(str(ROOT / rel), arcname=f"{name}/{rel}")
            info.mtime, info.uid, info.gid, info.uname, info.gname = EPOCH, 0, 0, "root", "root"
            if info.isfile():
                with open(ROOT / rel, "rb") as f:
                    tar.addfile(info, f)
            else:
                tar.addfile(info)
    with open(target, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=EPOCH, filename="") as gz:
        gz.write(buf.getvalue())
    return target


def _version_key(v: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", v))


def textual_wheel(cache: Path) -> Path:
    def pick() -> Path | None:
        found = []
        for w in cache.glob("textual-*-py3-none-any.whl"):
            v = w.name.split("-")[1]
            if (8, 2, 5) <= _version_key(v) < (9,):
                found.append((_version_key(v), w))
        return max(found)[1] if found else None

    wheel = pick() if cache.is_dir() else None
    if wheel is None:
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary", ":all:",
                        "-d", str(cache), f"textual{TEXTUAL_SPEC}"], check=True)
        wheel = pick()
        if wheel is None:
            raise SystemExit(f"no textual{TEXTUAL_SPEC} wheel in {cache}")
    return wheel


def host_has_rpmdb_deps() -> bool:
    """Is this an RPM-based host (its rpm database can satisfy BuildRequires)?"""
    return subprocess.run(["rpm", "-q", "--quiet", "rpm"], capture_output=True, check=False).returncode == 0


def rpmbuild(spec: Path, topdir: Path, defines: dict[str, str]) -> list[Path]:
    before = set((topdir / "RPMS").rglob("*.rpm"))
    cmd = ["rpmbuild", "-bb", "--define", f"_topdir {topdir}"]
    for k, v in defines.items():
        cmd += ["--define", f"{k} {v}"]
    if not host_has_rpmdb_deps():
        cmd.append("--nodeps")
    env = dict(os.environ, SOURCE_DATE_EPOCH=str(EPOCH))
    proc = subprocess.run([*cmd, str(spec)], capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        raise SystemExit(f"rpmbuild {spec.name} failed ({proc.returncode})")
    return sorted(set((topdir / "RPMS").rglob("*.rpm")) - before)


def build(out: Path, topdir: Path | None, wheels: Path) -> list[Path]:
    with tempfile.TemporaryDirectory(prefix="azl-rpm-") as tmp:
        top = topdir or Path(tmp)
        for d in ("SOURCES", "SPECS", "BUILD", "RPMS", "SRPMS", "BUILDROOT"):
            (top / d).mkdir(parents=True, exist_ok=True)
        sdist(top / "SOURCES")
        wheel = textual_wheel(wheels)
        shutil.copy2(wheel, top / "SOURCES" / wheel.name)
        shutil.copy2(ROOT / "isotools" / "pyinstall.py", top / "SOURCES" / "pyinstall.py")
        rpms = rpmbuild(ROOT / "packaging" / "azl-install.spec", top, {"version_override": version()})
        rpms += rpmbuild(ROOT / "packaging" / "python3-textual-bundled.spec", top,
                         {"textual_version": wheel.name.split("-")[1]})
        out.mkdir(parents=True, exist_ok=True)
        result = []
        for r in rpms:
            shutil.copy2(r, out / r.name)
            result.append(out / r.name)
        return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="build all RPMs")
    b.add_argument("--out", type=Path, default=ROOT / "build" / "rpms")
    b.add_argument("--topdir", type=Path, help="rpmbuild _topdir (default: a temporary directory)")
    b.add_argument("--wheels", type=Path, default=ROOT / "build" / "wheels")
    s = sub.add_parser("sdist", help="write the source tarball")
    s.add_argument("--out", type=Path, default=ROOT / "build")
    a = ap.parse_args(argv)
    if a.cmd == "sdist":
        print(sdist(a.out))
    else:
        for rpm in build(a.out, a.topdir, a.wheels):
            print(rpm)
    return 0


if __name__ == "__main__":
    sys.exit(main())
