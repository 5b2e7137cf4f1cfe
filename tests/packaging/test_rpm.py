"""The RPMs build here with rpmbuild (tools/rpm.py, into a temporary _topdir) and hold what
the distribution needs: the installer's modules and data, the /usr/bin entry points, the live
overlay in its own subpackage, textual in the bundled package, the right Requires/Provides,
and nothing of tests/ or the build machine. The installed files run."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from tests.conftest import have

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import rpm as rpmtool  # tools/rpm.py

pytestmark = [pytest.mark.host, pytest.mark.slow,
              pytest.mark.skipif(not have("rpmbuild"), reason="rpmbuild not installed (Debian: rpm)")]

VERSION = rpmtool.version()


@pytest.fixture(scope="module")
def rpms(tmp_path_factory) -> dict[str, Path]:
    top = tmp_path_factory.mktemp("topdir")
    out = tmp_path_factory.mktemp("rpms")
    built = rpmtool.build(out, top, ROOT / "build" / "wheels")
    by_name = {}
    for path in built:
        name = subprocess.run(["rpm", "-qp", "--qf", "%{NAME}", str(path)], check=True,
                              capture_output=True, text=True).stdout
        by_name[name] = path
    by_name["_topdir"] = top
    return by_name


def q(path: Path, *args: str) -> list[str]:
    out = subprocess.run(["rpm", "-qp", *args, str(path)], check=True, capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if line]


def extract(path: Path, dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    cpio = subprocess.run(["rpm2cpio", str(path)], check=True, capture_output=True).stdout
    subprocess.run(["cpio", "-idm", "--quiet"], input=cpio, cwd=dest, check=True)


def sitelib(files: list[str]) -> str:
    found = {m.group(0) for f in files if (m := re.match(r"/usr/lib/python3\.\d+/site-packages", f))}
    assert len(found) == 1, found
    return found.pop()


def test_all_packages_built(rpms):
    assert {"azl-install", "azl-install-live", "azl-install-iso", "python3-textual-bundled"} <= rpms.keys()
    assert q(rpms["azl-install"], "--qf", "%{VERSION} %{ARCH}") == [f"{VERSION} noarch"]


def test_installer_files(rpms):
    files = q(rpms["azl-install"], "-l")
    site = sitelib(files)
    tracked = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-co", "--exclude-standard", "installer", "screens"],
                             check=True, capture_output=True, text=True).stdout.split()
    want = {f"{site}/{f}" for f in tracked if f.endswith((".py", ".toml", ".tcss")) and (ROOT / f).exists()}
    assert want, "no installer modules found in the tree"
    missing = want - set(files)
    assert not missing, sorted(missing)[:10]
    assert "/usr/bin/azl-install" in files
    assert f"{site}/azl_install-{VERSION}.dist-info/entry_points.txt" in files
    assert not [f for f in files if "/tests/" in f or "/isotools/" in f or f.endswith(".pyc")]
    assert not [f for f in files if "iso-overlay" in f or f.startswith("/etc/")]


def test_installer_requires_the_distribution_packages(rpms):
    req = q(rpms["azl-install"], "--requires")
    names = {r.split()[0] for r in req}
    for dep in ("python3-blivet", "python3-kickstart", "python3-pyudev", "python3-pyyaml", "python3-rich",
                "python3dist(textual)",
                "dnf", "rpm"):
        assert dep in names, (dep, req)
    assert "python3dist(textual) >= 8.2.5" in req
    assert f"azl-install = {VERSION}-1" in q(rpms["azl-install"], "--provides")


def test_textual_package_satisfies_the_installer(rpms):
    files = q(rpms["python3-textual-bundled"], "-l")
    site = sitelib(files)
    assert f"{site}/textual/__init__.py" in files and f"{site}/textual/app.py" in files
    provides = q(rpms["python3-textual-bundled"], "--provides")
    version = next(p.split(" = ")[1] for p in provides if p.startswith("python3dist(textual) = "))
    assert tuple(map(int, version.split("."))) >= (8, 2, 5)
    req = {r.split()[0] for r in q(rpms["python3-textual-bundled"], "--requires")}
    assert {"python3dist(rich)", "python3dist(markdown-it-py)", "python3dist(platformdirs)"} <= req
    # Only textual is carried: the dependencies the distribution packages are not duplicated.
    assert not [f for f in files if f.startswith(f"{site}/") and f.split("/")[5].split("-")[0] not in ("textual",)]


def test_live_subpackage_is_the_overlay(rpms):
    files = set(q(rpms["azl-install-live"], "-l"))
    overlay = ROOT / "iso-overlay"
    want = {"/" + p.relative_to(overlay).as_posix() for p in overlay.rglob("*")
            if not p.is_dir() and p.name != "README.md"}
    assert want and want <= files, sorted(want - files)
    assert f"azl-install = {VERSION}-1" in q(rpms["azl-install-live"], "--requires")
    modes = dict(line.split(" ", 1)[::-1] for line in q(rpms["azl-install-live"], "--qf",
                                                        "[%{FILEMODES:perms} %{FILENAMES}\n]"))
    assert modes["/usr/libexec/azl-install/console-start"].startswith("-rwxr-xr-x")
    assert modes["/usr/lib/systemd/system-generators/azl-install-generator"].startswith("-rwxr-xr-x")
    assert modes["/etc/systemd/system/multi-user.target.wants/azl-install-shell.service"].startswith("l")


def test_iso_subpackage(rpms):
    files = q(rpms["azl-install-iso"], "-l")
    assert "/usr/bin/azl-install-iso" in files
    assert f"{sitelib(files)}/isotools/__init__.py" in files
    assert {"xorriso", "squashfs-tools"} <= {r.split()[0] for r in q(rpms["azl-install-iso"], "--requires")}


def test_no_build_paths_in_any_file(rpms, tmp_path):
    top = str(rpms["_topdir"])
    for name in ("azl-install", "azl-install-live", "azl-install-iso", "python3-textual-bundled"):
        dest = tmp_path / name
        extract(rpms[name], dest)
        for f in dest.rglob("*"):
            if f.is_file() and not f.is_symlink():
                data = f.read_bytes()
                for bad in (top, str(ROOT), "BUILDROOT"):
                    assert bad.encode() not in data, (name, f.relative_to(dest), bad)


def test_installed_files_run(rpms, tmp_path):
    """The packaged launcher and modules (not the tree's) validate a sample kickstart."""
    root = tmp_path / "root"
    for name in ("azl-install", "python3-textual-bundled"):
        extract(rpms[name], root)
    site = root / sitelib(q(rpms["azl-install"], "-l")).lstrip("/")
    env = dict(os.environ, PYTHONPATH=str(site), PYTHONDONTWRITEBYTECODE="1")
    script = root / "usr/bin/azl-install"
    assert script.read_text().startswith("#!/usr/bin/python3\n")
    out = subprocess.run([sys.executable, str(script), "validate", str(ROOT / "kickstarts" / "minimal.ks")],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 0, out.stdout + out.stderr
    where = subprocess.run([sys.executable, "-c", "import installer, textual; print(installer.__file__, textual.__file__)"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, check=True).stdout.split()
    assert all(p.startswith(str(site)) for p in where), where


def test_source_tarball_has_no_tests_and_is_reproducible(tmp_path):
    a = rpmtool.sdist(tmp_path / "a")
    b = rpmtool.sdist(tmp_path / "b")
    assert a.read_bytes() == b.read_bytes()
    with tarfile.open(a) as tar:
        names = tar.getnames()
    prefix = f"azl-install-{VERSION}/"
    assert all(n.startswith(prefix) for n in names)
    rel = [n[len(prefix):] for n in names]
    assert "pyproject.toml" in rel and "installer/cli.py" in rel and "packaging/azl-install.spec" in rel
    assert not [n for n in rel if n.startswith(("tests/", "build/", ".venv/")) or "__pycache__" in n]


def test_spec_uses_the_pyproject_macros_on_azure_linux():
    """With the distribution's macros (Azure Linux defines %azl) the spec takes the pyproject path."""
    if not have("rpmspec"):
        pytest.skip("rpmspec not installed")
    spec = str(ROOT / "packaging" / "azl-install.spec")
    azl = subprocess.run(["rpmspec", "-P", "--define", "azl 4", spec], check=True, capture_output=True, text=True).stdout
    here = subprocess.run(["rpmspec", "-P", spec], check=True, capture_output=True, text=True).stdout
    assert "pyproject-rpm-macros" in azl and "%pyproject_install" in azl
    assert "isotools/pyinstall.py tree" not in azl
    assert "pyproject-rpm-macros" not in here and "isotools/pyinstall.py tree" in here
