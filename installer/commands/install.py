"""azl-install install (placeholder until its owner lands it)."""

HELP = "install (not implemented yet)"


def add_arguments(parser):
    pass


def run(args):
    print("azl-install install: not implemented yet")
    return 1
