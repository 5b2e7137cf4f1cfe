"""SVG snapshots of every screen at 80x24 (pytest-textual-snapshot). Update with --snapshot-update
after looking at the change; the pictures live in tests/tui/__snapshots__."""

from __future__ import annotations

import pytest
from textual.widgets import Input

from tests.tui.catalog import SCREENS
from tests.tui.driver import make_app


@pytest.mark.parametrize("name", sorted(SCREENS))
def test_screen_snapshot(name, snap_compare, tmp_path):
    profile, plan_factory, navigate = SCREENS[name]
    app = make_app(profile, tmp_path, plan=plan_factory())

    async def run_before(pilot):
        await pilot.pause()
        await navigate(pilot)
        # A blinking cursor would be on or off depending on how long the machine took.
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
