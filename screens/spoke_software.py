"""Software: one of the product's package sets (core is always included), plus extra packages."""

from __future__ import annotations

import re

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Input, Label, RadioSet, Static

from installer.model.plan import TUI
from installer.model.secrets import redact_urls
from screens.spoke import FieldError, Spoke
from screens.widgets import Check, Radio

PACKAGE_NAME = re.compile(r"^[A-Za-z0-9_.+\-*]+$")


class SoftwareSpoke(Spoke):
    TITLE_TEXT = "Software selection"

    def compose_body(self) -> ComposeResult:
        pk = self.plan.payload.packages
        sets = [s for s in self.product.package_sets.values() if s.name != "core"]
        current = next((s for s in pk.sets if s in self.product.package_sets and s != "core"), self.product.default_set)
        core = self.product.package_set("core")
        yield Label("Base environment", classes="heading first", markup=False)
        with RadioSet(id="sets"):
            for s in sets:
                extra = f" (+{len(s.packages)})" if s.packages else ""
                description = s.description if len(s.description) + len(extra) <= 54 else s.description[:51 - len(extra)] + "..."
                yield Radio(f"{s.name:<16}{description}{extra}", value=(s.name == current), id=f"set-{s.name}")
        if core:
            yield Static(Text(f"Always installed (core, {len(core.packages)} packages): "
                              + " ".join(core.packages[:8]) + " ...", style="dim"), classes="hint")
        yield Check("Install without documentation (--excludedocs)", pk.excludedocs, id="excludedocs")
        yield Check("Skip weak dependencies (--exclude-weakdeps)", pk.exclude_weakdeps, id="weakdeps")
        yield Label("Extra packages (space separated; -name excludes)", classes="heading", markup=False)
        words = list(pk.packages) + [f"-{p}" for p in pk.excluded_packages]
        yield Input(" ".join(words), placeholder="e.g. git htop -vim-minimal", id="extra")
        if self.plan.payload.liveimg is not None:
            yield Static(Text(f"The kickstart installs an image ({redact_urls(self.plan.payload.liveimg.url)}); "
                              "package choices are ignored.", style="bold"))

    def on_mount(self) -> None:
        self.query_one("#sets").focus()

    def apply(self) -> None:
        pressed = self.query_one("#sets", RadioSet).pressed_button
        chosen = pressed.id.removeprefix("set-") if pressed else self.product.default_set
        add, remove = [], []
        for word in self.query_one("#extra", Input).value.replace(",", " ").split():
            name = word[1:] if word.startswith("-") else word
            if not PACKAGE_NAME.match(name):
                raise FieldError(f"Extra packages: {word!r} is not a package name", "extra")
            (remove if word.startswith("-") else add).append(name)
        pk = self.plan.payload.packages
        if pk.sets != [chosen]:
            pk.set("sets", [chosen], TUI)
        if add != pk.packages:
            pk.set("packages", add, TUI)
        if remove != pk.excluded_packages:
            pk.set("excluded_packages", remove, TUI)
        for wid, field in (("#excludedocs", "excludedocs"), ("#weakdeps", "exclude_weakdeps")):
            value = self.query_one(wid, Check).value
            if value != getattr(pk, field):
                pk.set(field, value, TUI)
