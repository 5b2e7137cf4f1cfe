"""%post scripts (see installer/steps/scripts.py)."""

from installer.steps import scripts

TITLE = "Running %post scripts"


def applies(ctx) -> bool:
    return bool(scripts.of_kind(ctx, "post"))


def describe(ctx) -> list[str]:
    return scripts.describe(ctx, "post")


def apply(ctx) -> None:
    scripts.run_all(ctx, "post")
