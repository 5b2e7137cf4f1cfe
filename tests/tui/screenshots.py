"""Render the main screens to PNG for docs/screenshots (80x24, the ANSI console theme).

    .venv/bin/python -m tests.tui.screenshots        # needs rsvg-convert (Debian: librsvg2-bin)
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.tui.catalog import SCREENS  # noqa: E402
from tests.tui.driver import make_app  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
MAIN = {
    "hub_new": "hub", "destination_preview": "destination", "users": "users", "network": "network",
    "summary": "summary", "progress": "progress", "done": "done", "error": "error",
}


async def shoot(name: str, out: Path) -> None:
    profile, plan_factory, navigate = SCREENS[name]
    app = make_app(profile, Path(tempfile.mkdtemp()), plan=plan_factory())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await navigate(pilot)
        await pilot.pause(0.3)
        svg = app.export_screenshot(title=f"azl-install: {MAIN[name]}")
    # rsvg drops leading non-breaking spaces unless told to preserve whitespace
    svg = svg.replace("<svg ", '<svg xml:space="preserve" ', 1)
    with tempfile.NamedTemporaryFile("w", suffix=".svg", delete=False) as fh:
        fh.write(svg)
    subprocess.run(["rsvg-convert", "-o", str(out), fh.name], check=True)
    Path(fh.name).unlink()


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, stem in MAIN.items():
        asyncio.run(shoot(name, OUT / f"{stem}.png"))
        print(OUT / f"{stem}.png")


if __name__ == "__main__":
    main()
