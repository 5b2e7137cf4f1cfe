"""azl-install start: what the live medium runs on its console at boot."""

from __future__ import annotations

import os
import shlex
import sys

HELP = "start the installer the way the boot options ask (used by the live medium)"


def add_arguments(parser):
    parser.add_argument("--cmdline-file", default="/proc/cmdline", help="kernel command line to read")
    parser.add_argument("--ks-dir", default="/run/install", help="where a fetched kickstart is copied")
    parser.add_argument("--print", dest="print_only", action="store_true",
                        help="print the command it would run instead of running it")


def run(args) -> int:
    from installer.live.bootopts import read_boot_options
    from installer.live.start import decide
    from installer.live.ksfetch import HTTPOptions, KickstartFetchError, fetch_kickstart

    opts = read_boot_options(args.cmdline_file)
    ks_path = None
    if opts.ks is not None:
        try:
            ks_path = str(fetch_kickstart(opts.ks, args.ks_dir, HTTPOptions.from_boot(opts)))
        except KickstartFetchError as exc:
            print(f"azl-install: inst.ks: {exc}", file=sys.stderr)
            if opts.cmdline:
                return 1
    argv = decide(opts, ks_path)
    if args.print_only:
        print(shlex.join(argv))
        return 0
    from installer.cli import main

    os.environ.setdefault("TERM", "vt220" if opts.serial_console else "linux")
    return main(argv[1:])
