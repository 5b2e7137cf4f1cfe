"""azl-install validate (placeholder until its owner lands it)."""

HELP = "validate (not implemented yet)"


def add_arguments(parser):
    pass


def run(args):
    print("azl-install validate: not implemented yet")
    return 1
