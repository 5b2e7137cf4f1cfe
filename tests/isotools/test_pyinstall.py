"""The tree installer takes the packages of a checkout, and walks nothing else: build/ may hold a
chroot with /proc mounted while another build runs (a walk there failed a CI run)."""
from pathlib import Path

from isotools import pyinstall


def test_only_top_level_packages_are_walked(tmp_path):
    src = tmp_path / "src"
    (src / "installer" / "sub").mkdir(parents=True)
    (src / "installer" / "__init__.py").write_text("")
    (src / "installer" / "sub" / "__init__.py").write_text("")
    (src / "build" / "lib" / "stale").mkdir(parents=True)          # not a package: no __init__.py above it
    (src / "build" / "lib" / "stale" / "__init__.py").write_text("")
    (src / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "1"\n')
    root = tmp_path / "root"
    pyinstall.install_tree(src, root, "/usr/lib/python3/site-packages", "/usr/bin")
    site = root / "usr/lib/python3/site-packages"
    assert (site / "installer" / "sub" / "__init__.py").is_file()
    assert not (site / "build").exists() and not (site / "stale").exists()
    assert sorted(p.name for p in site.iterdir() if p.is_dir() and not p.name.endswith("-info")) == ["installer"]
