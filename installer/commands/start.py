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
    if opts.errors:
        for problem in opts.errors:
            print(f"azl-install: {problem}", file=sys.stderr)
        print("azl-install: the boot options have errors (above); nothing was changed. "
              "Fix them in the boot menu (e to edit) and boot again.", file=sys.stderr)
        return 1
    if opts.ip and not args.print_only:
        from installer.live import livenet

        livenet.apply(opts)
    ks_path = None
    if opts.ks is not None:
        try:
            ks_path = str(fetch_kickstart(opts.ks, args.ks_dir, HTTPOptions.from_boot(opts)))
        except KickstartFetchError as exc:
            print(f"azl-install: inst.ks: {exc}", file=sys.stderr)
            if opts.cmdline:
                return 1
    argv = decide(opts, ks_path)
    if len(argv) > 1 and argv[1] == "install":
        if opts.ksstrict:
            argv.append("--strict")
        if opts.nosave:
            argv += ["--nosave", ",".join(sorted(opts.nosave))]
    if args.print_only:
        print(shlex.join(argv))
        return 0
    from installer.cli import main

    os.environ.setdefault("TERM", "vt220" if opts.serial_console else "linux")
    return main(argv[1:])
