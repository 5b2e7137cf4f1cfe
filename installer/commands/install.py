"""azl-install install: an unattended install from a kickstart file."""

from __future__ import annotations

import argparse
import os
import sys
import time

HELP = "install from a kickstart file (unattended); --dry-run shows what each step would do"
PROGRESS_EVERY = 2.0  # seconds between plain progress lines for one step


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = ("Without --yes (and without --dry-run) the disks the plan erases are listed (model, size, "
                     "serial, contents) and, on a terminal, 'erase' must be typed. Exit codes: 0 done, 1 invalid "
                     "kickstart, failed install or erasing not confirmed, 2 usage, 4 nothing changed because what "
                     "the plan erases could not be determined.")
    parser.add_argument("--kickstart", "-k", required=True, metavar="FILE",
                        help="the kickstart: a path, or an inst.ks= location (hd:DEVICE:/path, http(s)://, file:)")
    parser.add_argument("--machine", metavar="PROFILE",
                        help="machine profile JSON instead of probing this machine (dry runs and tests)")
    parser.add_argument("--product", metavar="NAME", default=None, help="product definition (default: azurelinux-4.0)")
    parser.add_argument("--dry-run", action="store_true", help="validate and show every step; change nothing")
    parser.add_argument("--target", metavar="DIR", default="/mnt/sysroot", help="target root (default: /mnt/sysroot)")
    parser.add_argument("--yes", action="store_true", help="confirm erasing the data the plan destroys")
    parser.add_argument("--json-events", action="store_true", help="print engine events as JSON lines")
    parser.add_argument("--log-dir", metavar="DIR", default="/tmp/azl-install",
                        help="where the live install log goes (default: /tmp/azl-install)")
    parser.add_argument("--no-power-action", action="store_true",
                        help="do not reboot/power off/halt at the end even if the kickstart says so "
                             "(the caller does it; used when several installs share one live session)")
    parser.add_argument("--phase-marks", action="store_true",
                        help="print 'azl-phase: NAME UPTIME' lines (storage, payload, config, bootloader, "
                             "unmount, done) for benchmarks")


# Benchmark phases (as the VM harness's reference install prints them), by the step that opens each.
PHASE_OF_STEP = {"payload": "payload", "fstab": "config", "bootloader": "bootloader", "post_scripts": "config",
                 "unmount": "unmount"}


def phase_mark(name: str, out=sys.stdout) -> None:
    try:
        with open("/proc/uptime") as fh:
            uptime = fh.read().split()[0]
    except OSError:
        uptime = f"{time.monotonic():.2f}"
    print(f"azl-phase: {name} {uptime}", file=out, flush=True)


class PhaseMarks:
    """Wraps a renderer, printing a phase mark before the step that opens each phase."""

    def __init__(self, inner):
        self.inner = inner

    def __call__(self, event) -> None:
        if event.kind == "step-started" and event.step in PHASE_OF_STEP:
            phase_mark(PHASE_OF_STEP[event.step])
        self.inner(event)
        if event.kind in ("finished", "failed"):
            phase_mark("done")


class ConsoleRenderer:
    """Engine events as plain lines (80 columns, serial-console safe) or as JSON lines."""

    def __init__(self, out=sys.stdout, json_lines: bool = False):
        self.out = out
        self.json_lines = json_lines
        self._last_progress: dict[str, float] = {}

    def __call__(self, event) -> None:
        if self.json_lines:
            print(event.to_json(), file=self.out, flush=True)
            return
        line = self.render(event)
        if line is not None:
            print(line, file=self.out, flush=True)

    def render(self, event) -> str | None:
        kind = event.kind
        if kind == "step-started":
            return f"[{event.index:2d}/{event.total}] {event.title}"
        if kind == "step-finished":
            return f"        skipped: nothing to do" if event.skipped else None
        if kind == "progress":
            now = time.monotonic()
            final = event.done >= event.total
            if not final and now - self._last_progress.get(event.step, 0.0) < PROGRESS_EVERY:
                return None
            self._last_progress[event.step] = now
            pct = 100.0 * event.done / event.total if event.total else 100.0
            item = f"  {event.item}" if event.item else ""
            return f"        {pct:5.1f}%{item}"[:100]
        if kind == "log":
            if event.level == "debug":
                return None
            prefix = "" if event.level == "info" else f"{event.level}: "
            return f"        {prefix}{event.message}"
        if kind == "failed":
            lines = [f"Installation failed ({event.step}):", event.message]
            if event.log_tail:
                lines.append("--- last lines of the install log ---")
                lines += event.log_tail
            return "\n".join(lines)
        if kind == "finished":
            what = "Dry run" if event.dry_run else "Installation"
            return f"{what} finished in {event.seconds:.0f} s."
        return None


