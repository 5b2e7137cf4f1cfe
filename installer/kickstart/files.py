"""Kickstart in and out: a kickstart file becomes an InstallPlan, and a plan becomes a kickstart.

An Image Customizer configuration (YAML/JSON, installer.imageconfig) is recognised by its content
and accepted wherever a kickstart is: it becomes the same InstallPlan.

    load_kickstart(path) / parse_kickstart(text)  -> KickstartResult(plan, diagnostics)
    dump_kickstart(plan)                           -> kickstart text (hashes only, no LUKS passphrase)
    dump_original(plan)                            -> the input kickstart as written, secrets removed

Nothing here raises for bad input: every problem is a Diagnostic naming FILE:LINE.
pykickstart is imported only inside these functions (the TUI's first paint must not pay for it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from installer.model.diagnostics import Diagnostic
from installer.model.plan import InstallPlan, Origin, Secret
from installer.model.product import Product, load_product


@dataclass
class KickstartResult:
    plan: InstallPlan | None  # None only when errors prevent building it
    diagnostics: list[Diagnostic] = field(default_factory=list)
    # Plan areas (storage, accounts, ...) that lack a line the parser refused: their whole-plan
    # checks ("no root filesystem") would only echo that refusal, so validation leaves them out.
    partial: frozenset[str] = frozenset()
    # %include files a %pre script may write (installer.kickstart.pre reads the kickstart again after %pre)
    deferred_includes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if not d.is_error]


def load_kickstart(path: str | Path, *, product: Product | None = None, pre_ran: bool = False) -> KickstartResult:
    """Read and parse a kickstart file, following %include relative to it."""
    from installer.kickstart.source import read_file

    display = str(path)
    try:
        text, problem = read_file(path, display)
    except Exception as exc:  # odd paths (embedded NUL, too long...) must not escape as tracebacks
        return KickstartResult(None, [Diagnostic(f"cannot read: {exc}", Origin.kickstart(display, None))])
    if problem is not None:
        return KickstartResult(None, [problem])
    return parse_kickstart(text, display, product=product, pre_ran=pre_ran)


def is_image_config(text: str) -> bool:
    """An Azure Linux Image Customizer configuration (YAML/JSON), accepted wherever a kickstart is."""
    from installer.imageconfig.files import is_image_config as detect

    return detect(text)


def parse_kickstart(text: str | bytes, filename: str = "ks.cfg", *,
                    product: Product | None = None, pre_ran: bool = False) -> KickstartResult:
    """Parse kickstart text (or raw bytes); `filename` names it in messages and anchors relative %include paths."""
    try:
        return _parse(text, filename, product, pre_ran)
    except Exception as exc:  # a bug here must still come out as a message with the file name
        return KickstartResult(None, [Diagnostic(f"internal error while reading the kickstart: "
                                                 f"{type(exc).__name__}: {exc}", Origin.kickstart(filename, None))])


def _parse(text: str | bytes, filename: str, product: Product | None, pre_ran: bool = False) -> KickstartResult:
    from installer.kickstart import parse as kickstart_parse
    from installer.kickstart.build import build_plan
    from installer.kickstart.source import check_text, decode, expand

    checked, problem = decode(text, filename) if isinstance(text, bytes) else check_text(text, filename)
    if problem is not None:
        return KickstartResult(None, [problem])
    text = checked
    product = product or load_product()
    if is_image_config(text):
        from installer.imageconfig.files import load_image_config

        return load_image_config(text, filename, product=product)
    source = expand(text, filename, pre_ran=pre_ran)
    parsed = kickstart_parse.run(source, product.kickstart_version)
    diagnostics = list(source.diagnostics) + parsed.diagnostics
    if parsed.handler is None:
        return KickstartResult(None, _unique(diagnostics))
    plan, more = build_plan(parsed, product)
    diagnostics += more
    plan.source_file = filename
    plan.source_text = text
    plan.input_secrets = [Secret(s) for s in parsed.secrets()]
    partial = kickstart_parse.partial_areas(parsed)
    if source.deferred:  # what the included file holds is unknown until %pre runs
        partial = kickstart_parse.ALL_AREAS
    return KickstartResult(plan, _unique(diagnostics), partial, [path for path, _ in source.deferred])


MAX_DIAGNOSTICS = 100


def _unique(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """Each message once (pykickstart can report the same problem twice), at most MAX_DIAGNOSTICS."""
    seen: set[tuple] = set()
    unique = []
    for d in diagnostics:
        key = (d.message, d.origin, d.severity)
        if key not in seen:
            seen.add(key)
            unique.append(d)
    if len(unique) > MAX_DIAGNOSTICS:
        rest = unique[MAX_DIAGNOSTICS:]
        unique = unique[:MAX_DIAGNOSTICS]
        n_errors = sum(d.is_error for d in rest)
        file = unique[-1].origin.file if unique[-1].origin else None
        unique.append(Diagnostic(f"{len(rest)} more messages not shown ({n_errors} errors)",
                                 Origin.kickstart(file or "ks.cfg", None),
                                 "error" if n_errors else "warning"))
    return unique


def dump_kickstart(plan: InstallPlan, *, product: Product | None = None) -> str:
    """A kickstart that parses back to an equal plan; passwords only as hashes, never a LUKS passphrase."""
    from installer.kickstart.write import write

    if product is None:
        try:
            product = load_product(plan.product)
        except (OSError, KeyError, ValueError):
            product = load_product()
    return write(plan, product)


def dump_original(plan: InstallPlan, *, product: Product | None = None) -> str | None:
    """The kickstart the install was given, as written, with every secret removed (None without one)."""
    from installer.kickstart.write import write_original

    if not plan.source_text:
        return None
    if is_image_config(plan.source_text):
        from installer.imageconfig.files import redacted_original

        return redacted_original(plan.source_text, [s.reveal() for s in plan.input_secrets])
    if product is None:
        try:
            product = load_product(plan.product)
        except (OSError, KeyError, ValueError):
            product = load_product()
    return write_original(plan.source_text, plan.source_file or "ks.cfg", product,
                          secrets=[s.reveal() for s in plan.input_secrets])
