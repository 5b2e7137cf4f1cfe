"""The dnf payload on the host: real rpmbuild/rpmsign/createrepo_c repositories, real dnf,
installs into a directory, checked with rpm --root."""

from __future__ import annotations


import os
import subprocess

import pytest

from installer.model.defaults import new_plan
from installer.model.plan import Repository
from installer.steps import payload as step
from tests.host.fakectx import Ctx

pytestmark = pytest.mark.host


def plan_for(product, **packages):
    plan = new_plan(product)
    for k, v in packages.items():
        plan.payload.packages.set(k, v, plan.payload.packages.origins.get("sets"))
    return plan


def install(product, target, plan, caplog=None):
    ctx = Ctx(plan, product, target)
    step.apply(ctx)
    return ctx


def failure(product, target, plan) -> str:
    with pytest.raises(step.PayloadError) as exc:
        install(product, target, plan)
    message = str(exc.value)
    assert "Traceback" not in message and "\n" not in message
    return message


def test_default_set_from_the_iso_repository(product, tmp_path, installed):
    ctx = install(product, tmp_path, new_plan(product))
    # core + server sets, their dependencies (versioned Provides) and the weak dependency
    assert installed(tmp_path) == {"t-core", "t-app", "t-lib", "t-tool", "t-weak"}
    assert (tmp_path / "usr/share/doc/t-app/README").is_file()
    assert (tmp_path / "usr/bin/t-app").read_text().startswith("#!/bin/sh")
    prog = ctx.progress()
    assert prog and prog[-1].done == prog[-1].total == 5 and prog[-1].unit == "packages"
    items = {p.item for p in prog} - {""}
    names = ("t-core", "t-app", "t-lib", "t-tool", "t-weak")
    assert items and all(i.endswith("-1.0-1.noarch") and i[: -len("-1.0-1.noarch")] in names for i in items)
    # no package cache, no repository of the live medium left behind on the target
    assert not (tmp_path / "var/cache/azl-install-dnf").exists()
    assert not list((tmp_path / "etc/yum.repos.d").glob("*.repo")) if (tmp_path / "etc/yum.repos.d").exists() else True
    assert not ctx.warned()


def test_nocore_exclusions_nodocs_no_weak_deps(product, tmp_path, installed):
    plan = plan_for(product, sets=[], nocore=True, packages=["t-app", "t-extra", "t-tool"],
                    excluded_packages=["t-extra"], excludedocs=True, exclude_weakdeps=True)
    install(product, tmp_path, plan)
    assert installed(tmp_path) == {"t-app", "t-lib", "t-tool"}
    assert (tmp_path / "usr/bin/t-app").exists()
    assert not (tmp_path / "usr/share/doc/t-app/README").exists()


def test_excluding_a_product_set(product, tmp_path, installed):
    plan = plan_for(product, sets=["server"], excluded_groups=["core"], packages=["t-extra"])
    install(product, tmp_path, plan)
    assert installed(tmp_path) == {"t-app", "t-lib", "t-tool", "t-weak", "t-extra"}


def test_comps_groups_and_environment(make_product, repos, tmp_path, installed):
    product = make_product(repos.comps, [repos.key])
    plan = plan_for(product, sets=[], groups=["tgroup"], nocore=True)
    install(product, tmp_path / "g", plan)
    assert installed(tmp_path / "g") == {"t-grp-mand", "t-grp-def"}

    plan = plan_for(product, sets=[], environment="tenv", excluded_groups=["tother"])
    install(product, tmp_path / "e", plan)
    assert installed(tmp_path / "e") == {"t-core", "t-grp-mand", "t-grp-def"}

    plan = plan_for(product, sets=[], environment="tenv")
    install(product, tmp_path / "e2", plan)
    assert installed(tmp_path / "e2") == {"t-core", "t-grp-mand", "t-grp-def", "t-other-mand"}

    plan = plan_for(product, sets=[], nocore=True, groups=["tgroup"], excluded_packages=["t-grp-def"])
    install(product, tmp_path / "x", plan)
    assert installed(tmp_path / "x") == {"t-grp-mand"}


def test_group_needs_comps(product, tmp_path, installed):
    plan = plan_for(product, groups=["tgroup"])
    message = failure(product, tmp_path, plan)
    assert "@tgroup" in message and "not in any repository" in message
    assert installed(tmp_path) == set()


def test_missing_packages_listed_before_anything_is_installed(product, tmp_path, installed):
    plan = plan_for(product, packages=["t-extra", "no-such-pkg", "nor-this"])
    message = failure(product, tmp_path, plan)
    assert "no-such-pkg" in message and "nor-this" in message and "--ignoremissing" in message
    assert installed(tmp_path) == set()
    assert not (tmp_path / "usr/share").exists()


