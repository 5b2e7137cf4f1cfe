"""The install engine: one ordered list of small steps, run (or described) in turn.

Each step is a module in installer/steps with TITLE, apply(ctx) and optionally
describe(ctx) (for dry runs) and applies(ctx). Modules are imported by name when a
run starts, so a missing one is reported clearly instead of breaking this import.
"""

from __future__ import annotations

import importlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Sequence

from installer.context import InstallContext, StepError
from installer.model.events import Event, Failed, Finished, Log, StepFinished, StepStarted, discard

# The whole install, in order.
STEPS: tuple[str, ...] = (
    "network_live",         # network --activate: the live environment's network, for %pre and repositories
    "pre_scripts",          # %pre, in the live environment, before storage is touched
    "preflight",            # %packages against the repositories' metadata, and their size against the layout
    "storage",              # partitions, LUKS, RAID, LVM, filesystems
    "mount",                # the target tree under the target root, plus /proc /sys /dev /run
    "preinstall_scripts",   # %pre-install
    "payload",              # packages (dnf) or an image (liveimg)
    "fstab",                # /etc/fstab and /etc/crypttab
    "network",              # NetworkManager keyfiles, hostname
    "accounts",             # root, users, SSH keys
    "ssh",                  # sshd policy, no copied host keys
    "selinux",              # /etc/selinux/config
    "timezone",             # /etc/localtime, /etc/adjtime, chrony
    "locale",               # /etc/locale.conf, /etc/vconsole.conf
    "services",             # systemctl enable/disable
    "firewall",             # firewalld, offline
    "bootloader",           # GRUB, kernel command line, initramfs, EFI boot entry
    "post_scripts",         # %post
    "save",                 # installer-ks.cfg, original-ks.cfg, logs
    "relabel",              # SELinux labels for the whole target
    "unmount",              # everything under the target root, in reverse
    "finish",               # eject; reboot / poweroff / halt
)

# Before these steps every command an earlier step started in the background (ctx.start) is done:
# what they save, label or unmount is complete.
WAIT_ALL_BEFORE = {"save", "relabel", "unmount", "finish"}

# Steps that create mounts: once one of them started, a failure must unmount.
MOUNTING_STEPS = {"storage", "mount"}


class StepMissing(Exception):
    pass


@dataclass
class StepReport:
    name: str
    title: str
    seconds: float = 0.0
    skipped: bool = False
    description: list[str] = field(default_factory=list)


@dataclass
class InstallResult:
    ok: bool
    dry_run: bool
    seconds: float = 0.0
    steps: list[StepReport] = field(default_factory=list)
    failure: Failed | None = None
    diagnostics: list[Any] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    log_path: Path | None = None
    recorded: list[Any] = field(default_factory=list)

    @property
    def message(self) -> str:
        return self.failure.message if self.failure else ""


def load_step(name: str | ModuleType | Any) -> Any:
    """The step module for `name` (or the object itself, for tests and plug-ins)."""
    if not isinstance(name, str):
        return name
    try:
        module = importlib.import_module(f"installer.steps.{name}")
    except ModuleNotFoundError as exc:
        if exc.name == f"installer.steps.{name}":
            raise StepMissing(f"the install step {name!r} is not available "
                              f"(module installer/steps/{name}.py is missing)") from None
        raise
    if not callable(getattr(module, "apply", None)):
        raise StepMissing(f"the install step module installer/steps/{name}.py has no apply(ctx)")
    return module


def step_name(step: Any) -> str:
    if isinstance(step, str):
        return step
    return getattr(step, "NAME", None) or getattr(step, "__name__", "step").rsplit(".", 1)[-1]


def run(plan, machine, product, *, events: Callable[[Event], None] = discard, **kwargs) -> InstallResult:
    """Validate the plan, then run (or, in a dry run, describe) every step in order. The events
    also go to the live event socket when the live launcher asked for one (AZL_EVENT_SOCKET)."""
    from installer import eventbus

    server = eventbus.serve_from_env()
    if server is None:
        return _run(plan, machine, product, events=events, **kwargs)
    sink = events

    def both(event: Event) -> None:
        server(event)
        sink(event)

    try:
        return _run(plan, machine, product, events=both, **kwargs)
    finally:
        server.close()


