"""Well-known paths for tests (import this, not conftest: several conftest modules exist)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROFILES = ROOT / "tests" / "profiles"
KICKSTARTS = ROOT / "kickstarts"
BUILD = ROOT / "build"
