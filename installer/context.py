"""InstallContext: what every install step receives.

It carries the plan, the machine, the product, the mounted target root, the event
sink and the install log, and runs commands for the steps (in the live environment
or chrooted into the target). In a dry run, commands are recorded instead of run.
A test can set `runner` to record commands while the steps still write their files
into a temporary target.
"""

from __future__ import annotations

import logging
import os
import shlex
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from installer.model.events import Event, Log, discard
from installer.model.machine import Machine
from installer.model.plan import InstallPlan
from installer.model.product import Product

CHROOT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
OUTPUT_LINES_LOGGED = 400  # per command; the rest is summarised


class StepError(Exception):
    """A step failed; the message is one paragraph a user can act on."""


@dataclass
class Recorded:
    cmd: list[str]
    chroot: bool
    input: str | None = None


@dataclass
class Background:
    """A command a step started and did not wait for (ctx.start); the engine collects it before
    the step named `until` (and always before unmounting the target)."""
    step: str | None
    cmd: list[str]
    shown: str
    until: str
    check: bool
    proc: subprocess.Popen | None = None
    output: Any = None  # a temporary file: a pipe nobody reads could fill and block the command


Runner = Callable[[list[str], str | None, dict[str, str] | None], subprocess.CompletedProcess]


@dataclass
class InstallContext:
    plan: InstallPlan
    machine: Machine
    product: Product
    target: Path = Path("/mnt/sysroot")
    events: Callable[[Event], None] = discard
    dry_run: bool = False
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("azl-install"))
    # Set by the storage/mount steps when they know better than discovery from mounts.
    storage: Any = None
    boot_disks: list[str] | None = None  # whole disks that get GRUB (BIOS): every RAID1 member
    root_device: str | None = None  # the block device mounted at / in the target
    # Shared between steps.
    step: str | None = None
    kernel_args: list[str] = field(default_factory=list)  # extra args steps ask the bootloader for
    live_cmdline: str | None = None  # the live kernel's command line (None: read /proc/cmdline)
    log_dir: Path = Path("/tmp/azl-install")
    warnings: list[str] = field(default_factory=list)
    finish_command: list[str] | None = None
    runner: Runner | None = None
    recorded: list[Recorded] = field(default_factory=list)
    redact: Callable[[str], str] = field(default=lambda text: text)  # the install log's secret filter
    nosave: frozenset[str] = frozenset()  # inst.nosave=: input_ks, output_ks, logs the target does not get
    background: list[Background] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.target = Path(self.target)
        self.log_dir = Path(self.log_dir)

    # ------------------------------------------------------------ paths
    def path(self, inside: str) -> Path:
        """The host path of a path inside the target."""
        return self.target / inside.lstrip("/")

    # ------------------------------------------------------------ reporting
    def info(self, message: str) -> None:
        message = self.redact(message)
        self.log.info(message)
        self.events(Log(level="info", message=message, step=self.step))

    def warn(self, message: str) -> None:
        message = self.redact(message)
        self.log.warning(message)
        self.warnings.append(message)
        self.events(Log(level="warning", message=message, step=self.step))

    def cmdline(self) -> str:
        if self.live_cmdline is None:
            try:
                self.live_cmdline = Path("/proc/cmdline").read_text().strip()
            except OSError:
                self.live_cmdline = ""
        return self.live_cmdline

    # ------------------------------------------------------------ commands
    def run(self, cmd: list[str], *, chroot: bool = False, input: str | None = None,
            check: bool = True, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        """Run a command (chrooted into the target when asked), logging it and its output.

        `input` is never logged: it carries password hashes for chpasswd."""
        argv = ["chroot", str(self.target), *cmd] if chroot else list(cmd)
        shown = shlex.join(cmd) + ("  (in target)" if chroot else "")
        if self.dry_run or self.runner is not None:
            self.recorded.append(Recorded(list(cmd), chroot, input))
        if self.dry_run:
            self.log.info("would run: %s", shown)
            return subprocess.CompletedProcess(argv, 0, "", "")
        self.log.info("running: %s", shown)
        run_env = dict(os.environ)
        run_env.setdefault("LANG", "C.UTF-8")
        if chroot:
            run_env["PATH"] = CHROOT_PATH
        if env:
            run_env.update(env)
        if self.runner is not None:
            proc = self.runner(argv, input, env)
        else:
            try:
                proc = subprocess.run(argv, input=input, capture_output=True, text=True, errors="replace",
                                      env=run_env, stdin=None if input is not None else subprocess.DEVNULL)
            except FileNotFoundError as exc:
                raise StepError(f"cannot run {shown}: {exc.strerror}: {exc.filename}") from None
        self._log_output(proc)
        if check and proc.returncode != 0:
            raise StepError(f"{shown} failed with exit status {proc.returncode}: {_tail(proc)}")
        return proc

    def start(self, cmd: list[str], *, until: str, chroot: bool = False, check: bool = True) -> None:
        """Run a command while the next steps run; it must be done before the step `until` starts
        (the engine waits there, and before unmounting). Dry runs and test runners run it at once."""
        if self.dry_run or self.runner is not None:
            self.run(cmd, chroot=chroot, check=check)
            return
        argv = ["chroot", str(self.target), *cmd] if chroot else list(cmd)
        shown = shlex.join(cmd) + ("  (in target)" if chroot else "")
        self.log.info("starting: %s  (in the background, done before step %s)", shown, until)
        run_env = dict(os.environ)
        run_env.setdefault("LANG", "C.UTF-8")
        if chroot:
            run_env["PATH"] = CHROOT_PATH
        out = tempfile.TemporaryFile()  # noqa: SIM115 - closed by wait_background/stop_background
        try:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                    env=run_env)
        except FileNotFoundError as exc:
            out.close()
            raise StepError(f"cannot run {shown}: {exc.strerror}: {exc.filename}") from None
        self.background.append(Background(self.step, list(cmd), shown, until, check, proc, out))

    def wait_background(self, before: str | None = None) -> None:
        """Wait for the background commands due before step `before` (all of them when None);
        a failed one raises StepError naming the step that started it."""
        due = [b for b in self.background if before is None or b.until == before]
        failed: list[str] = []
        for job in due:
            self.background.remove(job)
            rc = job.proc.wait()
            job.output.seek(0)
            text = job.output.read().decode(errors="replace")
            job.output.close()
            self.log.info("finished: %s (started by step %s)", job.shown, job.step)
            self._log_output(subprocess.CompletedProcess(job.cmd, rc, text, ""))
            if rc and job.check:
                proc = subprocess.CompletedProcess(job.cmd, rc, text, "")
                failed.append(f"{job.shown} (started by step {job.step}) failed with exit status {rc}: "
                              f"{_tail(proc)}")
        if failed:
            raise StepError("; ".join(failed))

    def stop_background(self) -> None:
        """After a failure: end the background commands (they may hold the target busy)."""
        for job in list(self.background):
            self.background.remove(job)
            if job.proc.poll() is None:
                job.proc.kill()
            job.proc.wait()
            job.output.close()
            self.log.info("stopped: %s (started by step %s)", job.shown, job.step)

    def _log_output(self, proc: subprocess.CompletedProcess) -> None:
        lines = ((proc.stdout or "") + (proc.stderr or "")).splitlines()
        for line in lines[:OUTPUT_LINES_LOGGED]:
            self.log.debug("  | %s", line)
        if len(lines) > OUTPUT_LINES_LOGGED:
            self.log.debug("  | ... %d more lines", len(lines) - OUTPUT_LINES_LOGGED)
        if proc.returncode:
            self.log.info("  exit status %d", proc.returncode)

    # ------------------------------------------------------------ files in the target
    def write(self, inside: str, text: str, mode: int = 0o644, uid: int | None = None,
              gid: int | None = None) -> Path:
        """Write a file in the target (replacing it atomically); in a dry run, only log it.

        The directory is looked up through the target's own symlinks, so a link such as
        /etc/foo -> /usr/lib/foo can never lead outside the target root."""
        from installer.chroot import resolve

        dest = resolve(self.target, os.path.dirname(inside)) / os.path.basename(inside)
        if self.dry_run:
            self.log.info("would write %s", inside)
            return dest
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.azl-tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.chmod(tmp, mode)
        if uid is not None or gid is not None:
            os.chown(tmp, -1 if uid is None else uid, -1 if gid is None else gid)
        os.replace(tmp, dest)
        self.log.info("wrote %s (mode %o)", inside, mode)
        return dest


def _tail(proc: subprocess.CompletedProcess, lines: int = 8) -> str:
    out = ((proc.stdout or "") + (proc.stderr or "")).strip().splitlines()
    return " / ".join(out[-lines:]) if out else "no output"
