"""Kickstart scripts: %pre, %pre-install, %post, %onerror.

%post runs chrooted into the target unless --nochroot; the others run in the live
environment with ANA_INSTALL_PATH and AZL_TARGET naming the target root. Output goes
to the install log (and to --log FILE); a failing --erroronfail script stops the
install with its output in the message.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

from installer.chroot import resolve
from installer.context import InstallContext, StepError
from installer.model.plan import Script

OUTPUT_TAIL = 15


def of_kind(ctx: InstallContext, kind: str) -> list[Script]:
    return [s for s in ctx.plan.scripts if s.kind == kind]


def describe(ctx: InstallContext, kind: str) -> list[str]:
    out = []
    for s in of_kind(ctx, kind):
        where = "in the target (chroot)" if _chrooted(s) else "in the live environment"
        flags = " --erroronfail" if s.erroronfail else ""
        flags += f" --log={s.log}" if s.log else ""
        lines = len(s.body.strip().splitlines())
        out.append(f"run %{kind} from {s.origin} with {s.interpreter} {where}, {lines} lines{flags}")
    return out or [f"no %{kind} scripts"]


def run_all(ctx: InstallContext, kind: str) -> None:
    for number, script in enumerate(of_kind(ctx, kind), start=1):
        run_script(ctx, script, number)


def run_onerror(ctx: InstallContext) -> None:
    for number, script in enumerate(of_kind(ctx, "onerror"), start=1):
        try:
            run_script(ctx, script, number, chroot=False, check=False)
        except Exception as exc:  # %onerror must never hide the original failure
            ctx.log.warning("%%onerror script %d could not run: %s", number, exc)


def _chrooted(script: Script) -> bool:
    return script.kind == "post" and script.chroot


def run_script(ctx: InstallContext, script: Script, number: int, *, chroot: bool | None = None,
               check: bool | None = None) -> None:
    chroot = _chrooted(script) if chroot is None else chroot
    check = script.erroronfail if check is None else check
    name = f"ks-script-{script.kind}-{number}"
    label = f"%{script.kind} script {number} ({script.origin})"
    if ctx.dry_run:
        ctx.log.info("would run %s", label)
        return
    if chroot:
        host_file = ctx.path(f"/tmp/{name}")
        inside_file = f"/tmp/{name}"
    else:
        host_file = ctx.log_dir / name
        inside_file = str(host_file)
    host_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(host_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o700)
    with os.fdopen(fd, "w") as fh:
        fh.write(script.body if script.body.endswith("\n") else script.body + "\n")
    env = {"ANA_INSTALL_PATH": str(ctx.target), "AZL_TARGET": str(ctx.target)}
    ctx.info(f"running {label}")
    try:
        proc = ctx.run([*shlex.split(script.interpreter), inside_file], chroot=chroot, check=False, env=env)
    finally:
        if chroot:
            host_file.unlink(missing_ok=True)
        elif host_file.is_file():  # kept with the logs: without the secrets it may have held to run
            host_file.write_text(ctx.redact(host_file.read_text(errors="replace")))
    output = (proc.stdout or "") + (proc.stderr or "")
    if script.log:
        _append_log(ctx, script.log, chroot, output)
    if proc.returncode == 0:
        return
    tail = output.strip().splitlines()[-OUTPUT_TAIL:]
    shown = "\n".join(tail) if tail else "(no output)"
    if check:
        raise StepError(f"{label} failed with exit status {proc.returncode} and the kickstart "
                        f"says --erroronfail; its output ended with:\n{shown}")
    ctx.warn(f"{label} exited with status {proc.returncode} (ignored: no --erroronfail)")


def _append_log(ctx: InstallContext, log: str, chroot: bool, output: str) -> None:
    path = resolve(ctx.target, log) if chroot else Path(log)  # a chrooted script's log stays in the target
    path.parent.mkdir(parents=True, exist_ok=True)
    # 0600 and through the install log's filter: a script's output can echo a password.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as fh:
        os.fchmod(fh.fileno(), 0o600)
        fh.write(ctx.redact(output))
