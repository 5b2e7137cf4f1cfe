"""A new plan filled with the product's defaults, each marked as coming from the product."""

from __future__ import annotations

from installer.model.plan import PRODUCT, InstallPlan
from installer.model.product import Product, load_product


def new_plan(product: Product | None = None) -> InstallPlan:
    product = product or load_product()
    plan = InstallPlan()
    plan.set("product", product.id, PRODUCT)
    sec = product.security
    plan.security.set("selinux", sec["selinux"], PRODUCT)
    plan.security.set("selinux_type", sec["selinux_type"], PRODUCT)
    plan.security.set("permit_root_login", sec["permit_root_login"], PRODUCT)
    plan.security.set("password_authentication", bool(sec["password_authentication"]), PRODUCT)
    plan.security.firewall.set("enabled", bool(sec["firewall"]), PRODUCT)
    plan.services.set("enabled", list(product.services_enabled), PRODUCT)
    plan.system.set("timezone", product.system["timezone"], PRODUCT)
    plan.system.set("lang", product.system["lang"], PRODUCT)
    plan.system.set("keyboard", product.system["keyboard"], PRODUCT)
    plan.bootloader.set("append", product.bootloader.get("append", ""), PRODUCT)
    plan.bootloader.set("timeout", product.bootloader.get("timeout"), PRODUCT)
    plan.payload.set("gpgcheck", product.gpgcheck, PRODUCT)
    plan.payload.packages.set("sets", [product.default_set], PRODUCT)
    return plan