EXIT_CANNOT_TELL = 4  # nothing changed: what the plan would erase could not be determined
CONFIRM_WORD = "erase"


def erasures_of(plan, machine, product):
    """What the plan destroys on this machine, per disk, from the storage layer's own action list."""
    from installer.storage.preview import preview_storage

    return preview_storage(plan, machine, product).erasures


def confirm_erasure(plan, machine, product, err=sys.stderr, stdin=None) -> int | None:
    """None when the install may go on; else the exit code. Fails closed: no list, no install."""
    from installer.model.diagnostics import PlanError
    from installer.storage.erasure import confirmation_lines

    try:
        erased = erasures_of(plan, machine, product)
    except PlanError as exc:
        for d in exc.diagnostics:
            print(str(d), file=err)
        print("azl-install install: the disk layout cannot be planned; nothing was changed", file=err)
        return 1
    except Exception as exc:  # noqa: BLE001 - whatever it is, the install must not go on unconfirmed
        print(f"azl-install install: cannot tell what this install would erase "
              f"({type(exc).__name__}: {exc}); nothing was changed", file=err)
        return EXIT_CANNOT_TELL
    if not erased:
        return None
    print("This install ERASES data on these disks:", file=err)
    for line in confirmation_lines(erased):
        print(f"  {line}", file=err)
    stdin = sys.stdin if stdin is None else stdin
    if stdin.isatty():
        print(f"Type {CONFIRM_WORD} to erase them and install, anything else to stop: ", end="", file=err, flush=True)
        answer = stdin.readline().strip().lower()
        if answer == CONFIRM_WORD:
            return None
    print("Nothing was changed. Run again with --yes to erase it, or --dry-run to see every step.", file=err)
    return 1


def run(args: argparse.Namespace) -> int:
    from installer import engine
    from installer.commands.validate import UsageError, load_machine_arg, load_product_arg
    from installer.kickstart.files import load_kickstart

    err = sys.stderr
    marks = args.phase_marks or os.environ.get("AZL_PHASE_MARKS") == "1"
    if marks:
        phase_mark("storage")  # everything before the payload counts as storage, reading the kickstart included
    try:
        product = load_product_arg(args.product)
        machine = load_machine_arg(args.machine)
    except UsageError as exc:
        print(f"azl-install install: {exc}", file=err)
        return 2
    kickstart = args.kickstart
    if kickstart.startswith(("hd:", "http://", "https://", "file:")):
        from installer.live.ksfetch import KickstartFetchError, fetch_kickstart

        try:
            kickstart = str(fetch_kickstart(kickstart))
        except KickstartFetchError as exc:
            print(f"azl-install install: {exc}", file=err)
            return 1
    result = load_kickstart(kickstart, product=product)
    if result.ok and result.plan is not None and result.deferred_includes:
        if args.dry_run:
            for d in result.diagnostics:
                print(str(d), file=err)
            print(f"azl-install install: {kickstart} includes files its %pre scripts write, and --dry-run runs "
                  "no script; nothing was changed (use 'azl-install validate' to check the rest)", file=err)
            return 1
        from installer.commands.pre_first import read_after_pre

        result = read_after_pre(kickstart, result, product, args.target, err)
        if result is None:
            return 1
    for d in result.diagnostics:
        print(str(d), file=err)
    if not result.ok or result.plan is None:
        print(f"azl-install install: {kickstart} has errors; nothing was changed", file=err)
        return 1
    plan = result.plan
    if machine is None:
        from installer.probe.udev import probe_machine

        machine = probe_machine(live_label=product.live_label)
    if not args.dry_run and not args.yes:
        stop = confirm_erasure(plan, machine, product, err=err)
        if stop is not None:
            return stop
    renderer = ConsoleRenderer(json_lines=args.json_events)
    if marks:
        renderer = PhaseMarks(renderer)
    outcome = engine.run(plan, machine, product, target=args.target, events=renderer,
                         dry_run=args.dry_run, log_dir=args.log_dir, power_action=not args.no_power_action)
    if not args.json_events:
        if outcome.warnings:
            print(f"{len(outcome.warnings)} warning(s):")
            for warning in outcome.warnings:
                print(f"  {warning}")
        print(f"The install log is {outcome.log_path}")
    return 0 if outcome.ok else 1
