"""azl-install monitor: a read-only live view of the install another console runs."""

from __future__ import annotations

HELP = "watch the install another console or SSH session runs (read-only: step, progress, log tail)"


def add_arguments(parser):
    parser.add_argument("--run-dir", default="/run/azl-install", help="where the event socket and owner file are")
    parser.add_argument("--plain", action="store_true", default=None,
                        help="plain event lines instead of a redrawn screen (the default on serial lines and pipes)")
    parser.add_argument("--idle-exit", type=float, default=None, metavar="SECONDS",
                        help="leave after SECONDS without any event (scripts and tests)")


def run(args) -> int:
    import os

    from installer.live.monitor import run_monitor

    return run_monitor(os.path.join(args.run_dir, "events.sock"), run_dir=args.run_dir, plain=args.plain,
                       idle_limit=args.idle_exit)
