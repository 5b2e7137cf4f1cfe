"""azl-install install: an unattended install from a kickstart file."""

from __future__ import annotations

import argparse
import os
import sys
import time

HELP = "install from a kickstart file (unattended); --dry-run shows what each step would do"
PROGRESS_EVERY = 2.0  # seconds between plain progress lines for one step


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kickstart", "-k", required=True, metavar="FILE",
                        help="the kickstart: a path, or an inst.ks= location (hd:DEVICE:/path, http(s)://, file:)")
    parser.add_argument("--machine", metavar="PROFILE",
                        help="machine profile JSON instead of probing this machine (dry runs and tests)")
    parser.add_argument("--product", metavar="NAME", default=None, help="product definition (default: azurelinux-4.0)")
    parser.add_argument("--dry-run", action="store_true", help="validate and show every step; change nothing")
    parser.add_argument("--target", metavar="DIR", default="/mnt/sysroot", help="target root (default: /mnt/sysroot)")
    parser.add_argument("--yes", action="store_true", help="confirm erasing the data the plan destroys")
    parser.add_argument("--json-events", action="store_true", help="print engine events as JSON lines")
    parser.add_argument("--report", metavar="URL",
                        help="POST every engine event (the --json-events schema) to this http(s) endpoint "
                             "in the background (inst.report=; docs/fleet.md)")
    parser.add_argument("--cacert", metavar="FILE",
                        help="CA bundle that verifies https kickstart and --report URLs (inst.ks.cacert=)")
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


def erased_by(plan, machine, product) -> list[str]:
    """What the plan destroys on this machine (blivet's destroy actions), for the confirmation."""
    from installer.storage.preview import preview_storage

    preview = preview_storage(plan, machine, product)
    return [a for a in preview.actions if a.startswith("destroy")]


def run(args: argparse.Namespace) -> int:
    from installer import engine
    from installer.commands.validate import (
        UsageError,
        load_machine_arg,
        load_product_arg,
    )
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
            from installer.live.ksfetch import HTTPOptions

            kickstart = str(fetch_kickstart(kickstart, http=HTTPOptions(cacert=args.cacert)))
        except KickstartFetchError as exc:
            print(f"azl-install install: {exc}", file=err)
            return 1
    result = load_kickstart(kickstart, product=product)
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
        try:
            erased = erased_by(plan, machine, product)
        except Exception as exc:  # the engine's validation reports plan problems properly
            erased = []
            print(f"azl-install install: could not list what the plan erases: {exc}", file=err)
        if erased:
            print("This install ERASES data:", file=err)
            for line in erased:
                print(f"  {line}", file=err)
            print("Nothing was changed. Run again with --yes to erase it, or --dry-run to see every step.",
                  file=err)
            return 1
    renderer = ConsoleRenderer(json_lines=args.json_events)
    if marks:
        renderer = PhaseMarks(renderer)
    reporter = None
    if args.report:
        from installer.installlog import RedactFilter, plan_secrets
        from installer.live.report import Reporter, Tee

        try:
            reporter = Reporter(args.report, cafile=args.cacert, redact=RedactFilter(plan_secrets(plan)).redact,
                                log=lambda m: print(f"azl-install: {m}", file=err, flush=True))
        except ValueError as exc:
            print(f"azl-install install: {exc}", file=err)
            return 2
        renderer = Tee(renderer, reporter)
    try:
        outcome = engine.run(plan, machine, product, target=args.target, events=renderer,
                             dry_run=args.dry_run, log_dir=args.log_dir, power_action=not args.no_power_action)
    finally:
        if reporter is not None:
            stats = reporter.close(0.5 if reporter.ended else reporter.flush_seconds)
            print(f"azl-install: inst.report: {stats.delivered} of {stats.queued} events delivered"
                  + (f", {stats.pending} undelivered ({stats.last_error})" if stats.pending else "")
                  + (f", {stats.dropped} dropped (buffer full)" if stats.dropped else ""), file=err, flush=True)
    if not args.json_events:
        if outcome.warnings:
            print(f"{len(outcome.warnings)} warning(s):")
            for warning in outcome.warnings:
                print(f"  {warning}")
        print(f"The install log is {outcome.log_path}")
    return 0 if outcome.ok else 1