def test_broken_dependencies_refused(product, tmp_path, installed):
    message = failure(product, tmp_path, plan_for(product, packages=["t-broken"]))
    assert "t-broken" in message and "dependencies" in message
    assert installed(tmp_path) == set()


def test_ignoremissing_warns_and_installs_the_rest(product, tmp_path, installed):
    plan = plan_for(product, sets=[], packages=["t-extra", "no-such-pkg"], ignoremissing=True)
    ctx = install(product, tmp_path, plan)
    assert installed(tmp_path) == {"t-core", "t-extra"}
    assert any("no-such-pkg" in w and "ignoremissing" in w for w in ctx.warned())


def test_inst_langs(product, tmp_path):
    plan = plan_for(product, sets=[], nocore=True, packages=["t-lang"], inst_langs="fr")
    install(product, tmp_path, plan)
    assert (tmp_path / "usr/share/locale/fr/LC_MESSAGES/t-lang.mo").exists()
    assert not (tmp_path / "usr/share/locale/de/LC_MESSAGES/t-lang.mo").exists()


def test_url_source_over_http_with_gpgcheck(product, repos, http_base, tmp_path, installed):
    plan = plan_for(product, sets=[], packages=["t-extra"])
    plan.payload.set("source", Repository(name="web", baseurl=repos.url(repos.plain, http_base)),
                     plan.payload.origins.get("gpgcheck"))
    ctx = install(product, tmp_path, plan)
    assert installed(tmp_path) == {"t-core", "t-extra"}
    last = ctx.progress()[-1]
    assert last.bytes_total and last.bytes_done == last.bytes_total


def test_repo_install_written_to_target(product, repos, http_base, tmp_path, installed):
    plan = plan_for(product, sets=[], packages=["t-extra", "t-grp-opt"])
    plan.payload.repositories.append(Repository(
        name="updates", baseurl=repos.url(repos.comps, http_base), install=True, cost=50,
        includepkgs=["t-grp-opt"]))
    plan.payload.repositories.append(Repository(name="local-extra", baseurl=str(repos.comps),
                                                install=True, excludepkgs=["t-grp-opt"]))
    install(product, tmp_path, plan)
    assert installed(tmp_path) == {"t-core", "t-extra", "t-grp-opt"}
    repo_file = tmp_path / "etc/yum.repos.d/updates.repo"
    text = repo_file.read_text()
    assert f"baseurl={http_base}/comps" in text and "gpgcheck=1" in text and "cost=50" in text
    assert "includepkgs=t-grp-opt" in text
    # a path on the live medium means nothing on the installed system; the ISO repo neither
    assert sorted(p.name for p in (tmp_path / "etc/yum.repos.d").iterdir()) == ["updates.repo"]


def test_iso_repo_file_shipped_by_a_package_is_disabled(product, tmp_path):
    d = tmp_path / "etc/yum.repos.d"
    d.mkdir(parents=True)
    (d / "media.repo").write_text(f"[media]\nname=m\nbaseurl=file://{product.iso_repo_path}\nenabled=1\n"
                                  "[web]\nname=w\nbaseurl=https://example.invalid/x\nenabled=1\n")
    install(product, tmp_path, plan_for(product, sets=[], nocore=True, packages=["t-extra"]))
    text = (d / "media.repo").read_text()
    assert "[media]\nname=m\nbaseurl=file://" in text
    media, web = text.split("[web]")
    assert "enabled=0" in media and "enabled=1" in web


# ---------------------------------------------------------------- refusals


def test_unsigned_package_refused(make_product, repos, tmp_path, installed):
    product = make_product(repos.unsigned, [repos.key])
    message = failure(product, tmp_path, plan_for(product, sets=[], packages=["t-unsigned"]))
    assert "t-unsigned" in message and "not signed" in message
    assert installed(tmp_path) == set()


def test_unsigned_package_allowed_with_gpgcheck_off_and_warned(make_product, repos, tmp_path, installed):
    product = make_product(repos.unsigned, [repos.key])
    plan = plan_for(product, sets=[], packages=["t-unsigned"])
    plan.payload.set("gpgcheck", False, plan.payload.origins["gpgcheck"])
    ctx = install(product, tmp_path, plan)
    assert installed(tmp_path) == {"t-core", "t-unsigned"}
    assert any("GPG signature checking is OFF" in w and product.iso_repo_name in w for w in ctx.warned())
    assert any("OFF" in line for line in step.summary(plan, product))


def test_package_signed_by_an_untrusted_key_refused(make_product, repos, tmp_path, installed):
    product = make_product(repos.otherkey, [repos.key])
    message = failure(product, tmp_path, plan_for(product, sets=[], packages=["t-otherkey"]))
    assert "t-otherkey" in message and "signature" in message
    assert installed(tmp_path) == set()


