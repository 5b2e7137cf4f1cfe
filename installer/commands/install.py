"""azl-install install: an unattended install from a kickstart file."""

from __future__ import annotations

import argparse
import os
import sys
import time

HELP = "install from a kickstart file (unattended); --dry-run shows what each step would do"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = ("Without --yes (and without --dry-run) the disks the plan erases are listed (model, size, "
                     "serial, contents) and, on a terminal, 'erase' must be typed. Exit codes: 0 done, 1 invalid "
                     "kickstart, failed install or erasing not confirmed, 2 usage, 4 nothing changed because what "
                     "the plan erases could not be determined.")
    parser.add_argument("--kickstart", "-k", required=True, metavar="FILE",
                        help="the kickstart or image configuration (YAML/JSON): a path, or an inst.ks= location "
                             "(hd:DEVICE:/path, http(s)://, file:)")
    parser.add_argument("--machine", metavar="PROFILE",
                        help="machine profile JSON instead of probing this machine (dry runs and tests)")
    parser.add_argument("--product", metavar="NAME", default=None, help="product definition (default: azurelinux-4.0)")
    parser.add_argument("--dry-run", action="store_true", help="validate and show every step; change nothing")
    parser.add_argument("--target", metavar="DIR", default="/mnt/sysroot", help="target root (default: /mnt/sysroot)")
    parser.add_argument("--yes", action="store_true", help="confirm erasing the data the plan destroys")
    parser.add_argument("--report", metavar="URL",
                        help="POST every engine event (the --json-events schema) to this http(s) endpoint "
                             "in the background (inst.report=; docs/fleet.md)")
    parser.add_argument("--cacert", metavar="FILE",
                        help="CA bundle that verifies https kickstart and --report URLs (inst.ks.cacert=)")
    parser.add_argument("--json-events", nargs="?", const="-", default=None, metavar="FILE|-",
                        help="write the engine events as JSON lines (docs/events.schema.json) to FILE, "
                             "or to standard output instead of the console view with '-' or no value")
    parser.add_argument("--strict", action="store_true",
                        help="kickstart warnings are errors (the boot option inst.ksstrict)")
    parser.add_argument("--nosave", default="", metavar="LIST",
                        help="comma-separated: input_ks, output_ks, all_ks, logs, all: what the installed system "
                             "does not get a copy of (the boot option inst.nosave=)")
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


class JsonLines:
    """Engine events as versioned JSON lines (installer.model.eventjson) to a stream."""

    def __init__(self, out):
        self.out = out

    def __call__(self, event) -> None:
        self.out.write(event.to_json() + "\n")
        self.out.flush()


class Tee:
    def __init__(self, *sinks):
        self.sinks = sinks

    def __call__(self, event) -> None:
        for sink in self.sinks:
            sink(event)


def console_renderer(out=None):
    """The terminal view on a local terminal; plain timestamped lines on a serial line or a pipe."""
    from installer.live.render import PlainRenderer, TerminalRenderer, wants_plain

    out = out if out is not None else sys.stdout
    return PlainRenderer(out) if wants_plain(out) else TerminalRenderer(out)


def open_events_file(path: str):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    return os.fdopen(fd, "w", encoding="ascii")


def _tell_monitors(step: str, message: str) -> None:
    """A failure before the engine starts still reaches the monitors on the other consoles."""
    from installer import eventbus
    from installer.model.events import Failed

    server = eventbus.serve_from_env()
    if server is not None:
        server(Failed(step=step, message=message))
        import time as _time

        _time.sleep(1.0)  # monitors reconnect every half second: let them read it
        server.close()


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
    from installer.live.bootopts import NOSAVE_EXPANDS, NOSAVE_VALUES

    nosave: set[str] = set()
    for item in filter(None, args.nosave.split(",")):
        if item not in NOSAVE_VALUES:
            print(f"azl-install install: --nosave: {item!r} is not one of {', '.join(sorted(NOSAVE_VALUES))}",
                  file=err)
            return 2
        nosave |= NOSAVE_EXPANDS.get(item, {item})
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
    strict_failure = args.strict and any(not d.is_error for d in result.diagnostics)
    if not result.ok or result.plan is None or strict_failure:
        why = "has errors" if not result.ok or result.plan is None else "has warnings (strict: inst.ksstrict)"
        print(f"azl-install install: {kickstart} {why}; nothing was changed", file=err)
        _tell_monitors("validate", f"{kickstart} {why}; nothing was changed:\n"
                       + "\n".join(str(d) for d in result.diagnostics))
        return 1
    plan = result.plan
    if machine is None:
        from installer.probe.udev import probe_machine

        machine = probe_machine(live_label=product.live_label)
    return execute(args, plan, machine, product, marks)


def execute(args: argparse.Namespace, plan, machine, product, marks: bool = False) -> int:
    """Confirm what the plan erases (unless --yes or --dry-run), then run the engine: shared by
    `install` and `reinstall`."""
    from installer import engine

    err = sys.stderr
    if not args.dry_run and not args.yes:
        stop = confirm_erasure(plan, machine, product, err=err)
        if stop is not None:
            return stop
    from installer.live.bootopts import NOSAVE_EXPANDS
    from installer.live.render import divert_native_stderr

    nosave: set[str] = set()
    for item in filter(None, args.nosave.split(",")):  # checked by the caller
        nosave |= NOSAVE_EXPANDS.get(item, {item})
    divert_native_stderr(args.log_dir)
    err = sys.stderr
    json_only = args.json_events == "-"
    events_file = None
    if json_only:
        renderer = JsonLines(sys.stdout)
    else:
        renderer = console_renderer()
        if args.json_events:
            try:
                events_file = open_events_file(args.json_events)
            except OSError as exc:
                print(f"azl-install install: --json-events {args.json_events}: {exc.strerror}", file=err)
                return 2
            renderer = Tee(renderer, JsonLines(events_file))
    if marks:
        renderer = PhaseMarks(renderer)
    reporter = None
    if args.report:
        from installer.installlog import RedactFilter, plan_secrets
        from installer.live.report import Reporter

        try:
            reporter = Reporter(args.report, cafile=args.cacert, redact=RedactFilter(plan_secrets(plan)).redact,
                                log=lambda m: print(f"azl-install: {m}", file=err, flush=True))
        except ValueError as exc:
            print(f"azl-install install: {exc}", file=err)
            return 2
        renderer = Tee(renderer, reporter)
    try:
        outcome = engine.run(plan, machine, product, target=args.target, events=renderer,
                             dry_run=args.dry_run, log_dir=args.log_dir, power_action=not args.no_power_action,
                             nosave=frozenset(nosave), strict=args.strict)
    finally:
        if reporter is not None:
            stats = reporter.close(0.5 if reporter.ended else reporter.flush_seconds)
            print(f"azl-install: inst.report: {stats.delivered} of {stats.queued} events delivered"
                  + (f", {stats.pending} undelivered ({stats.last_error})" if stats.pending else "")
                  + (f", {stats.dropped} dropped (buffer full)" if stats.dropped else ""), file=err, flush=True)
        if events_file is not None:
            events_file.close()
    if not json_only:
        if outcome.warnings:
            print(f"{len(outcome.warnings)} warning(s):")
            for warning in outcome.warnings:
                print(f"  {warning}")
        print(f"The install log is {outcome.log_path}")
    return 0 if outcome.ok else 1
