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


def _scrub(ctx: InstallContext, text: str) -> str:
    redactor = installlog.RedactFilter(installlog.plan_secrets(ctx.plan))
    cleaned = installlog.redact_kickstart(redactor.redact(text))
    if cleaned != text:
        ctx.warn("the saved kickstart had plaintext secrets; they were replaced by ***")
    return cleaned


def apply(ctx: InstallContext) -> None:
    if "output_ks" not in ctx.nosave:
        text = installed_kickstart(ctx)
        if text is not None:
            ctx.write(INSTALLED_KS, text, 0o600)
    if ctx.plan.source_text and "input_ks" not in ctx.nosave:
        ctx.write(ORIGINAL_KS, installlog.redact_kickstart(ctx.plan.source_text), 0o600)
    if "logs" in ctx.nosave:
        ctx.log.info("inst.nosave=logs: the install logs stay in the live environment only")
        return
    extra = {
        "plan.json": json.dumps(to_jsonable(ctx.plan), indent=2, sort_keys=True) + "\n",
        "machine.json": ctx.machine.to_json(),
    }
    for handler in ctx.log.handlers:
        handler.flush()
    dest = installlog.copy_to_target(ctx.log_dir, ctx.target, extra)
    ctx.log.info("copied the install logs to %s", dest)
