"""%packages checked against a repository's metadata before any disk is touched, and the package
set's installed size against the layout: real repositories built here with rpmbuild and
createrepo_c, read from a directory, over loopback HTTP, and with zstd-compressed metadata."""

from __future__ import annotations

import dataclasses
import functools
import gzip
import http.server
import re
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from installer.commands.validate import check_file
from installer.kickstart.files import load_kickstart
from installer.model.machine import Machine
from installer.model.plan import TUI
from installer.payload import precheck, repodata
from installer.steps.preflight import diagnostics as preflight
from installer.validate.space import check_payload_space
from tests.host import rpmrepo
from tests.host.conftest import _make_product
from tests.host.rpmrepo import Pkg
from tests.paths import PROFILES

PKGS = [Pkg("t-core"), Pkg("t-app", provides=["t-app-api = 2"]), Pkg("t-tool"), Pkg("t-grp-mand"),
        Pkg("t-big", random_bytes=1 << 20)]
COMPS = rpmrepo.comps_xml({"tgroup": [("t-grp-mand", "mandatory")]}, {"tenv": ["tgroup"]})


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    for tool in ("rpmbuild", "createrepo_c"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} missing (tools/setup.sh installs it)")
    work = tmp_path_factory.mktemp("precheck")
    rpms = rpmrepo.build_rpms(PKGS, work / "rpms", work)
    return rpmrepo.repo_from(rpms, work / "repo", COMPS)


@pytest.fixture
def product(repo):
    return _make_product(repo, [])


def kickstart(tmp_path: Path, body: str) -> Path:
    ks = tmp_path / "ks.cfg"
    ks.write_text(body)
    return ks


def errors_at(diags) -> list[tuple[int, str]]:
    return [(d.origin.line, d.message) for d in diags if d.is_error]


def test_every_unknown_name_named_with_its_line_in_one_pass(product, tmp_path):
    ks = kickstart(tmp_path, "text\n%packages\nt-app\nt-nosuch\nt-app-api\nt-tool-1.0\nt-tool.noarch\n"
                             "t-co*\nt-zz*\nt-other\n@tgroup\n%end\n")
    plan = load_kickstart(str(ks), product=product).plan
    diags, deferred = preflight(plan, None, product, network=False)
    assert deferred == []
    assert errors_at(diags) == [
        (4, "%packages: no repository offers a package 't-nosuch'"),
        (9, "%packages: no repository offers a package 't-zz*'"),
        (10, "%packages: no repository offers a package 't-other'"),
    ]


def test_the_validate_command_reports_them_as_file_line(product, tmp_path):
    ks = kickstart(tmp_path, "text\n%packages\nt-nosuch\n%end\n")
    _plan, diags = check_file(str(ks), None, product)
    assert f"{ks}:3: %packages: no repository offers a package 't-nosuch'" in [str(d) for d in diags]


def test_ignoremissing_turns_them_into_warnings(product, tmp_path):
    ks = kickstart(tmp_path, "text\n%packages --ignoremissing\nt-nosuch\n%end\n")
    plan = load_kickstart(str(ks), product=product).plan
    diags, _ = preflight(plan, None, product, network=False)
    assert [(d.severity, d.origin.line) for d in diags] == [("warning", 3)]
    assert "--ignoremissing" in diags[0].message


def test_groups_of_an_added_repository_are_checked_against_its_comps(product, repo, tmp_path):
    ks = kickstart(tmp_path, f"text\nrepo --name=extra --baseurl=file://{repo}\n"
                             "%packages\n@tgroup\n@^tenv\n@nosuchgroup\n%end\n")
    plan = load_kickstart(str(ks), product=product).plan
    diags, deferred = preflight(plan, None, product, network=False)
    assert deferred == []
    assert errors_at(diags) == [(6, "%packages: no repository has a group @nosuchgroup")]


def test_software_selection_from_the_tui_names_the_missing_set_member(repo):
    data = dict(_make_product(repo, []).package_sets)
    data["server"] = dataclasses.replace(data["server"], packages=("t-app", "t-gone"))
    product = dataclasses.replace(_make_product(repo, []), package_sets=data)
    from installer.model.plan import InstallPlan

    plan = InstallPlan()
    plan.payload.packages.set("sets", ["server"], TUI)
    diags, _ = preflight(plan, None, product, network=False)
    assert [(d.message, d.origin, d.field) for d in diags] == [
        ("package set 'server' needs t-gone, which no repository offers", TUI, "payload.sets")]


