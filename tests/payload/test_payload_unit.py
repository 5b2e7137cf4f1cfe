"""Pure parts of the payload: dnf command lines and configuration, dnf4/dnf5 output
(recorded samples in tests/payload/payload_samples), package-set resolution, repositories,
inst.repo=, liveimg format detection."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import pytest

from installer.payload import dnf_output

from installer.payload import package_sets

from installer.payload import repos
from installer.model.defaults import new_plan
from installer.payload.dnf_output import ProgressState, classify_failure, feed_progress, parse_resolution
from installer.payload.dnf import Dnf, DnfPayload, DnfSetup
from installer.payload.liveimg import (ImageFormat, detect_format, parse_unsquashfs_progress,
                                       tar_command, unsquashfs_command)
from installer.fetch import FetchError, normalize_checksum
from installer.model.plan import PackageSelection, Repository
from installer.model.product import load_product
from installer.steps import payload as step

SAMPLES = Path(__file__).parent / "payload_samples"
PRODUCT = load_product()


def sample(name: str) -> str:
    return (SAMPLES / name).read_text()


# ---------------------------------------------------------------- resolution output

@pytest.mark.parametrize("flavour", ["dnf4", "dnf5"])
def test_resolution_lists_packages_missing_and_size(flavour):
    res = parse_resolution(sample(f"{flavour}-resolve.txt"))
    assert res.packages == ["t-a-package-with-a-rather-long-name-that-wraps", "t-app", "t-lib", "t-weak"]
    assert res.count == 4
    assert res.download_bytes == 24 * 1024
    assert "no-such-pkg" in res.missing
    assert any(m.lstrip("@") == "nogroup" for m in res.missing)


def test_dnf4_resolution_reports_broken_packages_separately():
    res = parse_resolution(sample("dnf4-resolve.txt"))
    assert res.broken == ["t-broken"] and "t-broken" not in res.packages


def test_wrapped_package_names_are_joined():
    text = ("Installing:\n a-very-long-package-name-indeed-it-is-really-long\n"
            "                 noarch  1.0-1  repo  6.2 k\n t-lib  noarch  1.0-1  repo  6.0 k\n\n"
            "Transaction Summary\nInstall  2 Packages\n")
    assert parse_resolution(text).packages == ["a-very-long-package-name-indeed-it-is-really-long", "t-lib"]


@pytest.mark.parametrize("text,expected", [("6.2 k", 6348), ("18 KiB", 18432), ("1.1 MB", 1153433),
                                           ("21.0   B", 21), ("949  B", 949), ("3.0 M", 3145728),
                                           ("bogus", None)])
def test_parse_size(text, expected):
    assert dnf_output.parse_size(text) == expected


# ---------------------------------------------------------------- progress

@pytest.mark.parametrize("flavour,name", [("dnf4", "dnf4-install-http.txt"), ("dnf5", "dnf5-install.txt")])
def test_progress_from_dnf_output(flavour, name):
    state = ProgressState(total=4, bytes_total=24 * 1024)
    updates = []
    for line in sample(name).splitlines():
        if feed_progress(state, line):
            updates.append((state.phase, state.done, state.bytes_done, state.item))
    downloads = [u for u in updates if u[0] == "downloading"]
    installs = [u for u in updates if u[0] == "installing"]
    assert len(downloads) == 4 and len(installs) == 4
    assert [u[2] for u in downloads] == sorted(u[2] for u in downloads)  # bytes only grow
    assert downloads[-1][2] == pytest.approx(24 * 1024, rel=0.05)
    assert [u[1] for u in installs] == sorted(u[1] for u in installs) and installs[-1][1] >= 3
    assert any(u[3].startswith("t-weak") for u in installs)
    assert all(u[1] <= 4 for u in updates)


def test_progress_counts_a_repeated_bar_once():
    state = ProgressState(total=2, bytes_total=4096)
    line = "[1/2] t-app-0:1.0-1.noarch   100% | 916.0 KiB/s |   2.0 KiB |  00m00s"
    feed_progress(state, line)
    feed_progress(state, line)
    assert state.bytes_done == 2048
    inst = "[3/4] Installing t-app-0:1.0-1.noarch  100% |   7.0 KiB/s |  21.0   B |  00m00s"
    feed_progress(state, inst)
    feed_progress(state, inst)
    assert state.done == 1


def test_lines_that_are_not_progress():
    state = ProgressState(total=3)
    for line in ["[4/4] Total    100% |   1.2 MiB/s |  24.2 KiB |  00m00s", "Running transaction",
                 "Total                                           1.2 MB/s |  24 kB     00:00",
                 "  Preparing        :                                                        1/1 ",
                 "[1/6] Verify package files              100% | 500.0   B/s |   4.0   B |  00m00s"]:
        assert not feed_progress(state, line), line
    assert state.done == 0 and state.bytes_done == 0


# ---------------------------------------------------------------- failures

@pytest.mark.parametrize("flavour", ["dnf4", "dnf5"])
@pytest.mark.parametrize("name,kind,subject", [
    ("unsigned", "unsigned", "t-unsigned"), ("otherkey", "untrusted-key", "t-otherkey"),
    ("tampered", "tampered", "t-lib"), ("unreachable", "unreachable", "azl-test"),
    ("nospace", "no-space", "2MB")])
def test_failures_classified(flavour, name, kind, subject):
    f = classify_failure(sample(f"{flavour}-{name}.txt"))
    assert f.kind == kind
    assert f.subject.startswith(subject)


def test_broken_dependencies_classified():
    f = classify_failure(sample("dnf5-broken.txt"))
    assert f.kind == "broken" and "t-nonexistent" in f.detail


def test_unknown_failure_keeps_the_error_line():
    f = classify_failure("something\nError: the moon is in the wrong phase\n")
    assert f.kind == "other" and f.detail == "Error: the moon is in the wrong phase"


@pytest.mark.parametrize("flavour", ["dnf4", "dnf5"])
@pytest.mark.parametrize("name,words", [
    ("unsigned", ["t-unsigned", "not signed"]), ("otherkey", ["t-otherkey", "signature"]),
    ("tampered", ["t-lib", "integrity"]), ("unreachable", ["azl-test", "cannot be reached"]),
    ("nospace", ["too small", "2MB", "/"])])
def test_failure_messages_are_one_paragraph_naming_the_culprit(flavour, name, words):
    payload = DnfPayload(new_plan().payload, PRODUCT, Path("/x"), log=logging.getLogger("t"))
    payload.specs = [repos.RepoSpec(id="azl-test", name="azl-test", baseurl=["http://127.0.0.1:9/repo"])]
    text = payload._failure_text(classify_failure(sample(f"{flavour}-{name}.txt")))
    assert "\n" not in text and "Traceback" not in text
    for w in words:
        assert w in text
    if name == "unreachable":
        assert "http://127.0.0.1:9/repo" in text


# ---------------------------------------------------------------- command line and configuration

def make_setup(tmp_path, major, **kw) -> DnfSetup:
    spec = repos.RepoSpec(id="iso", name="iso", baseurl=["file:///run/install/repo"],
                          gpgkeys=["file:///run/install/repo/KEY"])
    s = DnfSetup(dir=tmp_path / "cfg", dnf=Dnf(f"/usr/bin/dnf{major if major == 5 else ''}", major),
                 target=tmp_path / "sysroot", releasever="4.0", specs=[spec], **kw)
    s.write()
    return s


def test_dnf4_command(tmp_path):
    s = make_setup(tmp_path, 4)
    cmd = s.command(["@core", "vim"], assumeno=True, skip_missing=True)
    assert cmd[0] == "/usr/bin/dnf" and "--assumeno" in cmd and "-y" not in cmd
    assert f"--installroot={tmp_path / 'sysroot'}" in cmd and "--releasever=4.0" in cmd
    assert f"--setopt=reposdir={s.reposdir}" in cmd and f"--config={s.conf}" in cmd
    assert "--setopt=cachedir=/var/cache/azl-install-dnf" in cmd  # dnf4 prefixes the installroot
    assert "--setopt=strict=0" in cmd and "--noplugins" in cmd
    assert cmd[-3:] == ["install", "@core", "vim"]
    assert "--setopt=strict=1" in s.command(["vim"])


def test_dnf5_command(tmp_path):
    s = make_setup(tmp_path, 5)
    cmd = s.command(["vim"], skip_missing=True)
    assert cmd[:2] == ["/usr/bin/dnf5", "-y"]
    assert "--use-host-config" in cmd and "--skip-unavailable" in cmd and "--no-plugins" in cmd
    assert f"--setopt=cachedir={tmp_path / 'sysroot'}/var/cache/azl-install-dnf" in cmd  # host path in dnf5
    assert not any("strict" in c for c in cmd)
    assert "--skip-unavailable" not in s.command(["vim"])


def test_private_configuration(tmp_path):
    s = make_setup(tmp_path, 4, excludes=["foo", "bar"], nodocs=True, weak_deps=False, langs="en_US:fr",
                   dbpath="/var/lib/rpm")
    conf = s.conf.read_text()
    assert "excludepkgs=foo,bar" in conf and "tsflags=nodocs" in conf and "install_weak_deps=0" in conf
    assert "keepcache=0" in conf and "gpgcheck=1" in conf
    assert (s.home / ".rpmmacros").read_text() == "%_dbpath /var/lib/rpm\n%_install_langs en_US:fr\n"
    env = s.env()
    assert env["HOME"] == str(s.home) and env["LC_ALL"] == "C.UTF-8"
    repo = (s.reposdir / "iso.repo").read_text()
    assert "baseurl=file:///run/install/repo" in repo and "gpgcheck=1" in repo
    # a local key that does not exist is left out (missing keys are reported before dnf runs)
    assert "gpgkey" not in repo


def test_defaults_keep_docs_and_weak_deps(tmp_path):
    conf = make_setup(tmp_path, 4).conf.read_text()
    assert "tsflags" not in conf and "install_weak_deps=1" in conf and "excludepkgs" not in conf


# ---------------------------------------------------------------- repositories

def test_iso_repository_is_the_default():
    specs = repos.resolve(new_plan().payload, PRODUCT)
    assert len(specs) == 1 and specs[0].iso
    assert specs[0].baseurl == ["file:///run/install/repo"] and specs[0].gpgcheck
    assert specs[0].gpgkeys == ["file://" + k for k in PRODUCT.gpg_keys]


def test_url_and_repo_lines():
    plan = new_plan()
    plan.payload.source = Repository(name="web", baseurl="https://example.com/azl/4.0/")
    plan.payload.repositories = [
        Repository(name="extras one", mirrorlist="https://example.com/ml", cost=10, includepkgs=["a*"],
                   excludepkgs=["b"], install=True, gpgkeys=["https://example.com/KEY"]),
        Repository(name="local", baseurl="/mnt/repo", gpgcheck=False)]
    web, extras, local = repos.resolve(plan.payload, PRODUCT)
    assert not web.iso and web.baseurl == ["https://example.com/azl/4.0/"]
    assert extras.id == "extras-one" and extras.gpgkeys == ["https://example.com/KEY"]
    ini = extras.ini()
    for line in ["[extras-one]", "name=extras one", "mirrorlist=https://example.com/ml", "cost=10",
                 "includepkgs=a*", "excludepkgs=b", "gpgcheck=1", "gpgkey=https://example.com/KEY"]:
        assert line in ini.splitlines()
    assert local.baseurl == ["file:///mnt/repo"] and not local.gpgcheck
    assert repos.unverified([web, extras, local]) == [local]


def test_gpgcheck_off_for_the_whole_payload():
    plan = new_plan()
    plan.payload.gpgcheck = False
    assert all(not s.gpgcheck for s in repos.resolve(plan.payload, PRODUCT))
    assert any("GPG signature checking is OFF" in line for line in step.summary(plan, PRODUCT))


def test_duplicate_and_empty_repositories_rejected():
    plan = new_plan()
    plan.payload.repositories = [Repository(name="a", baseurl="http://x/"), Repository(name="a", baseurl="http://y/")]
    with pytest.raises(repos.RepositoryError, match="used twice"):
        repos.resolve(plan.payload, PRODUCT)
    plan.payload.repositories = [Repository(name="nothing")]
    with pytest.raises(repos.RepositoryError, match="no --baseurl"):
        repos.resolve(plan.payload, PRODUCT)


def test_missing_keys(tmp_path):
    key = tmp_path / "KEY"
    key.write_text("k")
    ok = repos.RepoSpec(id="a", name="a", gpgkeys=[f"file://{key}", "file:///nope"])
    bad = repos.RepoSpec(id="b", name="b", gpgkeys=["file:///nope"])
    none = repos.RepoSpec(id="c", name="c", gpgkeys=[])
    off = repos.RepoSpec(id="d", name="d", gpgkeys=[], gpgcheck=False)
    net = repos.RepoSpec(id="e", name="e", gpgkeys=["https://example.com/KEY"])
    assert repos.missing_keys([ok, bad, none, off, net]) == {"b": ["/nope"], "c": []}
    assert repos.usable_keys(ok) == [f"file://{key}"]


@pytest.mark.parametrize("cmdline,baseurl", [
    ("quiet inst.repo=https://example.com/azl/ console=ttyS0", "https://example.com/azl/"),
    ("inst.repo=file:///run/media/repo", "file:///run/media/repo"),
    ("repo=http://old.example/", "http://old.example/"),
    ("inst.repo=hd:LABEL=AZL-USB:/repo", "hd:LABEL=AZL-USB:/repo"),
    ("inst.repo=nfs:nfsvers=4:server:/export/azl", "nfs:nfsvers=4:server:/export/azl"),
    ("inst.repo=cdrom", "file:///run/install/repo"),
])
def test_inst_repo(cmdline, baseurl):
    repo = repos.repository_from_cmdline(cmdline, PRODUCT)
    assert repo.baseurl == baseurl and str(repo.origin) == "boot"


def test_inst_repo_absent_or_bad():
    assert repos.repository_from_cmdline("quiet splash", PRODUCT) is None
    with pytest.raises(repos.RepositoryError, match="unsupported source"):
        repos.repository_from_cmdline("inst.repo=gopher://x", PRODUCT)


@pytest.mark.parametrize("url,parsed", [
    ("hd:LABEL=AZL-USB:/repo", ("hd", "LABEL=AZL-USB", "/repo", "")),
    ("hd:sdb1:/azl", ("hd", "/dev/sdb1", "/azl", "")),
    ("hd:/dev/vdb", ("hd", "/dev/vdb", "/", "")),
    ("nfs:server:/export", ("nfs", "server", "/export", "")),
    ("nfs:ro,nfsvers=4:server:/export", ("nfs", "server", "/export", "ro,nfsvers=4")),
])
def test_device_sources(url, parsed):
    assert repos.parse_device_source(url) == parsed


def test_repo_install_and_iso_disabled_on_target(tmp_path):
    specs = [repos.RepoSpec(id="iso", name="iso", baseurl=["file:///run/install/repo"], iso=True, install=True),
             repos.RepoSpec(id="updates", name="updates", baseurl=["https://example.com/u"], install=True),
             repos.RepoSpec(id="live-only", name="live-only", baseurl=["file:///mnt/x"], install=True),
             repos.RepoSpec(id="no", name="no", baseurl=["https://example.com/n"])]
    written = repos.write_installed(specs, tmp_path)
    assert [p.name for p in written] == ["updates.repo"]
    assert "baseurl=https://example.com/u" in written[0].read_text()
    (tmp_path / "etc/yum.repos.d/media.repo").write_text(
        "[media]\nname=m\nbaseurl=file:///run/install/repo/\nenabled=1\n\n[other]\nbaseurl=https://x\n")
    (tmp_path / "etc/yum.repos.d/noflag.repo").write_text("[m]\nbaseurl=/run/install/repo\n")
    changed = repos.disable_iso_repos(tmp_path, "/run/install/repo")
    assert sorted(p.name for p in changed) == ["media.repo", "noflag.repo"]
    media = (tmp_path / "etc/yum.repos.d/media.repo").read_text()
    assert "[media]\nname=m\nbaseurl=file:///run/install/repo/\nenabled=0\n" in media
    assert media.endswith("[other]\nbaseurl=https://x\n")
    assert (tmp_path / "etc/yum.repos.d/noflag.repo").read_text() == "[m]\nenabled=0\nbaseurl=/run/install/repo\n"


# ---------------------------------------------------------------- package sets

COMPS = b"""<?xml version="1.0"?><comps>
<group><id>web</id><name>Web Server</name><packagelist>
<packagereq type="mandatory">httpd</packagereq><packagereq type="default">mod_ssl</packagereq>
<packagereq type="optional">mod_extra</packagereq></packagelist></group>
<group><id>tools</id><name>Tools</name><packagelist><packagereq>strace</packagereq></packagelist></group>
<environment><id>webenv</id><name>Web Environment</name><grouplist><groupid>web</groupid>
<groupid>tools</groupid></grouplist><optionlist><groupid>x</groupid></optionlist></environment>
</comps>"""


def test_parse_comps():
    comps = package_sets.parse_comps(COMPS)
    assert comps.group("web").mandatory == ["httpd"] and comps.group("web").default == ["mod_ssl"]
    assert comps.group("Web Server").optional == ["mod_extra"]
    assert comps.group("tools").default == ["strace"]  # type defaults to "default"
    assert comps.environment("webenv").groups == ["web", "tools"]
    assert comps.environment("webenv").options == ["x"]


def test_comps_location():
    repomd = b"""<repomd xmlns="http://linux.duke.edu/metadata/repo"><data type="primary">
    <location href="repodata/p.xml.gz"/></data><data type="group_gz"><location href="repodata/c.xml.gz"/>
    </data><data type="group"><location href="repodata/c.xml"/></data></repomd>"""
    assert package_sets.comps_location(repomd) == "repodata/c.xml"
    assert package_sets.comps_location(b'<repomd xmlns="http://linux.duke.edu/metadata/repo"/>') is None


def test_core_and_product_sets():
    req = package_sets.build_request(new_plan().payload.packages, PRODUCT)
    assert req.sets == ["core", "server"]
    assert req.packages[:3] == list(PRODUCT.package_set("core").packages[:3])
    assert "tmux" in req.packages and not req.groups and not req.missing_groups


def test_nocore_packages_and_exclusions():
    sel = PackageSelection(sets=["server"], nocore=True, packages=["htop", "tmux"], excluded_packages=["tmux"])
    req = package_sets.build_request(sel, PRODUCT)
    assert "systemd" not in req.packages and "htop" in req.packages and "tmux" not in req.packages
    assert req.excludes == ["tmux"]


def test_excluded_product_set():
    sel = PackageSelection(sets=["server"], excluded_groups=["core"])
    req = package_sets.build_request(sel, PRODUCT)
    assert req.sets == ["server"] and "kernel" in req.excludes and "kernel" not in req.packages


def test_sets_named_like_groups_in_a_kickstart():
    sel = PackageSelection(sets=[], environment="container-host", groups=["minimal"])
    req = package_sets.build_request(sel, PRODUCT)
    assert req.sets == ["core", "container-host", "minimal"] and "moby-engine" in req.packages


def test_comps_groups_environments_and_missing():
    comps = package_sets.parse_comps(COMPS)
    sel = PackageSelection(sets=[], environment="webenv", groups=["tools", "nosuch"], excluded_groups=["nogroup"])
    req = package_sets.build_request(sel, PRODUCT, comps)
    assert req.environment == "webenv" and req.groups == ["tools"]
    assert req.missing_groups == ["-@nogroup", "@nosuch"]
    assert req.specs()[:2] == ["@webenv", "@tools"]


def test_environment_minus_a_group_is_expanded():
    comps = package_sets.parse_comps(COMPS)
    sel = PackageSelection(sets=[], nocore=True, environment="webenv", excluded_groups=["tools"])
    req = package_sets.build_request(sel, PRODUCT, comps)
    assert req.environment is None and req.groups == ["web"] and req.excludes == ["strace"]


def test_groups_without_comps_are_missing():
    req = package_sets.build_request(PackageSelection(groups=["web"], nocore=True), PRODUCT, None)
    assert req.missing_groups == ["@web"]


@pytest.mark.parametrize("value,expected", [(None, None), ("en_US", "en_US"), ("en_US,fr:de_DE", "en_US:fr:de_DE"),
                                            ("all", "all")])
def test_inst_langs(value, expected):
    assert package_sets.install_langs(value) == expected


def test_inst_langs_rejects_garbage():
    with pytest.raises(ValueError):
        package_sets.install_langs("en_US;rm -rf")


# ---------------------------------------------------------------- liveimg

@pytest.mark.parametrize("head,fmt", [
    (b"hsqs" + b"\0" * 600, ImageFormat("squashfs")), (b"\x1f\x8b\x08" + b"\0" * 600, ImageFormat("tar", "gzip")),
    (b"\xfd7zXZ\x00" + b"\0" * 600, ImageFormat("tar", "xz")),
    (b"\x28\xb5\x2f\xfd" + b"\0" * 600, ImageFormat("tar", "zstd")), (b"BZh9" + b"\0" * 600, ImageFormat("tar", "bzip2")),
    (b"\0" * 257 + b"ustar\x0000" + b"\0" * 300, ImageFormat("tar")), (b"hello world" * 60, None)])
def test_detect_format(head, fmt):
    assert detect_format(head) == fmt


def test_tar_command_keeps_metadata():
    cmd = tar_command(Path("/mnt/sysroot"), ImageFormat("tar", "zstd"), selinux=True)
    for flag in ["--numeric-owner", "--same-owner", "--preserve-permissions", "--xattrs", "--xattrs-include=*",
                 "--acls", "--selinux", "--zstd", "-f", "-"]:
        assert flag in cmd
    assert cmd[cmd.index("-C") + 1] == "/mnt/sysroot"
    assert "--selinux" not in tar_command(Path("/t"), ImageFormat("tar"), selinux=False)
    assert unsquashfs_command(Path("/i.sqfs"), Path("/t")) == ["unsquashfs", "-f", "-d", "/t", "-xattrs", "/i.sqfs"]


def test_unsquashfs_progress():
    assert parse_unsquashfs_progress(b"\r[=====    ] 40/161  24%\r[=======   ] 80/161  49%") == (80, 161)
    assert parse_unsquashfs_progress(b"created 2 files\n") is None


def test_checksums():
    h = "AB" * 32
    assert normalize_checksum(h) == "ab" * 32 and normalize_checksum("sha256:" + h) == "ab" * 32
    for bad in ["md5:" + "a" * 32, "abc", "z" * 64]:
        with pytest.raises(FetchError):
            normalize_checksum(bad)


def test_summary_for_liveimg():
    from installer.model.plan import LiveImage
    plan = new_plan()
    plan.payload.liveimg = LiveImage(url="https://example.com/root.tar.zst", noverifyssl=True)
    lines = step.summary(plan, PRODUCT)
    assert lines[0] == "Software: live image https://example.com/root.tar.zst"
    assert any("no --checksum" in line for line in lines) and any("noverifyssl" in line for line in lines)


# ---------------------------------------------------------------- the step: sources and dry run

def test_cdrom_source_is_the_iso_repository():
    plan = new_plan()
    plan.payload.source = Repository(name="cdrom", baseurl="cdrom")
    (spec,) = repos.resolve(plan.payload, PRODUCT)
    assert spec.iso and spec.baseurl == ["file:///run/install/repo"]


def test_nfs_url_form():
    assert repos.parse_device_source("nfs://server/export/azl") == ("nfs", "server", "/export/azl", "")
    assert repos.is_device_source("nfs://server/x") and not repos.is_device_source("https://x/")


def test_inst_repo_applies_only_without_a_kickstart_source():
    from installer.model.plan import Origin

    plan = new_plan()
    boot = "BOOT_IMAGE=/vmlinuz inst.repo=http://10.0.2.2:8080/repo inst.ks=hd:LABEL=OEMDRV:/ks.cfg"
    assert step.effective_payload(plan, PRODUCT, boot).source.baseurl == "http://10.0.2.2:8080/repo"
    assert plan.payload.source is None  # the plan itself is not changed
    assert "http://10.0.2.2:8080/repo" in step.summary(plan, PRODUCT, boot)[0]
    plan.payload.set("source", None, Origin.kickstart("ks.cfg", 3))  # `cdrom` in the kickstart
    assert step.effective_payload(plan, PRODUCT, boot).source is None
    plan.payload.set("source", Repository(name="url", baseurl="https://mirror/azl"), Origin.kickstart("ks.cfg", 3))
    assert step.effective_payload(plan, PRODUCT, boot).source.baseurl == "https://mirror/azl"


def test_bad_inst_repo_is_a_payload_error():
    with pytest.raises(step.PayloadError, match="boot command line"):
        step.effective_payload(new_plan(), PRODUCT, "inst.repo=gopher://x")


# ---------------------------------------------------------------- dry run: describe()

def dry_ctx(plan, cmdline=""):
    from installer.context import InstallContext
    from installer.model.machine import Machine

    return InstallContext(plan=plan, machine=Machine(), product=PRODUCT, dry_run=True, live_cmdline=cmdline)


def set_packages(*names):
    return [p for name in names for p in PRODUCT.package_set(name).packages]


def test_describe_default_dnf_install():
    plan = new_plan()
    plan.payload.packages.excluded_packages = ["tmux"]
    plan.payload.packages.excludedocs = True
    lines = step.describe(dry_ctx(plan))
    keys = ", ".join("file://" + k for k in PRODUCT.gpg_keys)
    wanted = [p for p in dict.fromkeys(set_packages("core", PRODUCT.default_set)) if p != "tmux"]
    assert lines == [
        "dnf: install into the target with dnf --installroot (dnf5 when the live system has it, dnf4 otherwise), "
        f"releasever {PRODUCT.releasever}",
        f"repository {PRODUCT.iso_repo_name}: file://{PRODUCT.iso_repo_path}; the install medium; "
        f"GPG check on (keys: {keys})",
        f"product package sets: core, {PRODUCT.default_set}",
        "packages: " + " ".join(wanted),
        "excluded packages (excludepkgs in dnf's configuration): tmux",
        "options: core set included, --excludedocs: no documentation, weak dependencies installed",
        "missing packages or groups: the install stops before any package is written",
        "afterwards: the install medium's repository is not left enabled on the target",
    ]
    assert "tmux" in set_packages(PRODUCT.default_set)  # the exclusion really removed something


def test_describe_repositories_with_their_gpg_state():
    plan = new_plan()
    plan.payload.source = Repository(name="web", baseurl="https://mirror.example/azl/", sslverify=False,
                                     gpgkeys=["https://mirror.example/KEY"])
    plan.payload.repositories = [
        Repository(name="extras", baseurl="https://bob:s3cret@example.com/extras", cost=5, includepkgs=["a*"],
                   excludepkgs=["b"], gpgcheck=False, install=True, proxy="http://joe:pw@proxy:3128"),
        Repository(name="local", baseurl="/srv/repo", install=True)]
    lines = step.describe(dry_ctx(plan))
    product_keys = ", ".join("file://" + k for k in PRODUCT.gpg_keys)
    assert lines[1:5] == [
        "repository web: https://mirror.example/azl/; GPG check on (keys: https://mirror.example/KEY); "
        "TLS certificate not checked (--noverifyssl)",
        "repository extras: https://bob:***@example.com/extras; cost 5; only a*; never b; GPG check OFF; "
        "proxy http://joe:***@proxy:3128",
        "WARNING: GPG signature checking is OFF for repository extras: packages from it are installed without "
        "verification.",
        f"repository local: file:///srv/repo; GPG check on (keys: {product_keys})",
    ]
    assert lines[-2:] == [
        "afterwards: write extras to the target's /etc/yum.repos.d (repo --install)",
        "repo --install has no effect for local: a local path means nothing on the installed system",
    ]
    assert not any("s3cret" in line or ":pw@" in line for line in lines)
    assert not any("install medium" in line for line in lines)  # `url` replaces the ISO repository


def test_describe_gpgcheck_off_for_everything_and_a_repository_without_keys():
    plan = new_plan()
    plan.payload.gpgcheck = False
    plan.payload.repositories = [Repository(name="x", baseurl="https://example.com/x")]
    lines = step.describe(dry_ctx(plan))
    assert sum(line.startswith("WARNING: GPG signature checking is OFF") for line in lines) == 2
    product = dataclasses.replace(PRODUCT, gpg_keys=())
    plan = new_plan()
    ctx = dry_ctx(plan)
    ctx.product = product
    assert f"repository {PRODUCT.iso_repo_name}: file://{PRODUCT.iso_repo_path}; the install medium; " \
           "GPG check on (keys: none given: the install stops)" in step.describe(ctx)


def test_describe_comps_groups_exclusions_and_every_flag():
    plan = new_plan()
    sel = plan.payload.packages
    sel.sets = []
    sel.environment = "workstation"
    sel.groups = ["dev-tools", "container-host"]
    sel.packages = ["vim", "htop"]
    sel.excluded_packages = ["nano"]
    sel.excluded_groups = ["docs"]
    sel.nocore = True
    sel.exclude_weakdeps = True
    sel.ignoremissing = True
    sel.inst_langs = "en_US,fr"
    sel.multilib = True
    sel.timeout = 30
    sel.retries = 4
    lines = step.describe(dry_ctx(plan))
    body = lines[lines.index(next(x for x in lines if x.startswith("product package sets"))):]
    assert body == [
        "product package sets: container-host",
        "comps groups and environments, looked up in the repositories at install time: @^workstation @dev-tools",
        "packages: " + " ".join([p for p in set_packages("container-host") if p != "nano"] + ["vim", "htop"]),
        "excluded packages (excludepkgs in dnf's configuration): nano",
        "excluded comps groups (their packages are excluded at install time): docs",
        "options: --nocore: the core set is left out, documentation installed, --exclude-weakdeps: no weak "
        "dependencies, --inst-langs: languages en_US:fr, --multilib: all architectures of multilib packages, "
        "--timeout: 30 s per connection, --retries: 4",
        "missing packages or groups: listed in a warning, the rest is installed (--ignoremissing)",
        "afterwards: the install medium's repository is not left enabled on the target",
    ]


def test_describe_uses_inst_repo_and_refuses_what_the_install_would_refuse():
    boot = "BOOT_IMAGE=/vmlinuz inst.repo=http://10.0.2.2:8080/repo"
    lines = step.describe(dry_ctx(new_plan(), boot))
    assert lines[1].startswith("repository inst.repo: http://10.0.2.2:8080/repo; GPG check on")
    with pytest.raises(step.PayloadError, match="boot command line"):
        step.describe(dry_ctx(new_plan(), "inst.repo=gopher://x"))
    plan = new_plan()
    plan.payload.repositories = [Repository(name="a", baseurl="https://x/1"), Repository(name="a", baseurl="/y")]
    with pytest.raises(step.PayloadError, match="package sources are not usable: .*'a' is used twice"):
        step.describe(dry_ctx(plan))


def test_describe_liveimg():
    from installer.model.plan import LiveImage

    plan = new_plan()
    plan.payload.liveimg = LiveImage(url="https://u:pw@example.com/root.tar.zst", checksum="sha256:" + "AB" * 32,
                                     proxy="http://proxy:3128")
    lines = step.describe(dry_ctx(plan))
    assert lines == [
        "liveimg: write the image https://u:***@example.com/root.tar.zst onto the target (tar, plain or "
        "gzip/xz/zstd/bzip2, or squashfs, told apart by its first bytes), keeping owners, modes, hardlinks, "
        "sparse files, ACLs, xattrs and SELinux labels",
        "checksum: sha256 " + "ab" * 32 + ", verified before anything is written (the image is downloaded to "
        "a temporary directory first)",
        "proxy: http://proxy:3128",
    ]
    plan.payload.liveimg = LiveImage(url="file:///srv/root.img", noverifyssl=True)
    plan.payload.packages.packages = ["vim"]
    assert step.describe(dry_ctx(plan))[1:] == [
        "WARNING: the live image has no --checksum; its integrity is not verified",
        "WARNING: --noverifyssl: the image server's TLS certificate is not checked",
        "%packages is not used: the image already holds the system",
    ]
    plan.payload.liveimg = LiveImage(url="http://example.com/root.tar", checksum="sha256:" + "cd" * 32)
    assert step.describe(dry_ctx(plan))[1] == "checksum: sha256 " + "cd" * 32 + ", verified before anything is " \
        "written (the image is downloaded to a temporary directory first)"
    plan.payload.liveimg = LiveImage(url="/srv/root.tar", checksum="cd" * 32)
    assert step.describe(dry_ctx(plan))[1] == "checksum: sha256 " + "cd" * 32 + ", verified before anything " \
        "is written"


def test_dry_run_touches_nothing_and_the_engine_reports_the_description(tmp_path):
    from installer import engine
    from installer.model.plan import LiveImage
    from steps_support import make_env

    plan = new_plan()
    plan.payload.repositories = [Repository(name="net", baseurl="http://127.0.0.1:9/unreachable", install=True)]
    plan.payload.packages.groups = ["dev-tools"]  # a comps group: would need the repository's metadata
    env = make_env(tmp_path, plan=plan)
    before = sorted(str(p) for p in env.target.rglob("*"))
    env.ctx.dry_run = True
    expected = step.describe(env.ctx)
    step.apply(env.ctx)  # apply() in a dry run only logs the description
    assert env.runner.calls == [] and sorted(str(p) for p in env.target.rglob("*")) == before
    assert all(f"dry run: {line}" in env.log_text() for line in expected)
    result = engine.run(plan, env.ctx.machine, env.ctx.product, target=env.target, dry_run=True,
                        log_dir=tmp_path / "engine-log", steps=["payload"], validator=lambda *a: [],
                        power_action=False)
    assert result.ok and result.steps[0].description == expected
    assert sorted(str(p) for p in env.target.rglob("*")) == before
    plan.payload.liveimg = LiveImage(url="http://127.0.0.1:9/root.tar")
    assert step.describe(env.ctx)[0].startswith("liveimg: write the image http://127.0.0.1:9/root.tar")


def test_passwords_in_repository_urls_are_hidden():
    spec = repos.RepoSpec(id="r", name="r", baseurl=["https://user:s3cret@mirror.example/azl/"])
    assert spec.where == "https://user:***@mirror.example/azl/"
    assert repos.hide_password("https://mirror.example/a:b@c") == "https://mirror.example/a:b@c"


def test_timeout_and_retries_reach_dnf(tmp_path):
    conf = make_setup(tmp_path, 4, timeout=30, retries=5, multilib=True).conf.read_text()
    assert "timeout=30" in conf and "retries=5" in conf and "multilib_policy=all" in conf


def test_prompts():
    assert dnf_output.is_prompt("Is this ok [y/N]: ") and dnf_output.is_prompt("Is this ok [y/N]:")
    assert not dnf_output.is_prompt("Installing       : t-app-1.0-1.noarch   1/4")
    assert dnf_output.is_key_import(["Importing GPG key 0xAD07FD8E:", ' Userid     : "azl test"'])
    assert dnf_output.is_key_import(["Importing OpenPGP key 0x163D1CF3:"])
    assert not dnf_output.is_key_import(["Transaction Summary", "Install  4 Packages"])


def test_read_position_of_another_process(tmp_path):
    import subprocess
    import time

    from installer.payload.liveimg import _ReadPosition

    f = tmp_path / "image"
    f.write_bytes(b"x" * 100_000)
    import sys

    child = f"import time; fh = open({str(f)!r}, 'rb', buffering=0); fh.read(12288); time.sleep(5)"
    proc = subprocess.Popen([sys.executable, "-c", child])
    try:
        pos = _ReadPosition(proc.pid, f)
        deadline = time.monotonic() + 4
        while pos.read() != 12288 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert pos.read() == 12288
    finally:
        proc.kill()
        proc.wait()
    assert _ReadPosition(proc.pid, f).read() is None  # gone: no position, no error
