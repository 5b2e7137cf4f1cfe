"""azl-install-iso: tools for the installation medium.

    azl-install-iso remaster IN.iso OUT.iso [--ks FILE [--ks-append ARGS] [--ks-default]]
                             [--append ARGS] [--rpm FILE]...

Exit codes: 0 written, 1 the ISO or kickstart was refused or a tool failed, 2 usage error.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from . import bootcfg, iso, liveroot, remaster


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="azl-install-iso", description="Tools for the azl-install medium.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("remaster", help="add azl-install to an existing dmsquash live ISO",
                       description=remaster.__doc__.split("\n\n")[0])
    r.add_argument("input", type=Path, metavar="IN.iso")
    r.add_argument("output", type=Path, metavar="OUT.iso")
    r.add_argument("--ks", type=Path, help="kickstart to embed as /ks.cfg, with a boot entry that uses it")
    r.add_argument("--append", default="", metavar="ARGS",
                   help="kernel arguments added to every live boot entry (and the kickstart entry)")
    r.add_argument("--ks-append", default="", metavar="ARGS",
                   help="kernel arguments for the kickstart entry only (e.g. inst.cmdline for no questions)")
    r.add_argument("--ks-default", action="store_true",
                   help="make the kickstart entry the menu's default (unattended media)")
    r.add_argument("--rpm", type=Path, action="append", default=[], metavar="FILE",
                   help="install these RPMs' files (azl-install, azl-install-live, python3-textual-bundled) "
                        "instead of this source tree, its iso-overlay and wheels")
    r.add_argument("--source", type=Path, default=remaster.SOURCE_TREE,
                   help="source tree of the installer (default: the one this tool comes from)")
    r.add_argument("--wheels", type=Path, default=remaster.SOURCE_TREE / "build" / "wheels",
                   help="wheels of the installer's dependencies; those the live root lacks are added")
    r.add_argument("--wheel", type=Path, action="append", default=[], metavar="FILE",
                   help="a wheel to add in any case")
    r.add_argument("--no-validate", action="store_true", help="embed the kickstart without validating it")
    r.add_argument("--workdir", type=Path, help="scratch space (default: next to OUT.iso)")
    return ap


def main(argv: list[str] | None = None) -> int:
    try:
        a = _parser().parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    if (a.ks_append or a.ks_default) and not a.ks:
        print("azl-install-iso: --ks-append and --ks-default need --ks", file=sys.stderr)
        return 2
    opts = remaster.Options(
        input=a.input, output=a.output, ks=a.ks, append=shlex.split(a.append), rpms=a.rpm,
        ks_append=shlex.split(a.ks_append), ks_default=a.ks_default,
        source=None if a.rpm else a.source, overlay=None if a.rpm else a.source / "iso-overlay",
        wheels=None if a.rpm else a.wheels, extra_wheels=a.wheel, validate_ks=not a.no_validate,
        workdir=a.workdir, log=lambda m: print(m, file=sys.stderr))
    try:
        report = remaster.remaster(opts)
    except (remaster.RemasterError, liveroot.LiveRootError, iso.IsoError, bootcfg.BootCfgError) as exc:
        print(f"azl-install-iso: {exc}", file=sys.stderr)
        return 1
    if report.get("missing"):
        print("azl-install-iso: warning: the live root lacks " + ", ".join(report["missing"])
              + ": the installer will not start there until they are added", file=sys.stderr)
    print(remaster.format_report(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