def _run(plan, machine, product, *, target: str | Path = "/mnt/sysroot",
         events: Callable[[Event], None] = discard, dry_run: bool = False,
         log_dir: str | Path = "/tmp/azl-install", steps: Sequence[Any] | None = None,
         validator: Callable | None = None, runner=None, power_action: bool = True,
         nosave: frozenset[str] = frozenset(), strict: bool = False) -> InstallResult:
    from installer import installlog

    started = time.monotonic()
    install_log = installlog.setup(Path(log_dir), plan, "dry-run.log" if dry_run else installlog.LOG_NAME)
    ctx = InstallContext(plan=plan, machine=machine, product=product, target=Path(target), events=events,
                         dry_run=dry_run, log=install_log.logger, log_dir=Path(log_dir), runner=runner,
                         redact=install_log.redactor.redact, nosave=frozenset(nosave))
    result = InstallResult(ok=False, dry_run=dry_run, log_path=install_log.path, recorded=ctx.recorded)
    log = ctx.log
    log.info("azl-install %s: product %s, target %s", "dry run" if dry_run else "install", product.id, target)

    def fail(step: str, message: str) -> InstallResult:
        message = ctx.redact(message)
        log.error("%s: %s", step, message)
        failure = Failed(step=step, message=message, log_tail=install_log.tail_lines())
        result.failure = failure
        result.warnings = list(ctx.warnings)
        result.seconds = time.monotonic() - started
        events(failure)
        install_log.close()
        return result

    # 1. Validate the whole plan before anything is written.
    try:
        diagnostics = _validate(plan, machine, product, validator)
    except StepError as exc:
        return fail("validate", str(exc))
    result.diagnostics = diagnostics
    for d in diagnostics:
        if not getattr(d, "is_error", True):
            ctx.warn(str(d))
    errs = [d for d in diagnostics if strict or getattr(d, "is_error", True)]
    if errs:
        why = "has warnings (strict: inst.ksstrict)" if strict and not any(
            getattr(d, "is_error", True) for d in errs) else "is not valid"
        return fail("validate", f"The install plan {why}; nothing was changed:\n"
                    + "\n".join(str(d) for d in errs))

    # 2. Resolve every step before running the first one.
    names = list(steps if steps is not None else STEPS)
    modules: list[tuple[str, Any]] = []
    missing: list[str] = []
    for entry in names:
        try:
            modules.append((step_name(entry), load_step(entry)))
        except StepMissing as exc:
            missing.append(str(exc))
            modules.append((step_name(entry), None))
        except Exception as exc:  # a step module that fails to import is a bug worth naming
            missing.append(f"the install step {step_name(entry)!r} failed to load: {type(exc).__name__}: {exc}")
            modules.append((step_name(entry), None))
    if missing and not dry_run:
        return fail("engine", "This installer build cannot install yet; nothing was changed: "
                    + "; ".join(missing) + ".")

    # 3. Run (or describe) the steps.
    total = len(modules)
    mounted = False
    for index, (name, module) in enumerate(modules, start=1):
        ctx.step = name
        title = getattr(module, "TITLE", name) if module is not None else name
        report = StepReport(name, title)
        result.steps.append(report)
        events(StepStarted(step=name, index=index, total=total, title=title))
        t0 = time.monotonic()
        if module is None:
            message = next(m for m in missing if repr(name) in m)
            log.error("%s", message)
            events(Log(level="error", message=message, step=name))
            report.description = [f"cannot run: {message}"]
            events(StepFinished(step=name, seconds=0.0, skipped=True))
            continue
        try:
            if not dry_run:  # what earlier steps left running must be done before this one
                ctx.wait_background(None if name in WAIT_ALL_BEFORE else name)
            if hasattr(module, "applies") and not module.applies(ctx):
                report.skipped = True
                log.info("step %s: nothing to do", name)
            elif dry_run:
                lines = module.describe(ctx) if hasattr(module, "describe") else [title]
                report.description = list(lines)
                report.description = [ctx.redact(line) for line in report.description]
                for line in report.description:
                    log.info("%s: %s", name, line)
                    events(Log(level="info", message=line, step=name))
            else:
                log.info("=== step %d/%d %s: %s", index, total, name, title)
                mounted = mounted or name in MOUNTING_STEPS
                module.apply(ctx)
        except Exception as exc:
            message = _one_paragraph(name, title, exc)
            if not _expected(exc):
                log.exception("step %s failed", name)
            if not dry_run:
                _on_error(ctx, mounted)
            return fail(name, message)
        report.seconds = time.monotonic() - t0
        events(StepFinished(step=name, seconds=report.seconds, skipped=report.skipped))

    try:
        ctx.wait_background()
    except Exception as exc:
        _on_error(ctx, mounted)
        return fail("engine", _one_paragraph("engine", "Finishing", exc))
    if missing:
        return fail("engine", "Dry run finished, but this installer build cannot install yet: "
                    + "; ".join(missing) + ".")
    result.ok = True
    result.warnings = list(ctx.warnings)
    result.seconds = time.monotonic() - started
    log.info("%s finished in %.1f s", "dry run" if dry_run else "install", result.seconds)
    events(Finished(seconds=result.seconds, dry_run=dry_run))
    install_log.close()
    if power_action and not dry_run and ctx.finish_command:
        _power(ctx)
    return result


