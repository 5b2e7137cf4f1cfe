"""Helpers that drive the installer TUI with Textual's Pilot, the way a keyboard user would."""

from __future__ import annotations

from pathlib import Path

from installer.model.defaults import new_plan
from installer.model.product import load_product
from screens.app import InstallerApp
from tests.tui import machines

SIZE = (80, 24)


def make_app(profile: str, tmp_path: Path, *, plan=None, ks_path: str | None = None, **kwargs) -> InstallerApp:
    product = load_product()
    return InstallerApp(plan=plan or new_plan(product), machine=machines.load(profile), product=product,
                        dry_run=True, target=str(tmp_path / "sysimage"), log_dir=str(tmp_path / "logs"),
                        ks_path=ks_path, ansi=True, **kwargs)


def screen_name(app) -> str:
    return type(app.screen).__name__


async def wait_for_screen(pilot, name: str, timeout: float = 60.0) -> None:
    waited = 0.0
    while screen_name(pilot.app) != name:
        if waited > timeout:
            raise AssertionError(f"still on {screen_name(pilot.app)}, expected {name}")
        await pilot.pause(0.1)
        waited += 0.1


async def wait_until(pilot, predicate, timeout: float = 60.0, what: str = "condition") -> None:
    waited = 0.0
    while not predicate():
        if waited > timeout:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.1)
        waited += 0.1


async def type_text(pilot, text: str) -> None:
    await pilot.press(*[("space" if c == " " else c) for c in text])


async def focus_and_type(pilot, widget_id: str, text: str, clear: bool = True) -> None:
    widget = pilot.app.screen.query_one(f"#{widget_id}")
    widget.focus()
    await pilot.pause()
    if clear:
        await pilot.press("end")
        for _ in range(len(widget.value)):
            await pilot.press("backspace")
    await type_text(pilot, text)


async def open_area(pilot, number: int, expect: str) -> None:
    await pilot.press(str(number))
    await wait_for_screen(pilot, expect)


async def done(pilot, back_to: str = "HubScreen") -> None:
    await pilot.press("escape")
    await wait_for_screen(pilot, back_to, timeout=5)


async def begin_and_install(pilot, *, confirm: bool = True) -> None:
    """From the hub: Begin installation, wait for the summary check, confirm, install, reach Done."""
    await pilot.press("f10")
    await wait_for_screen(pilot, "SummaryScreen")
    screen = pilot.app.screen
    await wait_until(pilot, lambda: screen.checked, what="the summary check (validation + storage preview)")
    assert not screen.errors, screen.errors
    if screen.destructive and confirm:
        await focus_and_type(pilot, "confirm", "erase")
    await pilot.press("f10")
    await wait_for_screen(pilot, "DoneScreen", timeout=120)


def sync(fn):
    """Run an async Pilot test with asyncio.run (the venv has no pytest-asyncio)."""
    import asyncio
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return asyncio.run(fn(*args, **kwargs))

    return wrapper


async def choose(pilot, set_id: str, button_id: str) -> None:
    """Pick a radio button with the keyboard: focus its RadioSet, arrow to it, Enter."""
    from textual.widgets import RadioButton

    radio_set = pilot.app.screen.query_one(f"#{set_id}")
    radio_set.focus()
    await pilot.pause()
    ids = [b.id for b in radio_set.query(RadioButton)]
    target = ids.index(button_id)
    for _ in range(len(ids)):
        if radio_set._selected == target:
            break
        await pilot.press("right")
    await pilot.press("enter")
    await pilot.pause()
    assert radio_set.query_one(f"#{button_id}").value, f"{button_id} not chosen"


async def toggle(pilot, checkbox_id: str) -> None:
    box = pilot.app.screen.query_one(f"#{checkbox_id}")
    box.focus()
    await pilot.pause()
    await pilot.press("space")
    await pilot.pause()


async def pick(pilot, list_id: str, option_id: str) -> None:
    """Arrow down a SelectionList to an option and toggle it with Space."""
    lst = pilot.app.screen.query_one(f"#{list_id}")
    lst.focus()
    await pilot.pause()
    for _ in range(lst.option_count + 1):
        if lst.highlighted is not None and lst.get_option_at_index(lst.highlighted).id == option_id:
            break
        await pilot.press("down")
    await pilot.press("space")
    await pilot.pause()
