"""azl-install command line. Each subcommand is a module (installer/commands/NAME.py, or
screens/command.py for the TUI) with HELP, add_arguments(parser) and run(args) -> int;
heavy imports stay inside run()."""

from __future__ import annotations

import argparse
import importlib
import sys

# The tui command belongs to the UI package; the engine never imports it.
COMMANDS = {
    "validate": "installer.commands.validate",
    "plan": "installer.commands.plan",
    "convert": "installer.commands.convert",
    "probe": "installer.commands.probe",
    "install": "installer.commands.install",
    "reinstall": "installer.commands.reinstall",
    "tui": "screens.command",
    "start": "installer.commands.start",
    "console": "installer.commands.console",
    "monitor": "installer.commands.monitor",
    "sshd-setup": "installer.commands.sshd",
}

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="azl-install",
        description="Install Azure Linux from the live medium: interactively (tui) or from a kickstart file.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(module_name)
        p = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        p.set_defaults(_module=module)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    if not getattr(args, "command", None):
        parser.print_usage(sys.stderr)
        return EXIT_USAGE
    try:
        return int(args._module.run(args))
    except KeyboardInterrupt:
        print("azl-install: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # the last line of defence: a message, never a traceback
        print(f"azl-install: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_INTERNAL