def test_an_unreadable_or_remote_repository_defers_the_decision(product, tmp_path):
    ks = kickstart(tmp_path, "text\nrepo --name=far --baseurl=http://127.0.0.1:9/r\n%packages\nt-nosuch\n%end\n")
    plan = load_kickstart(str(ks), product=product).plan
    diags, deferred = preflight(plan, None, product, network=False)
    assert diags == []  # t-nosuch may come from the repository not read
    assert deferred == ["repository far (http://127.0.0.1:9/r) is read only by the install itself"]
    diags, deferred = preflight(plan, None, product, network=True)
    assert diags == [] and "could not be read" in deferred[0] and "payload step" in deferred[0]


@pytest.fixture(scope="module")
def http_base(repo):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(repo.parent))
    handler.log_message = lambda *a: None  # type: ignore[method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_remote_repository_read_over_http_when_the_network_may_be_used(repo, http_base, tmp_path):
    product = _make_product(tmp_path / "no-medium", [])
    ks = kickstart(tmp_path, f"text\nurl --url={http_base}/{repo.name}\n%packages\nt-app\nt-nosuch\n%end\n")
    plan = load_kickstart(str(ks), product=product).plan
    diags, deferred = preflight(plan, None, product, network=True)
    assert deferred == []
    assert errors_at(diags) == [(5, "%packages: no repository offers a package 't-nosuch'")]


def test_remote_primary_must_match_repomd(repo, http_base, tmp_path):
    bad = tmp_path / "bad"
    shutil.copytree(repo, bad)
    primary = next((bad / "repodata").glob("*primary.xml.gz"))
    primary.write_bytes(gzip.compress(b"<metadata xmlns='http://linux.duke.edu/metadata/common'/>"))
    root = tmp_path
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a: None  # type: ignore[method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with pytest.raises(repodata.RepodataError, match="does not match the checksum"):
            repodata.read_remote(f"http://127.0.0.1:{server.server_address[1]}/bad")
    finally:
        server.shutdown()
        server.server_close()


def _zstd_copy(repo: Path, dest: Path) -> Path:
    shutil.copytree(repo, dest)
    rd = dest / "repodata"
    gz = next(rd.glob("*primary.xml.gz"))
    raw = gzip.decompress(gz.read_bytes())
    zst = rd / "primary.xml.zst"
    zst.write_bytes(subprocess.run(["zstd", "-q", "-c"], input=raw, capture_output=True, check=True).stdout)
    gz.unlink()
    repomd = rd / "repomd.xml"
    text = re.sub(r'href="repodata/[^"]*primary\.xml\.gz"', 'href="repodata/primary.xml.zst"',
                  repomd.read_text())
    repomd.write_text(text)
    return dest


def test_zstd_metadata_read_with_the_binary_or_deferred_when_undecidable(repo, tmp_path, monkeypatch):
    if shutil.which("zstd") is None:
        pytest.skip("zstd missing")
    zrepo = _zstd_copy(repo, tmp_path / "zrepo")
    index = repodata.read_local(zrepo)
    assert {"t-core", "t-app", "t-big"} <= set(index.sizes) and "t-app-api" in index.provides
    assert index.sizes["t-big"] >= 1 << 20
    monkeypatch.setattr(repodata, "zstd_reader", lambda: None)
    precheck._CACHE.clear()
    product = _make_product(zrepo, [])
    ks = kickstart(tmp_path, "text\n%packages\nt-nosuch\n%end\n")
    diags, deferred = preflight(load_kickstart(str(ks), product=product).plan, None, product, network=False)
    assert diags == []
    assert "zstd-compressed" in deferred[0] and "payload step" in deferred[0]


@pytest.mark.parametrize("how", ["module", "binary"])
def test_zstd_metadata_read_both_ways(repo, tmp_path, monkeypatch, how):
    if shutil.which("zstd") is None:
        pytest.skip("zstd missing (needed to write the test metadata)")
    if how == "module":
        pytest.importorskip("zstandard", reason="python3-zstandard is not installed")
    monkeypatch.setattr(repodata, "zstd_reader", lambda: how)
    index = repodata.read_local(_zstd_copy(repo, tmp_path / "zrepo"))
    assert set(index.sizes) == {p.name for p in PKGS} and "t-app-api" in index.provides


def test_repomd_pointing_outside_the_repository_is_refused(repo, tmp_path):
    evil = tmp_path / "evil"
    shutil.copytree(repo, evil)
    md = evil / "repodata/repomd.xml"
    md.write_text(re.sub(r'href="repodata/[^"]*primary\.xml\.gz"', 'href="../../etc/passwd"', md.read_text()))
    with pytest.raises(repodata.RepodataError, match="outside the repository"):
        repodata.read_local(evil)


