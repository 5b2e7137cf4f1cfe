"""azl-install plan (placeholder until its owner lands it)."""

HELP = "plan (not implemented yet)"


def add_arguments(parser):
    pass


def run(args):
    print("azl-install plan: not implemented yet")
    return 1
