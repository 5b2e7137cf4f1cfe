"""%pre-install scripts (see installer/steps/scripts.py)."""

from installer.steps import scripts

TITLE = "Running %pre-install scripts"


def applies(ctx) -> bool:
    return bool(scripts.of_kind(ctx, "pre-install"))


def describe(ctx) -> list[str]:
    return scripts.describe(ctx, "pre-install")


def apply(ctx) -> None:
    scripts.run_all(ctx, "pre-install")
