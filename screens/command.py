"""azl-install tui: the interactive installer (Textual), over the same plan and engine as kickstart."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys

HELP = "interactive installer (text UI for the console, serial and SSH)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--ks", metavar="KICKSTART", help="pre-fill the plan from a (partial) kickstart")
    parser.add_argument("--dry-run", action="store_true", help="walk the whole install without touching any disk")
    parser.add_argument("--machine", metavar="PROFILE.json", help="use a recorded machine profile instead of probing")
    parser.add_argument("--product", default="azurelinux-4.0", help="product id or TOML file (default: %(default)s)")
    parser.add_argument("--target", default="/mnt/sysimage", help="where the new system is mounted (default: %(default)s)")
    parser.add_argument("--cmdline", default="/proc/cmdline", help=argparse.SUPPRESS)
    parser.add_argument("--countdown", type=int, default=10, help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    from installer.live.bootopts import read_boot_options
    from installer.model.defaults import new_plan
    from installer.model.machine import Machine
    from installer.model.product import load_product
    from installer.model.status import hub_status, ready

    product = load_product(args.product)
    machine = Machine.load(args.machine) if args.machine else None
    boot = read_boot_options(args.cmdline)
    ks_path = args.ks or None
    ks_messages: list[str] = []
    if ks_path:
        from installer.kickstart.files import load_kickstart

        result = load_kickstart(ks_path)
        if result.ok and result.plan is not None and result.deferred_includes:
            from installer.commands.pre_first import read_after_pre  # %include of files %pre writes

            result = read_after_pre(ks_path, result, product, "/mnt/sysroot", sys.stderr)
            if result is None:
                return 1
        if result.plan is None or not result.ok:
            for d in result.diagnostics:
                print(f"azl-install: {d}", file=sys.stderr)
            print(f"azl-install: fix {ks_path} and start again", file=sys.stderr)
            return 1
        plan = result.plan
        ks_messages = [str(d) for d in result.diagnostics]  # warnings, shown on the hub
    else:
        plan = new_plan(product)
    plan.interactive = True

    autostart = False
    if ks_path and boot.ks is not None and not boot.cmdline:
        if machine is None:
            from installer.probe.udev import probe_machine

            machine = probe_machine()
        from installer.validate.validator import validate

        autostart = ready(hub_status(plan, machine, validate(plan, machine, product)))

    from screens.app import InstallerApp

    log_dir = os.environ.get("AZL_INSTALL_LOG_DIR", "/tmp/azl-install")

    app = InstallerApp(
        plan=plan, machine=machine, product=product, dry_run=args.dry_run, target=args.target,
        autostart=autostart, ks_path=ks_path, ks_messages=ks_messages,
        watch_disks=args.machine is None, countdown_seconds=args.countdown,
        log_dir=log_dir, look_for_previous=args.machine is None,
    )
    with stderr_to_file(os.path.join(log_dir, "tui-stderr.log")):
        code = app.run(mouse=not app.use_ansi)  # no mouse on the console or a serial line
    if app.after_exit:
        import subprocess

        subprocess.call(app.after_exit)
    return int(code or 0)


@contextlib.contextmanager
def stderr_to_file(path: str):
    """Keep C libraries (libblockdev, dnf) from scribbling over the screen: their fd 2 goes to a log
    file while Textual draws on a duplicate of the terminal."""
    if not sys.__stderr__ or not sys.__stderr__.isatty():
        yield
        return
    os.makedirs(os.path.dirname(path), exist_ok=True)
    terminal_fd = os.dup(2)
    terminal = os.fdopen(terminal_fd, "w", buffering=1, encoding=sys.__stderr__.encoding, errors="replace")
    saved = sys.__stderr__, sys.stderr
    log_fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(log_fd, 2)
    os.close(log_fd)
    sys.__stderr__ = sys.stderr = terminal
    try:
        yield
    finally:
        sys.__stderr__, sys.stderr = saved
        os.dup2(terminal_fd, 2)
        terminal.close()
