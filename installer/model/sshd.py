"""The SSH server policy the install writes, derived from the plan in one place.

`rootpw --allow-ssh` (the TUI's "Allow root to log in over SSH with a password") overrides
the security setting: the summary, the hub, `plan` and the SSH step all read it from here.
"""

from __future__ import annotations


def permit_root_login(plan) -> str:
    """The PermitRootLogin value the installed system gets."""
    if plan.accounts.root_allow_ssh:
        return "yes"
    return plan.security.permit_root_login
