"""Checks of names that must exist in what the product ships: locales and firewalld services."""

from __future__ import annotations

from installer.model import catalog
from installer.model.plan import InstallPlan
from installer.model.product import Product
from installer.validate.common import Report, origin, suggest
from installer.validate.system import LOCALE, SERVICE


def check_names(plan: InstallPlan, product: Product, report: Report) -> None:
    sysc = plan.system
    report.area = "system.lang"
    known = catalog.locales(product)
    for loc in [sysc.lang, *sysc.lang_support]:
        # a malformed name is reported by installer.validate.system
        if loc and LOCALE.match(loc) and not catalog.locale_exists(loc, product):
            report.error(f"lang {loc!r} is not a locale {product.name} has{suggest(loc, known)}",
                         origin(sysc, "lang", "lang_support"))
    report.area = "security"
    fw = plan.security.firewall
    services = catalog.firewall_services(product)
    for svc in [*fw.services, *fw.remove_services]:
        if SERVICE.match(svc) and svc not in services:
            flag = "--service" if svc in fw.services else "--remove-service"
            report.error(f"firewall {flag}={svc} is not a firewalld service {product.name} ships"
                         f"{suggest(svc, services)}", origin(fw, "services", "remove_services"))
