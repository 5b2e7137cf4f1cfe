"""Recorded machine profiles for the TUI tests (tests/profiles/*.json)."""

from __future__ import annotations

from pathlib import Path

from installer.model.machine import Machine

PROFILES = Path(__file__).resolve().parent.parent / "profiles"


def profile_path(name: str) -> Path:
    return PROFILES / f"{name}.json"


def load(name: str) -> Machine:
    return Machine.load(profile_path(name))
