"""Session fixtures for the host tier: signed test repositories built with rpmbuild, gpg,
rpmsign and createrepo_c, an HTTP server on 127.0.0.1, and a test product naming them."""

from __future__ import annotations

import dataclasses
import functools
import http.server
import os
import shutil
import subprocess
import threading
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

from installer.model.product import Product, product_from_dict

from tests.host import rpmrepo
from tests.host.rpmrepo import Pkg

HERE = Path(__file__).parent
TOOLS = ("rpmbuild", "rpmsign", "createrepo_c", "gpg", "dnf", "rpm")

PACKAGES = [
    Pkg("t-core", docs={"README": "core docs\n"}),
    Pkg("t-app", requires=["t-lib"], recommends=["t-weak"], docs={"README": "app docs\n"},
        files={"/usr/bin/t-app": "#!/bin/sh\necho app\n"}),
    Pkg("t-lib", provides=["t-lib-api = 2"]),
    Pkg("t-weak"),
    Pkg("t-tool", requires=["t-lib-api >= 2"]),
    Pkg("t-extra"),
    Pkg("t-grp-mand"),
    Pkg("t-grp-def"),
    Pkg("t-grp-opt"),
    Pkg("t-other-mand"),
    Pkg("t-lang", lang_files={"fr": "fr", "de": "de"}),
    Pkg("t-big", random_bytes=3 << 20),
    Pkg("t-broken", requires=["t-nonexistent"]),
]
UNSIGNED = [Pkg("t-unsigned")]
OTHER_KEY = [Pkg("t-otherkey")]
COMPS = rpmrepo.comps_xml(
    {"tgroup": [("t-grp-mand", "mandatory"), ("t-grp-def", "default"), ("t-grp-opt", "optional")],
     "tother": [("t-other-mand", "mandatory")]},
    {"tenv": ["tgroup", "tother"]})


@dataclass
class Repos:
    root: Path  # everything below is served over HTTP too
    key: Path  # trusted public key
    other_key: Path  # a key the product does not trust
    plain: Path  # signed, no comps
    comps: Path  # signed, with comps
    unsigned: Path  # t-unsigned among signed packages
    otherkey: Path  # t-otherkey signed with the untrusted key
    tampered: Path  # t-extra altered after signing

    def url(self, repo: Path, base: str | None = None) -> str:
        return f"{base}/{repo.relative_to(self.root)}" if base else f"file://{repo}"


def missing_tools() -> list[str]:
    return [t for t in TOOLS if shutil.which(t) is None]


@pytest.fixture(scope="session")
def repos(tmp_path_factory) -> Repos:
    if missing_tools():
        pytest.skip(f"host tools missing: {' '.join(missing_tools())} (tools/setup.sh installs them)")
    root = tmp_path_factory.mktemp("repos")
    work = tmp_path_factory.mktemp("rpmwork")
    key = rpmrepo.make_key(work / "gnupg", "azl test", root / "RPM-GPG-KEY-azl-test")
    other = rpmrepo.make_key(work / "gnupg-other", "azl other", root / "RPM-GPG-KEY-other")
    signed = rpmrepo.build_rpms(PACKAGES, work / "signed", work)
    rpmrepo.sign(signed, key)
    unsigned = rpmrepo.build_rpms(UNSIGNED, work / "unsigned", work)
    otherkey = rpmrepo.build_rpms(OTHER_KEY, work / "otherkey", work)
    rpmrepo.sign(otherkey, other)
    tampered_dir = root / "tampered"
    tampered_dir.mkdir()
    for r in signed:
        shutil.copy2(r, tampered_dir / r.name)
    rpmrepo.tamper(tampered_dir / "t-extra-1.0-1.noarch.rpm")
    return Repos(
        root=root, key=key.public, other_key=other.public,
        plain=rpmrepo.repo_from(signed, root / "plain"),
        comps=rpmrepo.repo_from(signed, root / "comps", COMPS),
        unsigned=rpmrepo.repo_from(signed + unsigned, root / "unsigned"),
        otherkey=rpmrepo.repo_from(signed + otherkey, root / "otherkey"),
        tampered=rpmrepo.createrepo(tampered_dir),
    )


@functools.cache
def _test_product_data() -> dict:
    with open(HERE / "test-product.toml", "rb") as fh:
        return tomllib.load(fh)


def _make_product(iso_repo: Path, keys: list[Path]) -> Product:
    product = product_from_dict(_test_product_data())
    return dataclasses.replace(product, iso_repo_path=str(iso_repo), gpg_keys=tuple(map(str, keys)))


@pytest.fixture
def product(repos) -> Product:
    return _make_product(repos.plain, [repos.key])


@pytest.fixture
def make_product():
    """make_product(iso_repo, [keys]) -> the test product using that repository as its ISO repo."""
    return _make_product


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def http_base(repos):
    """Serves the repository root on 127.0.0.1 (a free port) for the whole session."""
    handler = functools.partial(_QuietHandler, directory=str(repos.root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def small_target(tmp_path):
    """A 2 MiB tmpfs as the target root (disk-full tests)."""
    mnt = tmp_path / "small"
    mnt.mkdir()
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "azl-test-small", str(mnt)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {proc.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def _installed(target: Path) -> set[str]:
    from installer.payload.dnf import rpm_query_args

    out = subprocess.run(rpm_query_args(target) + ["-qa", "--qf", "%{NAME}\\n"],
                         capture_output=True, text=True)
    return {n for n in out.stdout.split() if not n.startswith("gpg-pubkey")}


@pytest.fixture
def installed():
    """installed(target) -> names in the target's RPM database (gpg-pubkey entries left out)."""
    return _installed
