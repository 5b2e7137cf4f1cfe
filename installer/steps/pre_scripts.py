"""%pre scripts (see installer/steps/scripts.py)."""

from installer.steps import scripts

TITLE = "Running %pre scripts"


def applies(ctx) -> bool:
    return bool(scripts.of_kind(ctx, "pre"))


def describe(ctx) -> list[str]:
    return scripts.describe(ctx, "pre")


def apply(ctx) -> None:
    scripts.run_all(ctx, "pre")
