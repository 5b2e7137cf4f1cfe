"""Every screen draws only glyphs the Linux console font has (ASCII + CP437), and no secret."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from screens.console import ALLOWED_GLYPHS, bad_glyphs
from tests.tui.catalog import SCREENS, TYPED_SECRET
from tests.tui.driver import make_app, sync


def screen_text(app) -> str:
    """The characters on the terminal, as the compositor would send them."""
    console = Console(width=app.size.width, height=app.size.height, file=io.StringIO(), force_terminal=True,
                      color_system="standard", record=True, legacy_windows=False, safe_box=False)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text(styles=False)


def test_allowed_set_is_ascii_plus_cp437():
    assert "A" in ALLOWED_GLYPHS and "\u2588" in ALLOWED_GLYPHS and "\u2502" in ALLOWED_GLYPHS
    for forbidden in ("\u2022", "\u25cf", "\u2501", "\u258a", "\u256d", "\u23ce", "\u2190", "\u2714"):
        assert forbidden not in ALLOWED_GLYPHS, forbidden
    assert bad_glyphs("ok \u2714") == {"\u2714"}


@pytest.mark.parametrize("name", sorted(SCREENS))
@sync
async def test_screen_uses_console_glyphs_only(name, tmp_path):
    profile, plan_factory, navigate = SCREENS[name]
    app = make_app(profile, tmp_path, plan=plan_factory())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await navigate(pilot)
        await pilot.pause()
        text = screen_text(app)
        svg = app.export_screenshot()
        # a line too long for its widget is cut, never ended with an ellipsis the console font lacks
        ellipsis = [repr(w) for w in app.screen.walk_children() if w.styles.text_overflow == "ellipsis"]
    assert text.strip(), "nothing rendered"
    bad = bad_glyphs(text)
    assert not bad, f"{name}: glyphs outside the console font: {sorted(bad)} ({[hex(ord(c)) for c in sorted(bad)]})"
    assert not ellipsis, f"{name}: text-overflow: ellipsis on {ellipsis}"
    assert TYPED_SECRET not in text and TYPED_SECRET not in svg
    assert TYPED_SECRET[:5] not in text
