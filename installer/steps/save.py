"""Save what was installed: the replayable kickstart (/root/installer-ks.cfg), the
original input (/root/original-ks.cfg), both mode 0600 with plaintext passwords and
passphrases removed, and the install logs under /var/log/installer/."""

from __future__ import annotations

import json

from installer import installlog
from installer.context import InstallContext
from installer.model.plan import to_jsonable

TITLE = "Saving the kickstart and logs"
INSTALLED_KS = "/root/installer-ks.cfg"
ORIGINAL_KS = "/root/original-ks.cfg"


def describe(ctx: InstallContext) -> list[str]:
    out = []
    if "output_ks" not in ctx.nosave:
        out.append(f"write {INSTALLED_KS} (the kickstart of this install; hashes only, no passphrase)")
    if ctx.plan.source_text and "input_ks" not in ctx.nosave:
        out.append(f"write {ORIGINAL_KS} (the input kickstart, plaintext secrets removed)")
    if "logs" not in ctx.nosave:
        out.append(f"copy the install logs to {installlog.TARGET_LOG_DIR}")
    return out or ["nothing: inst.nosave=" + ",".join(sorted(ctx.nosave))]


def installed_kickstart(ctx: InstallContext) -> str | None:
    try:
        from installer.kickstart.files import dump_kickstart
    except ImportError as exc:
        ctx.warn(f"cannot write {INSTALLED_KS}: the kickstart writer is unavailable ({exc})")
        return None
    text = dump_kickstart(ctx.plan)
    return _scrub(ctx, text)


def original_kickstart(ctx: InstallContext) -> str | None:
    """The input kickstart through the same writer, its secrets removed by their parsed options."""
    if not ctx.plan.source_text:
        return None
    try:
        from installer.kickstart.files import dump_original
    except ImportError as exc:
        ctx.warn(f"cannot write {ORIGINAL_KS}: the kickstart writer is unavailable ({exc})")
        return None
    return _scrub(ctx, dump_original(ctx.plan) or "")


def _scrub(ctx: InstallContext, text: str) -> str:
    """A last guard: any secret the plan knows that is still in a saved kickstart is replaced by ***."""
    cleaned = installlog.RedactFilter(installlog.plan_secrets(ctx.plan)).redact(text)
    if cleaned != text:
        ctx.warn("the saved kickstart had plaintext secrets; they were replaced by ***")
    return cleaned


def apply(ctx: InstallContext) -> None:
    if "output_ks" not in ctx.nosave:
        text = installed_kickstart(ctx)
        if text is not None:
            ctx.write(INSTALLED_KS, text, 0o600)
    original = original_kickstart(ctx) if "input_ks" not in ctx.nosave else None
    if original is not None:
        ctx.write(ORIGINAL_KS, original, 0o600)
    if "logs" in ctx.nosave:
        ctx.log.info("inst.nosave=logs: the install logs stay in the live environment only")
        return
    extra = {
        "plan.json": json.dumps(to_jsonable(ctx.plan), indent=2, sort_keys=True) + "\n",
        "machine.json": ctx.machine.to_json(),
    }
    for handler in ctx.log.handlers:
        handler.flush()
    redactor = installlog.RedactFilter(installlog.plan_secrets(ctx.plan))
    dest = installlog.copy_to_target(ctx.log_dir, ctx.target, extra, redact=redactor.redact)
    ctx.log.info("copied the install logs to %s", dest)
