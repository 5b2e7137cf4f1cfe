"""azl-install console: the launcher the live medium runs on each console and SSH session."""

from __future__ import annotations

import os
import shlex
import sys

HELP = "run the live console launcher (installer, monitor, restart/shell/reboot menu); used by the live medium"
AUTO_DELAY_SECONDARY = 3.0  # with a kickstart, consoles other than /dev/console let it claim first


def add_arguments(parser):
    parser.add_argument("--tty", help="the console's name (default: this terminal's)")
    parser.add_argument("--now", action="store_true", help="claim the install at once instead of waiting for Enter")
    parser.add_argument("--ssh", action="store_true", help="an SSH session: start at once, offer Disconnect")
    parser.add_argument("--run-dir", default="/run/azl-install", help="ownership lock and event socket directory")
    parser.add_argument("--cmdline-file", default="/proc/cmdline", help="kernel command line to read")
    parser.add_argument("--installer", default=None,
                        help="the installer command line (default: azl-install start)")
    parser.add_argument("--shell", default="/bin/bash -l", help="the shell the menu offers")
    parser.add_argument("--generate", nargs=3, metavar=("NORMAL", "EARLY", "LATE"),
                        help="act as a systemd generator: enable azl-install@CONSOLE.service for each console")


def _self() -> list[str]:
    return [sys.executable, "-m", "installer"]


def run(args) -> int:
    from installer.live.bootopts import read_boot_options
    from installer.live.consoles import generate, primary_console, starts_without_enter

    try:
        with open(args.cmdline_file) as fh:
            cmdline = fh.read()
    except OSError:
        cmdline = ""
    if args.generate:
        try:
            with open("/sys/class/tty/console/active") as fh:
                active = fh.read()
        except OSError:
            active = ""
        if "inst.noinstaller" in cmdline.split():
            return 0
        generate(cmdline, active, args.generate[0], args.generate[1])
        return 0

    from installer.live.launcher import Commands, Launcher
    from installer.live.owner import Ownership

    opts = read_boot_options(args.cmdline_file)
    if args.ssh:
        client = os.environ.get("SSH_CLIENT", "").split()
        where = f"ssh from {client[0]}" if client else "ssh"
    else:
        tty = args.tty or _ttyname()
        where = tty.removeprefix("/dev/")
    socket_path = os.path.join(args.run_dir, "events.sock")
    installer = shlex.split(args.installer) if args.installer else [*_self(), "start",
                                                                     "--cmdline-file", args.cmdline_file]
    commands = Commands(installer=installer,
                        monitor=[*_self(), "monitor", "--run-dir", args.run_dir],
                        shell=shlex.split(args.shell))
    env = dict(os.environ)
    env["AZL_EVENT_SOCKET"] = socket_path
    auto = starts_without_enter(opts) or args.now
    delay = 0.0 if args.ssh or args.now or where == primary_console(cmdline) else AUTO_DELAY_SECONDARY
    launcher = Launcher(where, commands, Ownership(args.run_dir), auto=auto, auto_delay=delay if auto else 0.0,
                        ssh=args.ssh, env=env, hold_success=opts.cmdline and not args.ssh)
    return launcher.loop()


def _ttyname() -> str:
    try:
        return os.ttyname(0)
    except OSError:
        return "console"