def test_installed_size_is_the_sum_of_the_resolved_set(product, tmp_path):
    ks = kickstart(tmp_path, "text\n%packages\nt-big\nt-app\n-t-core\n%end\n")
    plan = load_kickstart(str(ks), product=product).plan
    check = precheck.check_packages(plan, product)
    # server is not asked for; core is, minus the excluded t-core
    assert set(check.size_of) == {"t-big", "t-app"}
    assert check.installed_bytes == sum(check.size_of.values()) >= 1 << 20


# ---------------------------------------------------------------- space

def _machine() -> Machine:
    import json

    return Machine.from_dict(json.loads((PROFILES / "nvme-uefi.json").read_text()))


GIB = 1 << 30


@pytest.mark.parametrize("layout,fits", [
    ("part /boot/efi --fstype=efi --size=600\npart / --fstype=xfs --size=2048\n", False),
    ("part /boot/efi --fstype=efi --size=600\npart / --fstype=xfs --size=8192\n", True),
    ("part /boot/efi --fstype=efi --size=600\npart / --fstype=xfs --size=1024 --grow\n", True),
    (("part /boot/efi --fstype=efi --size=600\npart pv.1 --size=4096\nvolgroup vg pv.1\n"
     "logvol / --vgname=vg --name=root --size=2048\nlogvol /var --vgname=vg --name=var --size=1024\n"), False),
])
def test_packages_that_cannot_fit_are_refused_naming_the_mount_point(tmp_path, layout, fits):
    srepo = rpmrepo.metadata_repo(tmp_path / "sized", {"t-core": 2 * GIB, "t-app": 2 * GIB})
    product = _make_product(srepo, [])
    ks = kickstart(tmp_path, f"text\nclearpart --all\n{layout}%packages\nt-app\n%end\n")
    plan = load_kickstart(str(ks), product=product).plan
    root_line = next(i for i, line in enumerate(ks.read_text().splitlines(), 1) if line.startswith(("part /", "logvol /"))
                     and " / " in line + " ")
    diags, _ = preflight(plan, _machine(), product, network=False)
    if fits:
        assert errors_at(diags) == []
        return
    [(line, message)] = errors_at(diags)
    assert line == root_line
    assert message.startswith("the packages do not fit: / (which holds /usr) can get at most 2.0 GiB, "
                              "and the selected packages alone take at least 4.0 GiB")
    assert "make / larger" in message


def test_autopart_root_is_capped_by_the_product_maximum(tmp_path):
    srepo = rpmrepo.metadata_repo(tmp_path / "sized", {"t-core": 20 * GIB})
    product = _make_product(srepo, [])
    plan = load_kickstart(str(kickstart(tmp_path, "text\nclearpart --all\nautopart\n")), product=product).plan
    diags = check_payload_space(plan, _machine(), product, 20 * GIB)
    assert len(diags) == 1 and "at most 15.0 GiB" in diags[0].message and diags[0].origin.line == 3
    assert check_payload_space(plan, _machine(), product, 10 * GIB) == []


def test_separate_usr_is_the_one_checked(tmp_path):
    srepo = rpmrepo.metadata_repo(tmp_path / "sized", {"t-core": 3 * GIB})
    product = _make_product(srepo, [])
    ks = kickstart(tmp_path, "text\nclearpart --all\npart /boot/efi --fstype=efi --size=600\n"
                             "part / --fstype=xfs --size=20480\npart /usr --fstype=xfs --size=1024\n")
    plan = load_kickstart(str(ks), product=product).plan
    [d] = check_payload_space(plan, _machine(), product, 3 * GIB)
    assert d.origin.line == 5 and d.message.startswith("the packages do not fit: /usr can get at most 1.0 GiB")


def test_the_install_stops_at_preflight_before_storage(product, tmp_path):
    from types import SimpleNamespace

    from installer import engine

    s = list(engine.STEPS)
    assert s.index("network_live") < s.index("pre_scripts") < s.index("preflight") < s.index("storage")
    ks = kickstart(tmp_path, "text\n%packages\nt-app\nt-nosuch\n%end\n")
    plan = load_kickstart(str(ks), product=product).plan
    calls = []
    storage = SimpleNamespace(NAME="storage", TITLE="Creating partitions", apply=lambda ctx: calls.append("storage"))
    result = engine.run(plan, None, product, steps=["preflight", storage], validator=lambda *a: [],
                        log_dir=tmp_path / "log", target=tmp_path / "target", power_action=False)
    assert not result.ok and result.failure.step == "preflight" and calls == []
    assert f"{ks}:4: %packages: no repository offers a package 't-nosuch'" in result.message
    dry = engine.run(plan, None, product, steps=["preflight", storage], validator=lambda *a: [], dry_run=True,
                     log_dir=tmp_path / "log2", target=tmp_path / "target", power_action=False)
    assert not dry.ok and dry.failure.step == "preflight"
