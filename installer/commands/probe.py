"""azl-install probe (placeholder until its owner lands it)."""

HELP = "probe (not implemented yet)"


def add_arguments(parser):
    pass


def run(args):
    print("azl-install probe: not implemented yet")
    return 1
