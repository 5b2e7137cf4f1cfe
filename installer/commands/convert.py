"""azl-install convert: a kickstart as an Image Customizer configuration, or the other way round."""

from __future__ import annotations

import argparse
import os
import sys

from installer.commands.validate import load_inputs

HELP = "convert a kickstart to an Azure Linux image configuration (YAML) or back; lists what cannot be converted"
FORMATS = ("kickstart", "image-config")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="kickstart or image configuration (detected by content)")
    parser.add_argument("--to", required=True, choices=FORMATS, help="the format to write")
    parser.add_argument("-o", "--output", metavar="OUT", help="write to OUT (mode 0600) instead of stdout")
    parser.add_argument("--product", metavar="NAME", default=None,
                        help="product definition name or TOML path (default: azurelinux-4.0)")


def convert(plan, product, to: str) -> tuple[str, list[str]]:
    """(text, notes on what the target format cannot carry)."""
    if to == "image-config":
        from installer.imageconfig.write import write

        return write(plan, product)
    from installer.kickstart.files import dump_kickstart

    notes = []
    for spec in plan.storage.selected_disks:
        if spec.startswith("match:"):
            notes.append(f"x-azl-install.disk.match ({spec[6:]}): a kickstart names disks; written as "
                         f"ignoredisk --only-use={spec}, which only azl-install understands")
    text = dump_kickstart(plan, product=product)
    if notes:
        text = "".join(f"# Not converted: {n}\n" for n in notes) + text
    return text, notes


def run(args: argparse.Namespace) -> int:
    args.machine = None
    inputs = load_inputs(args, "convert")
    if inputs is None:
        return 2
    _machine, product = inputs
    from installer.kickstart.files import load_kickstart

    result = load_kickstart(args.file, product=product)
    for d in result.diagnostics:
        print(d, file=sys.stderr)
    if not result.ok or result.plan is None:
        print(f"azl-install convert: {args.file} has errors; nothing was written", file=sys.stderr)
        return 1
    text, notes = convert(result.plan, product, args.to)
    for note in notes:
        print(f"azl-install convert: not converted: {note}", file=sys.stderr)
    if args.output:
        fd = os.open(args.output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # it holds password hashes
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text)
    return 0
