"""Engine step: install the software (dnf from repositories, or a liveimg image)."""

from __future__ import annotations

import copy
import shutil
import subprocess
from pathlib import Path

from installer.payload import repos
from installer.model.events import Progress, RateLimiter

TITLE = "Installing software"
STEP = "payload"
SOURCES_DIR = Path("/run/install/sources")


class PayloadError(Exception):
    """The payload failed; the message is one paragraph for the user (shown with the log tail)."""


def effective_payload(plan, product, cmdline: str = ""):
    """The plan's payload with inst.repo= applied when the kickstart chose no source itself."""
    payload = plan.payload
    if payload.source is not None or payload.liveimg is not None or payload.origin_of("source") is not None:
        return payload
    try:
        boot = repos.repository_from_cmdline(cmdline or "", product)
    except repos.RepositoryError as e:
        raise PayloadError(f"The installation source on the boot command line is not usable: {e}.") from None
    if boot is None:
        return payload
    payload = copy.deepcopy(payload)
    payload.source = boot
    return payload


def summary(plan, product, cmdline: str = "") -> list[str]:
    """Lines for the pre-install summary: the source, and loud warnings about unverified packages."""
    p = plan.payload
    if p.liveimg is not None:
        lines = [f"Software: live image {p.liveimg.url}"]
        if not p.liveimg.checksum:
            lines.append("WARNING: the live image has no --checksum; its integrity is not verified.")
        if p.liveimg.noverifyssl:
            lines.append("WARNING: --noverifyssl: the image server's TLS certificate is not checked.")
        return lines
    try:
        specs = repos.resolve(effective_payload(plan, product, cmdline), product)
    except (repos.RepositoryError, PayloadError) as e:
        return [f"Software: ERROR: {e}"]
    lines = ["Software: " + ", ".join(f"{s.name} ({s.where})" for s in specs)]
    for s in repos.unverified(specs):
        lines.append(f"WARNING: GPG signature checking is OFF for repository {s.name}: packages from "
                     "it are installed without verification.")
    return lines


def describe(ctx) -> list[str]:
    """Dry run: exactly what apply() would install, from where, with which checks; touches nothing."""
    from installer.payload import describe as payload_describe

    p = ctx.plan.payload
    if p.liveimg is not None:
        return payload_describe.describe_liveimg(p.liveimg, p, ctx.product)
    payload = effective_payload(ctx.plan, ctx.product, ctx.cmdline() if hasattr(ctx, "cmdline") else "")
    try:
        return payload_describe.describe_dnf(payload, ctx.product)
    except repos.RepositoryError as e:
        raise PayloadError(f"The package sources are not usable: {e}.") from None


def apply(ctx) -> None:
    target = Path(ctx.target)
    events = RateLimiter(ctx.events, interval=0.1)
    cmdline = ctx.cmdline() if hasattr(ctx, "cmdline") else ""
    for line in summary(ctx.plan, ctx.product, cmdline)[1:]:
        if line.startswith("WARNING"):
            _warn(ctx, line[len("WARNING: "):])
    if ctx.dry_run:
        for line in describe(ctx):
            ctx.log.info("dry run: %s", line)
        return
    if ctx.plan.payload.liveimg is not None:
        _liveimg(ctx, target, events)
    else:
        _dnf(ctx, target, events, effective_payload(ctx.plan, ctx.product, cmdline))


def _warn(ctx, message: str) -> None:
    if hasattr(ctx, "warn"):
        ctx.warn(message)
    else:
        ctx.log.warning("%s", message)


def _liveimg(ctx, target: Path, events) -> None:
    from installer.payload.liveimg import LiveImageError, LiveImageInstaller

    image = ctx.plan.payload.liveimg

    def progress(done: int, total: int | None) -> None:
        events(Progress(step=STEP, done=done, total=total or max(done, 1), unit="bytes",
                        item=image.url, bytes_done=done, bytes_total=total))

    try:
        LiveImageInstaller(image, target, log=ctx.log, progress=progress).run()
    except LiveImageError as e:
        raise PayloadError(str(e)) from None


def _dnf(ctx, target: Path, events, payload) -> None:
    from installer.payload.dnf import DnfError, DnfPayload

    mounted: list[Path] = []

    def progress(state) -> None:
        item = state.item if state.phase != "downloading" else f"downloading {state.item}"
        events(Progress(step=STEP, done=state.done, total=max(state.total, 1), unit="packages",
                        item=item, bytes_done=state.bytes_done if state.bytes_total else None,
                        bytes_total=state.bytes_total))

    try:
        if payload.source is not None and repos.is_device_source(payload.source.baseurl):
            payload = _with_mounted_source(ctx, payload, mounted)
        DnfPayload(payload, ctx.product, target, log=ctx.log, progress=progress,
                   warn=lambda message: _warn(ctx, message)).run()
    except DnfError as e:
        raise PayloadError(str(e)) from None
    finally:
        for mnt in reversed(mounted):
            subprocess.run(["umount", str(mnt)], capture_output=True)


def _with_mounted_source(ctx, payload, mounted: list[Path]):
    """hd:/nfs: sources are mounted read-only and used as file:// repositories."""
    from installer.payload.dnf import DnfError

    try:
        kind, dev, path, opts = repos.parse_device_source(payload.source.baseurl)
    except repos.RepositoryError as e:
        raise DnfError(f"The installation source is not usable: {e}.") from None
    mnt = SOURCES_DIR / "inst.repo"
    mnt.mkdir(parents=True, exist_ok=True)
    if kind == "hd":
        cmd = ["mount", "-o", "ro", dev if dev.startswith("/dev/") else _findfs(dev), str(mnt)]
    else:
        cmd = ["mount", "-t", "nfs", "-o", ",".join(filter(None, ["ro", opts])), f"{dev}:{path}", str(mnt)]
        path = "/"
    proc = subprocess.run(cmd, capture_output=True, text=True)
    ctx.log.info("mount: %s -> %d %s", " ".join(cmd), proc.returncode, proc.stderr.strip())
    if proc.returncode != 0:
        raise DnfError(f"The installation source {payload.source.baseurl} cannot be mounted: "
                       f"{proc.stderr.strip() or 'mount failed'}. Nothing was installed.")
    mounted.append(mnt)
    new = copy.deepcopy(payload)
    new.source.baseurl = "file://" + str(mnt / path.lstrip("/"))
    return new


def _findfs(spec: str) -> str:
    found = shutil.which("findfs") and subprocess.run(["findfs", spec], capture_output=True, text=True)
    return found.stdout.strip() if found and found.returncode == 0 else spec
