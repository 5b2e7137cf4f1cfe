"""Password quality feedback for the TUI (pure; no dictionary files needed)."""

from __future__ import annotations

import string
from dataclasses import dataclass, field

MIN_LENGTH = 8

# A few of the most common passwords; pwquality's cracklib dictionary is the real thing.
COMMON = frozenset("""
password password1 password123 123456 1234567 12345678 123456789 1234567890 qwerty qwertyuiop
letmein welcome admin administrator root toor changeme secret azure azurelinux linux abc123
iloveyou monkey dragon master login passw0rd p@ssw0rd trustno1 111111 000000 football
""".split())

LABELS = ("Empty", "Very weak", "Weak", "Fair", "Good", "Strong")


@dataclass(frozen=True)
class Quality:
    score: int  # 0 (empty) .. 5 (strong)
    problems: tuple[str, ...] = field(default_factory=tuple)

    @property
    def label(self) -> str:
        return LABELS[self.score]

    @property
    def weak(self) -> bool:
        return self.score < 3

    def describe(self) -> str:
        if not self.problems:
            return self.label
        return f"{self.label}: {self.problems[0]}"


def _classes(pw: str) -> int:
    sets = (string.ascii_lowercase, string.ascii_uppercase, string.digits)
    n = sum(1 for s in sets if any(c in s for c in pw))
    if any(not c.isalnum() for c in pw):
        n += 1
    return n


def _longest_run(pw: str) -> int:
    best = run = 1
    for a, b in zip(pw, pw[1:]):
        run = run + 1 if a == b else 1
        best = max(best, run)
    return best


def _is_sequence(pw: str) -> bool:
    low = pw.lower()
    for alphabet in (string.ascii_lowercase, string.digits, "qwertyuiopasdfghjklzxcvbnm"):
        if len(low) >= 4 and (low in alphabet or low in alphabet[::-1]):
            return True
    return False


def check(password: str, username: str | None = None) -> Quality:
    if not password:
        return Quality(0, ("no password",))
    problems: list[str] = []
    score = 1
    if len(password) < MIN_LENGTH:
        problems.append(f"shorter than {MIN_LENGTH} characters")
    else:
        score += 1
        if len(password) >= 12:
            score += 1
        if len(password) >= 16:
            score += 1
    classes = _classes(password)
    if classes >= 3:
        score += 1
    elif len(password) < 16:
        problems.append("use a mix of letters, digits and symbols")
    lowered = password.lower()
    if lowered in COMMON or lowered.rstrip("0123456789!") in COMMON:
        problems.insert(0, "a commonly used password")
        score = 1
    if username and len(username) >= 3 and username.lower() in lowered:
        problems.insert(0, "contains the user name")
        score = min(score, 2)
    if _longest_run(password) >= 4 or _is_sequence(password) or len(set(password)) <= 2:
        problems.insert(0, "too repetitive or sequential")
        score = min(score, 1)
    return Quality(max(1, min(score, 5)), tuple(problems))
