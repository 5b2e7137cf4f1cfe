"""Install a Python project or wheels into a root directory with the standard library only.

Used where neither pip nor `python3 -m installer` may be assumed: the RPM spec's %install on
hosts without the pyproject macros (Debian's rpmbuild), and the remastering of a live root
that is not the running system. It does what an installer does for pure-Python projects:
copies the modules, writes a .dist-info (METADATA, entry_points.txt, INSTALLER, RECORD) and
console-script launchers. Runnable as a file (`python3 isotools/pyinstall.py ...`) so a
spec can call it from an unpacked source tree.

    pyinstall.py tree SRC --root R --sitelib /usr/lib/python3.X/site-packages --bindir /usr/bin
    pyinstall.py wheel W.whl... --root R --sitelib ... --bindir ...
"""

from __future__ import annotations

import argparse
import base64
import configparser
import csv
import fnmatch
import hashlib
import io
import os
import re
import sys
import tomllib
import zipfile
from pathlib import Path, PurePosixPath

SCRIPT = """#!{python}
import sys
from {module} import {attr}
if __name__ == "__main__":
    sys.exit({call}())
"""


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


class _Writer:
    """Writes files below root, remembering RECORD rows relative to the site directory."""

    def __init__(self, root: Path, sitelib: str, bindir: str) -> None:
        self.root = root
        self.site = PurePosixPath(sitelib)
        self.bindir = PurePosixPath(bindir)
        self.rows: list[tuple[str, str, str]] = []

    def write(self, dest: PurePosixPath, data: bytes, mode: int = 0o644) -> None:
        target = self.root / str(dest).lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        target.chmod(mode)
        rel = os.path.relpath(str(dest), str(self.site))
        self.rows.append((rel, _record_hash(data), str(len(data))))

    def scripts(self, entry_points: str, python: str) -> list[str]:
        parser = configparser.ConfigParser(delimiters=("=",))
        parser.optionxform = str  # type: ignore[assignment]
        parser.read_string(entry_points)
        names = []
        if parser.has_section("console_scripts"):
            for name, ref in parser.items("console_scripts"):
                module, _, attr = ref.strip().partition(":")
                head = attr.split(".")[0]
                text = SCRIPT.format(python=python, module=module.strip(), attr=head, call=attr.strip())
                self.write(self.bindir / name, text.encode(), 0o755)
                names.append(name)
        return names

    def finish(self, distinfo: PurePosixPath) -> None:
        self.write(distinfo / "INSTALLER", b"azl-pyinstall\n")
        buf = io.StringIO()
        out = csv.writer(buf, lineterminator="\n")
        for row in self.rows:
            out.writerow(row)
        out.writerow((os.path.relpath(str(distinfo / "RECORD"), str(self.site)), "", ""))
        target = self.root / str(distinfo / "RECORD").lstrip("/")
        target.write_text(buf.getvalue())
        target.chmod(0o644)


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def install_tree(src: Path, root: Path, sitelib: str, bindir: str, python: str = "/usr/bin/python3",
                 only: tuple[str, ...] | None = None) -> list[str]:
    """Install the pure-Python project at src (its pyproject.toml, setuptools layout) below root;
    `only` limits it to these top-level packages and the console scripts that live in them."""
    meta = tomllib.loads((src / "pyproject.toml").read_text())
    project = meta["project"]
    tool = meta.get("tool", {}).get("setuptools", {})
    include = tool.get("packages", {}).get("find", {}).get("include", ["*"])
    package_data: dict[str, list[str]] = tool.get("package-data", {})
    w = _Writer(root, sitelib, bindir)
    site = PurePosixPath(sitelib)
    # Only below top-level packages: the rest of a checkout (build/ with a chroot's /proc mounted
    # while another build runs, .venv) is neither wanted nor safe to walk.
    tops = [d for d in sorted(src.iterdir())
            if d.is_dir() and not d.name.startswith(".") and (d / "__init__.py").is_file()
            and (only is None or d.name in only)]
    packages = sorted(
        ".".join(p.parent.relative_to(src).parts)
        for top in tops for p in top.rglob("__init__.py")
        if not any(part.startswith(".") for part in p.relative_to(src).parts)
    )
    packages = [p for p in packages if any(fnmatch.fnmatchcase(p, pat) for pat in include)
                and (only is None or p.split(".")[0] in only)]
    for package in packages:
        pdir = src.joinpath(*package.split("."))
        patterns = package_data.get(package, []) + package_data.get("*", [])
        for f in sorted(pdir.iterdir()):
            if not f.is_file():
                continue
            rel = f.relative_to(pdir).as_posix()
            if f.suffix == ".py" or any(fnmatch.fnmatchcase(rel, pat) for pat in patterns):
                w.write(site.joinpath(*package.split("."), f.name), f.read_bytes())
        for pat in patterns:  # data in subfolders of a package ("data/*.toml")
            if "/" in pat:
                for f in sorted(pdir.glob(pat)):
                    if f.is_file():
                        w.write(site.joinpath(*package.split("."), *f.relative_to(pdir).parts), f.read_bytes())
    distinfo = site / f"{_normalize(project['name'])}-{project['version']}.dist-info"
    lines = ["Metadata-Version: 2.1", f"Name: {project['name']}", f"Version: {project['version']}"]
    if "description" in project:
        lines.append(f"Summary: {project['description']}")
    if "requires-python" in project:
        lines.append(f"Requires-Python: {project['requires-python']}")
    lines += [f"Requires-Dist: {d}" for d in project.get("dependencies", [])]
    w.write(distinfo / "METADATA", ("\n".join(lines) + "\n").encode())
    top = sorted({p.split(".")[0] for p in packages})
    w.write(distinfo / "top_level.txt", ("\n".join(top) + "\n").encode())
    scripts = {k: v for k, v in project.get("scripts", {}).items() if only is None or v.split(".")[0] in only}
    if scripts:
        ep = "[console_scripts]\n" + "".join(f"{k} = {v}\n" for k, v in scripts.items())
        w.write(distinfo / "entry_points.txt", ep.encode())
        w.scripts(ep, python)
    w.finish(distinfo)
    return packages


