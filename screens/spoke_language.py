"""Language and keyboard: searchable lists of locales and console keymaps."""

from __future__ import annotations

import functools
from pathlib import Path

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from installer.model.plan import TUI
from screens.spoke import FieldError, Spoke

COMMON_LOCALES = (
    "en_US.UTF-8", "en_GB.UTF-8", "en_CA.UTF-8", "en_AU.UTF-8", "en_IE.UTF-8", "en_IN.UTF-8",
    "de_DE.UTF-8", "de_AT.UTF-8", "de_CH.UTF-8", "fr_FR.UTF-8", "fr_CA.UTF-8", "fr_BE.UTF-8",
    "es_ES.UTF-8", "es_MX.UTF-8", "it_IT.UTF-8", "pt_BR.UTF-8", "pt_PT.UTF-8", "nl_NL.UTF-8",
    "sv_SE.UTF-8", "nb_NO.UTF-8", "da_DK.UTF-8", "fi_FI.UTF-8", "pl_PL.UTF-8", "cs_CZ.UTF-8",
    "hu_HU.UTF-8", "ro_RO.UTF-8", "tr_TR.UTF-8", "ru_RU.UTF-8", "uk_UA.UTF-8", "el_GR.UTF-8",
    "he_IL.UTF-8", "ar_EG.UTF-8", "hi_IN.UTF-8", "ja_JP.UTF-8", "ko_KR.UTF-8", "zh_CN.UTF-8",
    "zh_TW.UTF-8", "C.UTF-8",
)

COMMON_KEYMAPS = (
    "us", "us-intl", "uk", "de", "de-latin1", "de-latin1-nodeadkeys", "ch-de", "fr", "fr-latin9",
    "fr-bepo", "be-latin1", "ca", "es", "la-latin1", "it", "pt-latin1", "br-abnt2", "nl", "se-latin1",
    "no", "dk", "fi", "pl2", "cz-qwerty", "hu", "ro", "trq", "ru", "ua", "gr", "il", "jp106", "kr",
    "dvorak", "colemak",
)


@functools.lru_cache(maxsize=1)
def locales() -> tuple[str, ...]:
    """UTF-8 locales glibc supports here (the live medium), else a built-in list."""
    found = set(COMMON_LOCALES)
    supported = Path("/usr/share/i18n/SUPPORTED")
    if supported.exists():
        for line in supported.read_text(errors="replace").splitlines():
            name, _, charset = line.partition(" ")
            if charset.strip() == "UTF-8" and name.endswith(".UTF-8"):
                found.add(name)
    return tuple(sorted(found))


@functools.lru_cache(maxsize=1)
def keymaps() -> tuple[str, ...]:
    found = set(COMMON_KEYMAPS)
    for base in (Path("/usr/lib/kbd/keymaps/xkb"), Path("/usr/share/kbd/keymaps/xkb")):
        if base.is_dir():
            found.update(p.name.split(".map")[0] for p in base.glob("*.map*"))
    return tuple(sorted(found))


def rank(items: tuple[str, ...], needle: str) -> list[str]:
    """Items containing `needle` (any case): the exact match first, then those starting with it,
    then those with a word starting with it (`berlin` -> Europe/Berlin), then the rest."""
    needle = needle.lower()
    if not needle:
        return list(items)
    groups: tuple[list[str], ...] = ([], [], [], [])
    for x in items:
        low = x.lower()
        if needle not in low:
            continue
        if low == needle:
            groups[0].append(x)
        elif low.startswith(needle):
            groups[1].append(x)
        elif any(low[i - 1] in "/-_. " for i in range(1, len(low)) if low.startswith(needle, i)):
            groups[2].append(x)
        else:
            groups[3].append(x)
    return [x for g in groups for x in g]


class FilteredList(Vertical):
    """A filter Input above an OptionList; the highlighted option is the choice."""

    DEFAULT_CSS = """
    FilteredList { width: 1fr; height: 1fr; }
    FilteredList > OptionList { height: 1fr; }
    FilteredList > .chosen { text-style: bold; }
    """

    def __init__(self, title: str, items: tuple[str, ...], current: str, *, id: str):
        super().__init__(id=id)
        self.title = title
        self.items = items
        self.current = current

    def compose(self) -> ComposeResult:
        yield Label(self.title, classes="heading first", markup=False)
        yield Input(placeholder="type to filter, Enter to browse", id=f"{self.id}-filter")
        yield Label("", id=f"{self.id}-chosen", classes="chosen", markup=False)
        yield OptionList(id=f"{self.id}-list")

    def on_mount(self) -> None:
        self.fill("")

    def fill(self, needle: str) -> None:
        lst = self.query_one(OptionList)
        lst.clear_options()
        shown = rank(self.items, needle)
        lst.add_options([Option(x, id=x) for x in shown])
        if shown and needle:
            lst.highlighted = 0  # the best match: what was typed
        elif self.current in shown:
            lst.highlighted = shown.index(self.current)
        elif shown:
            lst.highlighted = 0
        self.show_chosen()

    def show_chosen(self) -> None:
        value = self.value
        self.query_one(".chosen", Label).update(f"Chosen: {value}" if value else "Chosen: (nothing matches)")

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.fill(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one(OptionList).focus()

    def on_key(self, event) -> None:
        """Typing while the list has the focus (after Enter in the filter) goes on filtering."""
        lst = self.query_one(OptionList)
        if not lst.has_focus:
            return
        field = self.query_one(Input)
        if event.key == "backspace":
            field.value = field.value[:-1]
        elif event.is_printable and event.character and event.key != "space":
            field.value += event.character
        else:
            return
        event.stop()
        event.prevent_default()
        field.cursor_position = len(field.value)
        field.focus()

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self.current = event.option.id
        self.show_chosen()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.current = event.option.id

    @property
    def value(self) -> str | None:
        lst = self.query_one(OptionList)
        if lst.highlighted is None or lst.option_count == 0:
            return None
        return lst.get_option_at_index(lst.highlighted).id


class LanguageSpoke(Spoke):
    TITLE_TEXT = "Language and keyboard"
    CSS = """
    LanguageSpoke #body { height: 1fr; }
    LanguageSpoke Horizontal { height: 1fr; }
    LanguageSpoke FilteredList { margin-right: 1; }
    """

    def compose_body(self) -> ComposeResult:
        s = self.plan.system
        with Horizontal():
            yield FilteredList("Language (locale)", locales(), s.lang, id="lang")
            yield FilteredList("Console keyboard", keymaps(), s.keyboard, id="keymap")

    def on_mount(self) -> None:
        self.query_one("#lang-filter").focus()

    def apply(self) -> None:
        lang = self.query_one("#lang", FilteredList).value
        keymap = self.query_one("#keymap", FilteredList).value
        if not lang:
            raise FieldError("Language: no locale matches the filter", "lang-filter")
        if not keymap:
            raise FieldError("Keyboard: no keymap matches the filter", "keymap-filter")
        s = self.plan.system
        if lang != s.lang:
            s.set("lang", lang, TUI)
        if keymap != s.keyboard:
            s.set("keyboard", keymap, TUI)
            self.app.apply_keymap(keymap)
