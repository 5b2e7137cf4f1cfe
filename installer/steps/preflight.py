"""The last check before the disks are touched: %packages against the repositories' metadata
(every unknown name with its line) and the package set's installed size against the layout.

It runs after network_live and %pre, so repositories on the network or made by %pre are
readable; `azl-install validate` and the TUI run the same checks on local repositories only.
"""

from __future__ import annotations

from installer.context import StepError
from installer.payload.precheck import check_packages
from installer.validate.space import check_payload_space

TITLE = "Checking packages against the repositories"


def diagnostics(plan, machine, product, *, network: bool) -> tuple[list, list[str]]:
    """(diagnostics, why some checks are left to dnf) for the plan's packages."""
    check = check_packages(plan, product, network=network)
    diags = check.diagnostics + check_payload_space(plan, machine, product, check.installed_bytes)
    diags.sort(key=lambda d: (d.origin is None or d.origin.line is None, (d.origin.line or 0) if d.origin else 0))
    return diags, check.deferred


def applies(ctx) -> bool:
    return ctx.plan.payload.liveimg is None


def describe(ctx) -> list[str]:
    """A dry run reads the local repositories only, and fails as the install would."""
    diags, deferred = diagnostics(ctx.plan, ctx.machine, ctx.product, network=False)
    _refuse(diags)
    return [str(d) for d in diags] + deferred or ["every package name is offered by the repositories"]


def apply(ctx) -> None:
    diags, deferred = diagnostics(ctx.plan, ctx.machine, ctx.product, network=True)
    for line in deferred:
        ctx.log.info("preflight: %s", line)
    for d in diags:
        if not d.is_error:
            ctx.warn(str(d))
    _refuse(diags)


def _refuse(diags) -> None:
    errors = [str(d) for d in diags if d.is_error]
    if errors:
        raise StepError("the packages cannot be installed as planned; nothing was written:\n" + "\n".join(errors))
