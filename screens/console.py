"""What the Linux console and serial terminals can show: glyphs, colours, borders, keys.

The console font has 256 glyphs (a VGA/CP437-like set). Everything the TUI draws
must come from ASCII or CP437; Textual's defaults that fall outside it (tall
borders, progress bar lines, scrollbar eighths, arrow key names, the password
bullet, the radio dot) are replaced here or in theme.tcss.
"""

from __future__ import annotations

import os

from textual.scrollbar import ScrollBar, ScrollBarRender

MIN_WIDTH, MIN_HEIGHT = 80, 24

SAFE_BORDERS = ("solid", "ascii", "double", "thick", "none", "blank", "hidden")

# Terminals that get the 16-colour ANSI theme: the Linux console, serial (vt*), dumb-ish ones.
ANSI_TERMS = ("linux", "vt100", "vt102", "vt220", "vt320", "ansi", "dumb", "screen", "con80x25")


def _cp437_printable() -> frozenset[str]:
    upper = bytes(range(0x80, 0x100)).decode("cp437")
    return frozenset(chr(c) for c in range(0x20, 0x7F)) | frozenset(upper)


ALLOWED_GLYPHS = _cp437_printable()


def bad_glyphs(text: str) -> set[str]:
    return {c for c in text if c not in ALLOWED_GLYPHS and c not in "\n\r"}


def wants_ansi_theme(term: str | None = None) -> bool:
    term = (term if term is not None else os.environ.get("TERM", "")).lower()
    if os.environ.get("AZL_TUI_THEME") == "ansi":
        return True
    return term.split("-")[0] in ANSI_TERMS or term.startswith("vt")


KEY_NAMES = {
    "up": "Up", "down": "Down", "left": "Left", "right": "Right",
    "escape": "Esc", "enter": "Enter", "backspace": "BkSp", "tab": "Tab",
    "space": "Space", "delete": "Del", "pageup": "PgUp", "pagedown": "PgDn",
}


def key_display(key: str) -> str:
    """An ASCII name for a key binding ("f10" -> "F10", "ctrl+s" -> "^S")."""
    first = key.split(",")[0].strip()
    if first in KEY_NAMES:
        return KEY_NAMES[first]
    if first.startswith("ctrl+") and len(first) == 6:
        return "^" + first[-1].upper()
    if first[:1] == "f" and first[1:].isdigit():
        return first.upper()
    return first


class ConsoleScrollBarRender(ScrollBarRender):
    """Scrollbar drawn with colour only (no eighth-block glyphs)."""

    VERTICAL_BARS = [" "] * 8
    HORIZONTAL_BARS = [" "] * 8


def install_console_policy() -> None:
    ScrollBar.renderer = ConsoleScrollBarRender