def _validate(plan, machine, product, validator) -> list[Any]:
    if validator is None:
        try:
            from installer.validate.validator import validate as validator
        except ImportError as exc:
            raise StepError(f"cannot validate the plan: the validation module is unavailable ({exc}); "
                            "nothing was changed") from None
    from installer.model.diagnostics import PlanError

    try:
        found = validator(plan, machine, product)
    except PlanError as exc:
        return list(exc.diagnostics)
    return list(found or [])


def _one_paragraph(name: str, title: str, exc: BaseException) -> str:
    if _expected(exc):
        detail = str(exc)
    else:
        detail = f"internal error {type(exc).__name__}: {exc} (the traceback is in the log)"
    return f"{title or name} failed: {detail}"


def _expected(exc: BaseException) -> bool:
    """Errors the installer raises on purpose carry a message for the user, not a bug."""
    from installer.model.diagnostics import PlanError

    if isinstance(exc, (StepError, PlanError)):
        return True
    return type(exc).__module__.startswith("installer.") and type(exc).__name__.endswith("Error")


def _on_error(ctx: InstallContext, mounted: bool) -> None:
    """%onerror scripts, then take down every mount under the target root."""
    try:
        ctx.stop_background()
    except Exception as exc:
        ctx.log.warning("could not stop the background commands: %s", exc)
    try:
        from installer.steps import scripts

        scripts.run_onerror(ctx)
    except Exception as exc:
        ctx.log.warning("%%onerror scripts could not run: %s", exc)
    if not mounted:
        return
    if "logs" not in ctx.nosave:
        _keep_logs_on_target(ctx)
    try:
        cleanup = load_step("unmount")
        cleanup.apply(ctx)
        return
    except StepMissing:
        pass
    except Exception as exc:
        ctx.log.warning("unmount after failure: %s", exc)
    try:
        from installer.storage.mounts import unmount_all

        unmount_all(str(ctx.target))
    except Exception as exc:
        ctx.log.warning("could not unmount %s after the failure: %s", ctx.target, exc)


def _keep_logs_on_target(ctx: InstallContext) -> None:
    """After a failure with the target root mounted, its /var/log/installer gets the logs so far
    (they stay in the live log directory too)."""
    import os

    from installer import installlog

    if not os.path.ismount(ctx.target):
        return
    try:
        for handler in ctx.log.handlers:
            handler.flush()
        dest = installlog.copy_to_target(ctx.log_dir, ctx.target)
        ctx.log.info("logs so far copied to %s", dest)
    except OSError as exc:
        ctx.log.warning("could not copy the logs to the target: %s", exc)


def _power(ctx: InstallContext) -> None:
    ctx.run(ctx.finish_command, check=False)
