"""A saved kickstart (/root/installer-ks.cfg of an earlier install) as the plan of a reinstall:
the same plan, kept on the disks that install used, with the one thing a saved kickstart never
holds, the LUKS passphrase, given back by whoever reinstalls."""

from __future__ import annotations

from installer.kickstart.files import KickstartResult, parse_kickstart
from installer.model.plan import Encryption, InstallPlan, Secret
from installer.model.product import Product

PASSPHRASE_MISSING = "encryption requested without a passphrase"


def replay_plan(text: str, source: str, disks: tuple[str, ...] | list[str],
                product: Product | None = None) -> KickstartResult:
    """Parse the saved kickstart; an install that named no disk is kept to `disks` (where it lives)."""
    result = parse_kickstart(text, source, product=product)
    plan = result.plan
    if plan is not None and not plan.storage.selected_disks and not plan.storage.clearpart.drives:
        plan.storage.selected_disks = list(disks)
    return result


def encrypted_requests(plan: InstallPlan) -> list:
    st = plan.storage
    reqs = [r for r in (*st.partitions, *st.logvols, *st.raids) if r.encrypted]
    if st.autopart is not None and st.autopart.encrypted:
        reqs.append(st.autopart)
    return reqs


def needs_passphrase(plan: InstallPlan) -> bool:
    return any(r.encryption is None or r.encryption.passphrase is None for r in encrypted_requests(plan))


def fill_passphrase(plan: InstallPlan, passphrase: str) -> int:
    """Give every encrypted request without a passphrase this one; how many were filled."""
    filled = 0
    for req in encrypted_requests(plan):
        if req.encryption is None:
            req.encryption = Encryption()
        if req.encryption.passphrase is None:
            req.encryption.passphrase = Secret(passphrase)
            filled += 1
    return filled


def without_passphrase_errors(diagnostics: list) -> list:
    """The parse's diagnostics once the passphrase was given back (the engine validates again anyway)."""
    return [d for d in diagnostics if PASSPHRASE_MISSING not in str(d)]
