"""liveimg extraction by the installer versus bare `tar -x` / `unsquashfs` of the same
image into the same filesystem. Prints MB/s and the throughput ratio (target >= 0.9).

By default the target is a tmpfs, so the figure is the pipeline's own cost and not the
noise of a shared disk (on a real disk, I/O dominates both and the ratio moves towards 1).
The installer reads the image itself and feeds tar through a pipe (progress by bytes),
with tar keeping owners, modes, ACLs, xattrs and SELinux labels; the bare tar gets the
same metadata flags and reads the file directly. Images are built from a generated tree
(many small files plus some large ones). Needs root (ownership).

    .venv/bin/python bench/payload_liveimg.py [--mib SIZE] [--files N] [--runs R]
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

from installer.fetch import sha256_file  # noqa: E402
from installer.payload.liveimg import LiveImageInstaller, detect_format, tar_command  # noqa: E402
from installer.model.plan import LiveImage  # noqa: E402
from tests.host import liveimages  # noqa: E402


def bare(image: Path, target: Path) -> float:
    with open(image, "rb") as fh:
        fmt = detect_format(fh.read(512))
    if fmt.kind == "squashfs":
        cmd = ["unsquashfs", "-f", "-d", str(target), "-no-progress", str(image)]
    else:
        cmd = tar_command(target, fmt)
        cmd[cmd.index("-f") + 1] = str(image)  # tar reads the file itself
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t


def installer(image: Path, target: Path, checksum: str | None) -> float:
    log = logging.getLogger("bench")
    log.propagate = False
    log.addHandler(logging.NullHandler())
    events = []
    t = time.perf_counter()
    LiveImageInstaller(LiveImage(url=f"file://{image}", checksum=checksum), target, log=log,
                       progress=lambda d, total: events.append(d)).run()
    return time.perf_counter() - t


def _cpu() -> float:
    """CPU seconds of this process and its finished children (tar, zstd, unsquashfs)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mib", type=int, default=192, help="uncompressed size of the bulk data")
    ap.add_argument("--files", type=int, default=3000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--kinds", default="tar,tar.gz,tar.zst,tar.xz,squashfs")
    ap.add_argument("--disk", dest="tmpfs", action="store_false",
                    help="extract to the disk under /var/tmp instead of a tmpfs (noisier on a shared machine)")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("payload_liveimg: needs root (ownership); skipped")
        return 0
    base = Path(tempfile.mkdtemp(prefix="azl-bench-liveimg-", dir="/var/tmp"))
    try:
        tree = base / "tree"
        t = time.perf_counter()
        liveimages.make_tree(tree, bulk_bytes=args.mib << 20, files=args.files)
        images = liveimages.make_images(tree, base / "images")
        shutil.rmtree(tree)
        print(f"images of a {args.mib} MiB tree with {args.files} bulk files built in "
              f"{time.perf_counter() - t:.1f} s")
        size = args.mib << 20
        worst = None
        for kind in args.kinds.split(","):
            image = images[kind]
            digest = sha256_file(image)
            times = {"bare": [], "installer": [], "installer+sha256": []}
            cpu = {"bare": [], "installer": [], "installer+sha256": []}
            for run in range(args.runs):
                variants = [("bare", lambda d: bare(image, d)),
                            ("installer", lambda d: installer(image, d, None)),
                            ("installer+sha256", lambda d: installer(image, d, digest))]
                for label, fn in variants if run % 2 == 0 else reversed(variants):
                    target = base / "target"
                    target.mkdir()
                    if args.tmpfs:
                        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={args.mib * 2 + 256}m",
                                        "azl-bench", str(target)], check=True)
                    subprocess.run(["sync"])  # the previous run's writeback must not land in this one
                    try:
                        before = _cpu()
                        times[label].append(fn(target))
                        cpu[label].append(_cpu() - before)
                    finally:
                        if args.tmpfs:
                            subprocess.run(["umount", str(target)], check=True)
                    shutil.rmtree(target)
            best = {k: min(v) for k, v in times.items()}
            ratio = best["bare"] / best["installer"]
            worst = ratio if worst is None else min(worst, ratio)
            print(f"{kind:9s} image {image.stat().st_size / 2**20:7.1f} MiB | bare "
                  f"{size / best['bare'] / 2**20:6.1f} MB/s | installer {size / best['installer'] / 2**20:6.1f} MB/s "
                  f"(ratio {ratio:.3f}, median {statistics.median(times['bare']) / statistics.median(times['installer']):.3f})"
                  f" | with sha256 {size / best['installer+sha256'] / 2**20:6.1f} MB/s "
                  f"(ratio {best['bare'] / best['installer+sha256']:.3f}) | cpu ratio "
                  f"{statistics.median(cpu['bare']) / statistics.median(cpu['installer']):.3f}")
        print(f"throughput ratio installer/bare, worst image, best of {args.runs} = {worst:.3f} "
              f"(target >= 0.9) {'OK' if worst >= 0.9 else 'UNDER'}")
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
