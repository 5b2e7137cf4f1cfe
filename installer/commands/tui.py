"""azl-install tui (placeholder until its owner lands it)."""

HELP = "tui (not implemented yet)"


def add_arguments(parser):
    pass


def run(args):
    print("azl-install tui: not implemented yet")
    return 1