def test_tampered_package_refused(make_product, repos, tmp_path, installed):
    product = make_product(repos.tampered, [repos.key])
    message = failure(product, tmp_path, plan_for(product, sets=[], packages=["t-extra"]))
    assert "t-extra" in message and ("integrity" in message or "signature" in message)
    assert "t-extra" not in installed(tmp_path)


def test_missing_gpg_key(make_product, repos, tmp_path, installed):
    product = make_product(repos.plain, [tmp_path / "no-such-key"])
    message = failure(product, tmp_path / "t", plan_for(product))
    assert "signing key is missing" in message and "no-such-key" in message
    assert not (tmp_path / "t").exists() or installed(tmp_path / "t") == set()


def test_unreachable_repository_named(product, tmp_path):
    plan = plan_for(product)
    plan.payload.repositories.append(Repository(name="far-away", baseurl="http://127.0.0.1:9/repo"))
    message = failure(product, tmp_path, plan)
    assert "far-away" in message and "http://127.0.0.1:9/repo" in message and "cannot be reached" in message


def test_disk_full(product, small_target, installed):
    plan = plan_for(product, sets=[], nocore=True, packages=["t-big"])
    message = failure(product, small_target, plan)
    assert "too small" in message
    assert "t-big" not in installed(small_target)


# ---------------------------------------------------------------- the two-run path (dnf5's)


@pytest.mark.parametrize("case", ["ok", "missing", "unsigned", "untrusted"])
def test_resolve_then_install_in_two_runs(make_product, repos, tmp_path, installed, case):
    """dnf5 resolves with --assumeno and installs with -y; the same path, driven through dnf4 here."""
    import logging

    from installer.payload.dnf import DnfError, DnfPayload

    repo = {"unsigned": repos.unsigned, "untrusted": repos.otherkey}.get(case, repos.plain)
    product = make_product(repo, [repos.key])
    pkgs = {"ok": ["t-app"], "missing": ["t-app", "no-such-pkg"], "unsigned": ["t-unsigned"],
            "untrusted": ["t-otherkey"]}[case]
    plan = plan_for(product, sets=[], packages=pkgs)
    states = []
    payload = DnfPayload(plan.payload, product, tmp_path, log=logging.getLogger("t"), one_run=False,
                         progress=lambda s: states.append((s.done, s.total)))
    if case == "ok":
        payload.run()
        assert installed(tmp_path) == {"t-core", "t-app", "t-lib", "t-weak"}
        assert states[-1] == (4, 4)
        return
    with pytest.raises(DnfError) as exc:
        payload.run()
    assert pkgs[-1] in str(exc.value)
    assert installed(tmp_path) == set()


def test_progress_is_rate_limited(product, tmp_path):
    ctx = install(product, tmp_path, plan_for(product, packages=["t-extra", "t-lang", "t-grp-opt"]))
    prog = ctx.progress()
    assert prog[-1].done == prog[-1].total
    gaps = [b.time - a.time for a, b in zip(prog, prog[1:-1])]
    assert all(g >= 0.09 for g in gaps), gaps


# ---------------------------------------------------------------- inst.repo= from the boot command line


def test_inst_repo_on_the_boot_command_line(product, repos, installed, tmp_path):
    from tests.host.fakectx import Ctx

    plan = plan_for(product, sets=[], nocore=True, groups=["tgroup"])
    ctx = Ctx(plan, product, tmp_path, cmdline=f"quiet inst.repo=file://{repos.comps} console=ttyS0")
    step.apply(ctx)
    assert installed(tmp_path) == {"t-grp-mand", "t-grp-def"}


def test_inst_repo_hd_device_is_mounted_read_only(product, repos, installed, tmp_path, monkeypatch):
    import shutil

    from tests.host.fakectx import Ctx

    if not shutil.which("mkfs.ext4") or not shutil.which("losetup"):
        pytest.skip("mkfs.ext4 / losetup missing")
    image = tmp_path / "usb.img"
    subprocess.run(["mkfs.ext4", "-q", "-L", "AZLREPO", "-d", str(repos.root), str(image), "64M"], check=True)
    loop = subprocess.run(["losetup", "--find", "--show", str(image)], capture_output=True, text=True)
    if loop.returncode != 0:
        pytest.skip(f"no loop device: {loop.stderr.strip()}")
    dev = loop.stdout.strip()
    monkeypatch.setattr(step, "SOURCES_DIR", tmp_path / "sources")
    try:
        plan = plan_for(product, sets=[], packages=["t-extra"])
        ctx = Ctx(plan, product, tmp_path / "root", cmdline=f"inst.repo=hd:{dev}:/plain")
        step.apply(ctx)
        assert installed(tmp_path / "root") == {"t-core", "t-extra"}
        assert not os.path.ismount(tmp_path / "sources/inst.repo")  # unmounted afterwards
    finally:
        subprocess.run(["losetup", "-d", dev], check=False)
