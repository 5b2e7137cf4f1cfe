"""azl-install reinstall: install again what azl-install installed on this machine, from the
kickstart that install saved on its root filesystem, onto the same disks."""

from __future__ import annotations

import argparse
import getpass
import os
import sys

HELP = "reinstall the system azl-install installed on this machine's disks, from its saved kickstart"

EXIT_NOT_FOUND = 5  # no system installed by azl-install on these disks (nothing changed)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = ("Finds /root/installer-ks.cfg on the disks (mounted read-only, no journal replay), replays it "
                     "through the same validation, erase preview and confirmation as `install`. Only what the "
                     "saved kickstart cannot hold is asked for: a LUKS passphrase (typed at the terminal or "
                     "--passphrase-file; never on the command line). Exit codes: 0 done, 1 invalid saved "
                     "kickstart, wrong or missing passphrase, failed install or erasing not confirmed, 2 usage "
                     "(several previous installs: choose one with --disk), 4 nothing changed because what the "
                     "plan erases could not be determined, 5 no system installed by azl-install was found.")
    parser.add_argument("--disk", action="append", default=[], metavar="DISK",
                        help="only the previous install on this disk (kernel name, /dev path, by-id name, serial); "
                             "repeat for several")
    parser.add_argument("--list", action="store_true", help="show the previous installs found; change nothing")
    parser.add_argument("--passphrase-file", metavar="FILE",
                        help="the LUKS passphrase of the previous install (its first line), for unattended runs")
    parser.add_argument("--yes", action="store_true", help="confirm erasing the data the plan destroys")
    parser.add_argument("--dry-run", action="store_true", help="validate and show every step; change nothing")
    parser.add_argument("--target", metavar="DIR", default="/mnt/sysroot", help="target root (default: /mnt/sysroot)")
    parser.add_argument("--log-dir", metavar="DIR", default="/tmp/azl-install",
                        help="where the live install log goes (default: /tmp/azl-install)")
    parser.add_argument("--no-power-action", action="store_true",
                        help="do not reboot/power off/halt at the end even if the saved kickstart says so")
    parser.add_argument("--json-events", nargs="?", const="-", default=None, metavar="FILE|-",
                        help="write the engine events as JSON lines to FILE, or to standard output with '-'")
    parser.add_argument("--phase-marks", action="store_true", help="print 'azl-phase: NAME UPTIME' lines")


def read_passphrase_file(path: str) -> str:
    with open(path, encoding="utf-8") as fh:
        return fh.readline().rstrip("\r\n")


def ask_passphrase(why: str, err=sys.stderr, stdin=None) -> str | None:
    """The passphrase typed at the terminal (not echoed); None without a terminal."""
    stdin = sys.stdin if stdin is None else stdin
    if not stdin.isatty():
        return None
    print(why, file=err)
    try:
        return getpass.getpass("LUKS passphrase: ", stream=err) or None
    except (EOFError, OSError):
        return None


def select(installs, machine, disks: list[str]) -> tuple[list, list[str]]:
    """The installs on the named disks; unknown disk names are returned as problems."""
    if not disks:
        return list(installs), []
    names, problems = set(), []
    for spec in disks:
        disk = machine.disk(spec)
        if disk is None:
            problems.append(f"--disk {spec}: no such disk on this machine")
        else:
            names.add(disk.name)
    return [i for i in installs if names & set(getattr(i, "disks", None) or (i.disk,))], problems


def run(args: argparse.Namespace) -> int:
    from installer.commands.install import execute, phase_mark
    from installer.commands.validate import UsageError, load_product_arg
    from installer.kickstart.replay import (
        encrypted_requests,
        fill_passphrase,
        replay_plan,
        without_passphrase_errors,
    )
    from installer.probe.previous import Scanner
    from installer.probe.udev import probe_machine

    err = sys.stderr
    marks = args.phase_marks or os.environ.get("AZL_PHASE_MARKS") == "1"
    if marks:
        phase_mark("storage")
    try:
        product = load_product_arg(None)
    except UsageError as exc:
        print(f"azl-install reinstall: {exc}", file=err)
        return 2
    passphrase = None
    if args.passphrase_file:
        try:
            passphrase = read_passphrase_file(args.passphrase_file)
        except OSError as exc:
            print(f"azl-install reinstall: --passphrase-file {args.passphrase_file}: {exc.strerror}", file=err)
            return 2
    machine = probe_machine(live_label=product.live_label)
    scanner = Scanner(machine)
    found = scanner.scan()
    installs, problems = select(found.installs, machine, args.disk)
    if problems:
        for p in problems:
            print(f"azl-install reinstall: {p}", file=err)
        return 2
    locked, _ = select(found.locked, machine, args.disk) if args.disk else (found.locked, [])
    if not installs and locked and not args.list:
        # the previous install may be inside LUKS: its passphrase opens it (read-only) to read the kickstart
        if passphrase is None:
            passphrase = ask_passphrase("An encrypted volume may hold the previous install: "
                                        + ", ".join(v.device for v in locked), err=err)
        if passphrase is None:
            print("azl-install reinstall: the previous install may be encrypted; give its passphrase with "
                  "--passphrase-file (or run on a terminal); nothing was changed", file=err)
            return 1
        opened = [v for v in locked if scanner.unlock_and_scan(v, passphrase)]
        if not opened:
            print("azl-install reinstall: the passphrase opens none of: "
                  + ", ".join(v.device for v in locked) + "; nothing was changed", file=err)
            return 1
        installs, _ = select(scanner.found.installs, machine, args.disk)
    if args.list or not installs:
        for i in installs:
            print(f"{i.device}: {i.describe()}")
        for v in locked:
            print(f"{v.device}: encrypted (LUKS) on {v.disk}; its passphrase is needed to look inside")
        if not installs:
            print("azl-install reinstall: no system installed by azl-install was found"
                  + (f" on {', '.join(args.disk)}" if args.disk else "") + "; nothing was changed", file=err)
            return 0 if args.list else EXIT_NOT_FOUND
        return 0
    if len(installs) > 1:
        print("azl-install reinstall: several previous installs were found; choose one with --disk:", file=err)
        for i in installs:
            print(f"  {i.device}: {i.describe()}", file=err)
        return 2
    previous = installs[0]
    print(f"Reinstalling {previous.describe()} from its saved kickstart", file=err)
    replayed = replay_plan(previous.kickstart, f"{previous.device}:/root/installer-ks.cfg", previous.disks, product)
    plan, diagnostics = replayed.plan, replayed.diagnostics
    if plan is not None and encrypted_requests(plan):
        if passphrase is None:
            passphrase = ask_passphrase("The previous install was encrypted: its new volumes need a passphrase.",
                                        err=err)
        if passphrase is None:
            print("azl-install reinstall: the saved kickstart encrypts volumes and holds no passphrase; give "
                  "it with --passphrase-file (or run on a terminal); nothing was changed", file=err)
            return 1
        fill_passphrase(plan, passphrase)
        diagnostics = without_passphrase_errors(diagnostics)
    for d in diagnostics:
        print(str(d), file=err)
    if plan is None or any(d.is_error for d in diagnostics):
        print(f"azl-install reinstall: the saved kickstart on {previous.device} has errors; nothing was changed",
              file=err)
        return 1
    args.report = args.cacert = None
    args.nosave, args.strict = "", False
    return execute(args, plan, machine, product, marks)
