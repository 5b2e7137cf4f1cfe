"""The installer's dnf path versus bare `dnf --installroot` for the same packages from
the same signed repository. Prints seconds and the ratio (target <= 1.05).

The installer does more than the bare command: it reads the repository's comps,
resolves first with --assumeno (missing packages are reported before anything is
written), streams dnf's output into progress events, and checks the RPM database
afterwards. Needs root, rpmbuild, rpmsign, createrepo_c, gpg and dnf.

    .venv/bin/python bench/payload_dnf.py [--packages N] [--kib SIZE] [--runs R]
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from installer.payload import repos  # noqa: E402
from installer.model.defaults import new_plan  # noqa: E402
from installer.model.events import discard  # noqa: E402
from installer.payload.dnf import Dnf, DnfPayload, DnfSetup, host_dbpath_is_private, RPM_DBPATH  # noqa: E402
from installer.model.product import PackageSet, load_product  # noqa: E402
from tests.host import rpmrepo  # noqa: E402


def build_repo(work: Path, n: int, kib: int) -> tuple[Path, Path, list[str]]:
    key = rpmrepo.make_key(work / "gnupg", "azl bench", work / "RPM-GPG-KEY-bench")
    names = [f"b-pkg{i:03d}" for i in range(n)]
    filler = "".join(f"{i:08x} the quick brown fox jumps over the lazy dog\n" for i in range(kib * 18))
    pkgs = [rpmrepo.Pkg(name, requires=[names[i - 1]] if i % 3 else [],
                        files={f"/usr/share/{name}/f{j}": filler[: kib * 1024 // 4] for j in range(4)},
                        docs={"README": f"{name}\n"})
            for i, name in enumerate(names)]
    rpms = rpmrepo.build_rpms(pkgs, work / "rpms", work)
    rpmrepo.sign(rpms, key)
    return rpmrepo.repo_from(rpms, work / "repo"), key.public, names


def bare(repo: Path, key: Path, names: list[str], target: Path, cfg: Path) -> float:
    spec = repos.RepoSpec(id="bench", name="bench", baseurl=[f"file://{repo}"], gpgkeys=[f"file://{key}"])
    setup = DnfSetup(dir=cfg, dnf=Dnf.detect(), target=target, releasever="4.0", specs=[spec],
                     dbpath=RPM_DBPATH if host_dbpath_is_private() else None)
    setup.write()
    cmd = setup.command(names)
    t = time.perf_counter()
    subprocess.run(cmd, env=setup.env(), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def installer(repo: Path, key: Path, names: list[str], target: Path) -> float:
    import dataclasses
    product = load_product()
    product = dataclasses.replace(product, iso_repo_path=str(repo), gpg_keys=(str(key),),
                                  package_sets={"core": PackageSet("core", "", tuple(names))})
    plan = new_plan(product)
    plan.payload.packages.sets = []
    log = logging.getLogger("bench")
    log.addHandler(logging.NullHandler())
    log.propagate = False
    t = time.perf_counter()
    DnfPayload(plan.payload, product, target, log=log, progress=lambda s: discard(s)).run()
    return time.perf_counter() - t


def _cpu() -> float:
    """CPU seconds used so far by this process and its finished children (dnf, rpm)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--packages", type=int, default=150)
    ap.add_argument("--kib", type=int, default=256, help="installed size of each package")
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("payload_dnf: needs root (dnf --installroot); skipped")
        return 0
    with tempfile.TemporaryDirectory(prefix="azl-bench-dnf-") as tmp:
        work = Path(tmp)
        t = time.perf_counter()
        repo, key, names = build_repo(work, args.packages, args.kib)
        print(f"repo: {args.packages} signed packages of ~{args.kib} KiB built in {time.perf_counter() - t:.1f} s")
        wall = {"bare": [], "installer": []}
        cpu = {"bare": [], "installer": []}
        for run in range(args.runs):
            order = [("bare", lambda d: bare(repo, key, names, d, work / f"cfg{run}")),
                     ("installer", lambda d: installer(repo, key, names, d))]
            for label, fn in order if run % 2 == 0 else reversed(order):
                target = work / f"root-{label}-{run}"
                target.mkdir()
                before = _cpu()
                wall[label].append(fn(target))
                cpu[label].append(_cpu() - before)
                shutil.rmtree(target)
            print(f"run {run + 1}: bare {wall['bare'][-1]:.2f} s ({cpu['bare'][-1]:.2f} s cpu), "
                  f"installer {wall['installer'][-1]:.2f} s ({cpu['installer'][-1]:.2f} s cpu)")
        d = Dnf.detect()
        print(f"dnf{d.major} ({d.binary}), {args.packages} packages, {args.runs} runs each, alternating order")
        for name, data, pick in (("wall, best", wall, min), ("wall, median", wall, statistics.median),
                                 ("cpu, median", cpu, statistics.median)):
            b, i = pick(data["bare"]), pick(data["installer"])
            print(f"  {name:13s} bare {b:6.2f} s  installer {i:6.2f} s  ratio {i / b:.3f}")
        ratio = min(wall["installer"]) / min(wall["bare"])
        print(f"ratio installer/bare (best wall time) = {ratio:.3f} (target <= 1.05) "
              f"{'OK' if ratio <= 1.05 else 'OVER'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
