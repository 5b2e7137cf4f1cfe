"""azl-install validate: check kickstart files like a compiler, FILE:LINE: message."""

from __future__ import annotations

import argparse
import sys

HELP = ("check kickstart files or image configurations (syntax and plan) against the product and, optionally, "
        "a machine profile")
MAX_KICKSTART_BYTES = 10 * 1024 * 1024


class UsageError(Exception):
    """Bad arguments: exit 2 with the message."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", help="kickstart file(s) or image configuration(s) (YAML/JSON, detected by content) to check")
    add_common_arguments(parser)


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--machine", metavar="PROFILE",
                        help="machine profile (JSON from 'azl-install probe --json') to check disks and NICs against")
    parser.add_argument("--product", metavar="NAME", default=None,
                        help="product definition name or TOML path (default: azurelinux-4.0)")


def load_machine_arg(path: str | None):
    if path is None:
        return None
    from installer.kickstart.source import read_bytes
    from installer.model.machine import Machine

    try:
        data = read_bytes(path, MAX_KICKSTART_BYTES)  # a regular file only: --machine /proc/kmsg must not hang
    except OSError as exc:
        raise UsageError(f"--machine {path}: cannot read the profile: {exc.strerror or exc}") from None
    try:
        import json

        machine = Machine.from_dict(json.loads(data.decode("utf-8")))
    except (ValueError, TypeError, AttributeError, KeyError, UnicodeDecodeError) as exc:
        raise UsageError(f"--machine {path}: not a machine profile (JSON from 'azl-install probe --json'): "
                         f"{exc}") from None
    problems = profile_problems(machine)
    if problems:
        raise UsageError(f"--machine {path}: not a consistent machine profile: {'; '.join(problems[:5])}"
                         + (f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""))
    return machine


_EXTENDED = {"0x5", "0x05", "0xf", "0x0f", "0x85"}  # MBR extended partitions hold the logical ones


def profile_problems(machine) -> list[str]:
    """Partitions outside their disk or on top of each other: no real disk looks like that."""
    problems = []
    for disk in machine.disks:
        spans = []
        for p in disk.partitions:
            if not isinstance(p.start, int) or not isinstance(p.size, int) or p.start < 0 or p.size <= 0:
                problems.append(f"{p.name}: start {p.start!r} and size {p.size!r} must be whole numbers of bytes")
            elif p.start + p.size > disk.size:
                problems.append(f"{p.name} ends at byte {p.start + p.size}, beyond the end of {disk.name} "
                                f"({disk.size} bytes)")
            elif (p.parttype or "").lower() not in _EXTENDED:
                spans.append((p.start, p.start + p.size, p.name))
        spans.sort()
        reach, owner = 0, None  # the furthest end so far, and whose
        for start, end, name in spans:
            if owner is not None and start < reach:
                problems.append(f"{owner} and {name} overlap")
            if end > reach:
                reach, owner = end, name
    return problems


def load_product_arg(name: str | None):
    from installer.model.product import DEFAULT_PRODUCT, load_product

    try:
        return load_product(name or DEFAULT_PRODUCT)
    except (OSError, KeyError, ValueError) as exc:
        raise UsageError(f"--product {name}: cannot load the product definition: {exc}") from None


def load_inputs(args: argparse.Namespace, prog: str):
    """(machine, product) from --machine/--product, or None after printing the usage error."""
    try:
        return load_machine_arg(args.machine), load_product_arg(args.product)
    except UsageError as exc:
        print(f"azl-install {prog}: {exc}", file=sys.stderr)
        return None


def check_file(path: str, machine, product):
    """(plan or None, sorted diagnostics) for one kickstart file."""
    from installer.kickstart.files import load_kickstart
    from installer.model.diagnostics import Diagnostic
    from installer.model.plan import Origin
    from installer.validate.validator import sort_diagnostics, validate

    result = load_kickstart(path, product=product)
    plan, diags = result.plan, list(result.diagnostics)
    if plan is not None:
        if not (plan.source_text or "").strip():
            diags.append(Diagnostic("the file is empty", Origin.kickstart(path, 1)))
        else:
            # Every error in one run: what was understood is checked even when some lines were
            # refused; checks that a refused line would answer ("no root filesystem") are skipped.
            diags += validate(plan, machine, product, result.partial)
            if "payload" not in result.partial:
                from installer.steps.preflight import diagnostics as preflight

                diags += preflight(plan, machine, product, network=False)[0]
    return plan, sort_diagnostics(_unique(diags))


def _unique(diags):
    seen, out = set(), []
    for d in diags:
        key = str(d)
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out


def run(args: argparse.Namespace) -> int:
    inputs = load_inputs(args, "validate")
    if inputs is None:
        return 2
    machine, product = inputs
    failed = False
    totals = [0, 0]
    for path in args.files:
        _plan, diags = check_file(path, machine, product)
        for d in diags:
            print(d)
        errors = sum(1 for d in diags if d.is_error)
        totals[0] += errors
        totals[1] += len(diags) - errors
        failed |= errors > 0
    sys.stdout.flush()
    print(f"azl-install validate: {len(args.files)} file(s), {totals[0]} error(s), {totals[1]} warning(s)",
          file=sys.stderr)
    return 1 if failed else 0
