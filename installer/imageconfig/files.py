"""An Image Customizer configuration file in, the same result a kickstart gives out.

    load_image_config(text, filename)  -> KickstartResult(plan, diagnostics)
    is_image_config(text)              -> detection by content (installer.kickstart.files uses it)
"""

from __future__ import annotations

import os

from installer.imageconfig.detect import looks_like_image_config
from installer.model.diagnostics import Diagnostic
from installer.model.plan import Origin
from installer.model.product import Product, load_product
from installer.model.secrets import Redactor

SOURCE = "image-config"


def is_image_config(text: str) -> bool:
    return looks_like_image_config(text)


def load_image_config(text: str, filename: str, *, product: Product | None = None):
    """The plan of a configuration's text; files it names are read relative to `filename`."""
    from installer.kickstart.files import KickstartResult

    try:
        from installer.imageconfig.load import LoadError, parse
        from installer.imageconfig.map import build_plan
    except ImportError as exc:
        if (exc.name or "").split(".")[0] != "yaml":
            raise
        return KickstartResult(None, [Diagnostic(
            "this is an image configuration, and reading one needs PyYAML (python3-pyyaml on Azure Linux, "
            "python3-yaml on Debian), which is not installed", Origin(SOURCE, filename, 1, 1))])
    product = product or load_product()
    try:
        root, problems = parse(text)
    except LoadError as exc:
        return KickstartResult(None, [Diagnostic(exc.message, Origin(SOURCE, filename, exc.line, exc.column))])
    diags = [Diagnostic(p.message, Origin(SOURCE, filename, p.line, p.column)) for p in problems]
    if root.kind != "mapping":
        diags.append(Diagnostic("an image configuration is a mapping (storage:, os:, scripts:, x-azl-install:)",
                                Origin(SOURCE, filename, root.line, root.column)))
        return KickstartResult(None, diags)
    plan, more, plain = build_plan(root, filename, product, os.path.dirname(filename) or ".")
    plan.source_file = filename
    plan.source_text = text
    plan.input_secrets = plain
    return KickstartResult(plan, diags + more, partial_areas(diags + more))


# The plan area each part of the configuration fills: an error there leaves that area partial, so that
# validation does not repeat it as "no root filesystem" (see KickstartResult.partial).
_AREAS = (
    ("storage", "storage"), ("x-azl-install.disk", "storage"), ("os.packages", "payload"),
    ("x-azl-install.source", "payload"), ("x-azl-install.repositories", "payload"), ("os.users", "accounts"),
    ("os.selinux", "security"), ("os.services", "services"), ("os.kernelCommandLine", "bootloader"),
    ("os.bootloader", "bootloader"), ("x-azl-install.network", "network"), ("x-azl-install.finish", "finish"),
    ("scripts", "scripts"), ("os.additional", "scripts"), ("os.groups", "scripts"), ("os.modules", "scripts"),
    ("os.hostname", "system"), ("x-azl-install", "system"),
)


def partial_areas(diags) -> frozenset[str]:
    areas = set()
    for d in diags:
        if not d.is_error:
            continue
        path = d.field or ""
        area = next((a for prefix, a in _AREAS if path == prefix or path.startswith((prefix + ".", prefix + "["))
                     or (prefix.endswith("additional") and path.startswith(prefix))), None)
        if area is None:  # a YAML problem or a top-level key: nothing can be trusted to be complete
            from installer.kickstart.parse import ALL_AREAS

            return ALL_AREAS
        areas.add(area)
    return frozenset(areas)


def redacted_original(text: str, secrets) -> str:
    """The configuration as written, the value of every plain-text password replaced by '***'.

    The values are found by their place in the text (however they are quoted or escaped); any
    known secret still left (a script that echoes it) is then replaced too."""
    spans = []
    try:
        from installer.imageconfig.load import LoadError, parse
    except ImportError:  # without PyYAML no configuration was read; the known secrets still go
        return Redactor([s for s in secrets if s]).redact(text)
    try:
        root, _ = parse(text)
    except LoadError:
        root = None
    if root is not None:
        spans = sorted(_password_spans(root), reverse=True)
    for start, end in spans:
        text = text[:start] + "'***'" + text[end:]
    return Redactor([s for s in secrets if s]).redact(text)


def _password_spans(root) -> list[tuple[int, int]]:
    def get(node, key):
        return node.value.get(key) if node is not None and node.kind == "mapping" else None

    users = get(get(root, "os"), "users")
    out = []
    for user in users.value if users is not None and users.kind == "list" else []:
        password = get(user, "password")
        kind, value = get(password, "type"), get(password, "value")
        if value is not None and kind is not None and kind.value == "plain-text":
            out.append(value.span)
    return out