def install_wheel(wheel: Path, root: Path, sitelib: str, bindir: str, python: str = "/usr/bin/python3",
                  platlib: bool = False) -> str:
    """Install one wheel below root (pure Python unless platlib: the caller checked its tags); returns its name."""
    w = _Writer(root, sitelib, bindir)
    site = PurePosixPath(sitelib)
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        distinfo = next(n.split("/")[0] for n in names if n.split("/")[0].endswith(".dist-info"))
        wheelmeta = z.read(f"{distinfo}/WHEEL").decode()
        if "Root-Is-Purelib: true" not in wheelmeta and not platlib:
            raise SystemExit(f"{wheel.name}: not a pure-Python wheel")
        for info in z.infolist():
            name = info.filename
            if name.endswith("/"):
                continue
            parts = PurePosixPath(name).parts
            if any(p in ("..", "") for p in parts) or name.startswith("/"):
                raise SystemExit(f"{wheel.name}: unsafe path {name!r}")
            if name in (f"{distinfo}/RECORD", f"{distinfo}/INSTALLER"):
                continue
            if parts[0].endswith(".data"):
                kind = parts[1]
                if kind in ("purelib", "platlib"):
                    w.write(site.joinpath(*parts[2:]), z.read(info))
                elif kind == "scripts":
                    data = z.read(info)
                    if re.match(rb"#!python[w]?\b", data):
                        data = f"#!{python}".encode() + data.split(b"\n", 1)[0][len(b"#!python"):].lstrip(b"w") \
                            + b"\n" + (data.split(b"\n", 1)[1] if b"\n" in data else b"")
                    w.write(w.bindir.joinpath(*parts[2:]), data, 0o755)
                elif kind == "data":  # relative to the installation prefix (/usr for /usr/bin)
                    w.write(w.bindir.parent.joinpath(*parts[2:]), z.read(info))
                else:
                    raise SystemExit(f"{wheel.name}: unsupported data kind {kind!r}")
                continue
            w.write(site / name, z.read(info))
        if f"{distinfo}/entry_points.txt" in names:
            w.scripts(z.read(f"{distinfo}/entry_points.txt").decode(), python)
    w.finish(site / distinfo)
    return distinfo.rsplit("-", 1)[0]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="pyinstall", description=__doc__.split("\n\n")[0])
    ap.add_argument("kind", choices=("tree", "wheel"))
    ap.add_argument("paths", nargs="+", type=Path)
    ap.add_argument("--root", type=Path, required=True)
    ap.add_argument("--sitelib", required=True)
    ap.add_argument("--bindir", default="/usr/bin")
    ap.add_argument("--python", default="/usr/bin/python3", help="interpreter named in launcher scripts")
    a = ap.parse_args(argv)
    for p in a.paths:
        if a.kind == "tree":
            install_tree(p, a.root, a.sitelib, a.bindir, a.python)
        else:
            install_wheel(p, a.root, a.sitelib, a.bindir, a.python)
    return 0


if __name__ == "__main__":
    sys.exit(main())
