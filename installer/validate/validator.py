"""Semantic validation of an InstallPlan against a Machine: pure, no root, no disk access.

`validate()` returns every problem found, each tied to the kickstart line (or TUI
field) it comes from. Checks are grouped by area in installer/validate_*.py.
"""

from __future__ import annotations

from installer.model.diagnostics import Diagnostic
from installer.model.machine import Machine
from installer.model.plan import InstallPlan
from installer.model.product import Product, load_product
from installer.validate.accounts import check_accounts
from installer.validate.common import Report
from installer.validate.names import check_names
from installer.validate.network import check_network
from installer.validate.payload import check_payload
from installer.validate.storage import check_storage
from installer.validate.system import check_system


def validate(plan: InstallPlan, machine: Machine | None = None, product: Product | str | None = None,
             partial: frozenset[str] = frozenset()) -> list[Diagnostic]:
    """Every problem of the plan. `partial`: areas that lost refused kickstart lines (their gap checks are skipped)."""
    if product is None:
        product = load_product(plan.product or "azurelinux-4.0")
    elif isinstance(product, str):
        product = load_product(product)
    report = Report(plan, partial)
    if plan.product and plan.product != product.id:
        report.warning(f"the plan is for {plan.product}, validated against {product.id}", plan.origin_of("product"))
    report.area = "storage"
    check_storage(plan, machine, product, report)
    report.area = "payload"
    check_payload(plan, product, report)
    report.area = "network"
    check_network(plan, machine, report)
    report.area = "accounts"
    check_accounts(plan, report)
    check_system(plan, report)
    check_names(plan, product, report)
    report.area = None
    for area, count in sorted(report.skipped.items()):
        report.warning(f"{count} {area} check(s) were skipped: they need lines that were refused, or that "
                       "%pre has not written yet", None, area)
    return sort_diagnostics(report.diagnostics)


def sort_diagnostics(diags: list[Diagnostic]) -> list[Diagnostic]:
    """By file, then line (file-level messages first), keeping the order of checks within a line."""

    def key(d: Diagnostic):
        o = d.origin
        return (o.file or "" if o else "", (o.line or 0) if o else 0)

    return sorted(diags, key=key)


def is_valid(diags: list[Diagnostic]) -> bool:
    return not any(d.is_error for d in diags)
