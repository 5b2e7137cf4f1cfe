"""Reading dnf's own output (dnf4 and dnf5): the resolved transaction, progress lines,
and the errors that end a run. Pure functions over text, tested on recorded samples."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "kib": 1024, "m": 1024 ** 2, "mb": 1024 ** 2,
          "mib": 1024 ** 2, "g": 1024 ** 3, "gb": 1024 ** 3, "gib": 1024 ** 3, "t": 1024 ** 4,
          "tb": 1024 ** 4, "tib": 1024 ** 4}


def parse_size(text: str) -> int | None:
    """'6.2 k', '18 KiB', '1.1 MB', '21.0   B', '949  B' -> bytes."""
    m = re.fullmatch(r"\s*([\d.]+)\s*([kKmMgGtT]?i?[bB]?)\s*", text)
    if not m:
        return None
    unit = m.group(2).lower()
    if unit not in _UNITS:
        return None
    return int(float(m.group(1)) * _UNITS[unit])


# ---------------------------------------------------------------- the resolved transaction

@dataclass
class Resolution:
    """What `dnf install --assumeno` said it would do."""

    packages: list[str] = field(default_factory=list)  # names, in table order
    count: int = 0
    download_bytes: int | None = None
    missing: list[str] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)  # skipped: dependencies cannot be satisfied
    nothing_to_do: bool = False


_SECTION = re.compile(r"^(Installing|Upgrading|Reinstalling|Downgrading|Skipping)( [\w /-]+)?:\s*$")
_SUMMARY4 = re.compile(r"^Install\s+(\d+)\s+Packages?\b")
_SUMMARY5 = re.compile(r"^\s*Installing:\s+(\d+)\s+packages?\b")
_SIZE4 = re.compile(r"^Total(?: download)? size:\s*(.+?)\s*$")
_SIZE5 = re.compile(r"^Total size of inbound packages is (.+?)\. Need to download (.+?)\.")
_MISSING = re.compile(r"^No match for argument:\s*(\S+)")
_MISSING_GROUP4 = re.compile(r"^Module or Group '([^']+)' (?:is not available|does not exist)")
_MISSING_GROUP5 = re.compile(r"^No match for (?:group|environment)(?: package)?:?\s*['\"]?([^'\"\s]+)")
_ARCH = re.compile(r"^(noarch|x86_64|aarch64|i686|src|armv7hl|ppc64le|s390x)$")


def parse_resolution(text: str) -> Resolution:
    res = Resolution()
    in_table = False
    skipping = False
    pending = ""
    for raw in text.splitlines():
        line = raw.rstrip()
        for rx in (_MISSING, _MISSING_GROUP4, _MISSING_GROUP5):
            m = rx.match(line.strip())
            if m:
                name = m.group(1)
                if rx is _MISSING_GROUP4:
                    name = "@" + name
                if name not in res.missing:
                    res.missing.append(name)
        if "Nothing to do" in line:
            res.nothing_to_do = True
        m = _SECTION.match(line)
        if m:
            in_table = True
            skipping = m.group(1) == "Skipping"
            continue
        if in_table:
            if not line.startswith(" ") or not line.strip():
                if line.strip() and not _SECTION.match(line):
                    in_table = False
                if not line.strip():
                    in_table = False
                continue
            words = (pending + " " + line).split() if pending else line.split()
            if len(words) == 1:
                pending = words[0]  # dnf4 wraps a long name onto its own line
                continue
            pending = ""
            target = res.broken if skipping else res.packages
            if len(words) >= 4 and _ARCH.match(words[1]) and words[0] not in target:
                target.append(words[0])
            continue
        m = _SUMMARY4.match(line) or _SUMMARY5.match(line)
        if m:
            res.count = int(m.group(1))
            continue
        m = _SIZE5.match(line)
        if m:
            res.download_bytes = parse_size(m.group(1))
            continue
        m = _SIZE4.match(line)
        if m:
            res.download_bytes = parse_size(m.group(1))
    if not res.count:
        res.count = len(res.packages)
    return res


# ---------------------------------------------------------------- progress

@dataclass
class ProgressState:
    total: int
    bytes_total: int | None = None
    done: int = 0
    bytes_done: int = 0
    item: str = ""
    phase: str = "resolving"  # downloading | installing | verifying
    downloads: dict[str, int] = field(default_factory=dict)  # a bar printed twice counts once
    installs: set[str] = field(default_factory=set)

    def downloaded(self, item: str, size: int) -> None:
        self.downloads[item] = size
        self.bytes_done = sum(self.downloads.values())
        if self.bytes_total is not None:
            self.bytes_done = min(self.bytes_done, self.bytes_total)


_DL4 = re.compile(r"^\((\d+)/(\d+)\):\s+(\S+?)(?:\.rpm)?\s+.*?\|\s*([\d.]+\s*[kKMGT]?B?)\s+[\d:]+\s*$")
_TX4 = re.compile(r"^\s+(Preparing|Installing|Upgrading|Reinstalling|Downgrading|Running scriptlet|"
                  r"Verifying|Cleanup|Erasing|Obsoleting)\s*:\s*(\S*)\s+(\d+)/(\d+)\s*$")
_BAR5 = re.compile(r"^\[\s*(\d+)/(\d+)\]\s+(.+?)\s+(\d+)%\s*\|(.*)$")
_TX5_VERBS = ("Installing", "Upgrading", "Reinstalling", "Downgrading", "Removing", "Verify",
              "Prepare", "Running", "Cleanup", "Erasing", "Replacing")


def feed_progress(state: ProgressState, line: str) -> bool:
    """Update `state` from one line of dnf output; True when something changed.

    `done` stays below `total` until finish_progress(): only the end of the whole
    transaction completes the bar (and passes the events' rate limiter unconditionally)."""
    m = _DL4.match(line)
    if m:
        state.phase = "downloading"
        state.item = m.group(3)
        state.downloaded(state.item, parse_size(m.group(4)) or 0)
        return True
    m = _TX4.match(line)
    if m:
        verb, pkg, i = m.group(1), m.group(2), int(m.group(3))
        if verb in ("Installing", "Upgrading", "Reinstalling", "Downgrading"):
            state.phase = "installing"
            state.item = pkg
            state.done = max(state.done, min(i - 1, state.total - 1))
            return True
        if verb == "Verifying":
            state.phase = "verifying"
            state.done = max(state.done, state.total - 1)
            state.item = pkg
            return True
        return False
    m = _BAR5.match(line.strip())
    if m:
        what = m.group(3).strip()
        first = what.split()[0]
        if first == "Total":
            return False
        if first in _TX5_VERBS:
            if first in ("Installing", "Upgrading", "Reinstalling", "Downgrading"):
                state.phase = "installing"
                state.item = what.split(None, 1)[1] if " " in what else what
                state.installs.add(state.item)
                state.done = min(len(state.installs), state.total - 1)
                return True
            return False
        cols = [c.strip() for c in m.group(5).split("|")]
        size = parse_size(cols[1]) if len(cols) >= 2 else None
        state.phase = "downloading"
        state.item = what
        state.downloaded(what, size or 0)
        return True
    return False


def finish_progress(state: ProgressState) -> None:
    state.done = state.total
    if state.bytes_total is not None:
        state.bytes_done = state.bytes_total
    state.phase = "done"


# ---------------------------------------------------------------- errors

@dataclass
class DnfFailure:
    kind: str  # unreachable | unsigned | untrusted-key | tampered | no-space | missing | key-file | other
    subject: str = ""  # the repository or package concerned
    detail: str = ""


_FAILURES: list[tuple[str, re.Pattern[str]]] = [
    ("unreachable", re.compile(r"Failed to download metadata (?:\(.*?\) )?for repo(?:sitory)?:? ['\"]([^'\"]+)['\"]")),
    ("unreachable", re.compile(r"Cannot download repomd\.xml.*?for repo(?:sitory)? ['\"]?([\w.:-]+)")),
    ("unsigned", re.compile(r"Package (\S+?) is not signed")),
    ("unsigned", re.compile(r"OpenPGP check for package \"([^\"]+)\".*?(?:not signed|no signature)", re.I)),
    ("untrusted-key", re.compile(r"Public key for (\S+?) is not installed")),
    ("untrusted-key", re.compile(r"not correct for this package[\s\S]{0,400}?Failing package is: (\S+)")),
    ("untrusted-key", re.compile(r"keys listed for the \"?([^\"]+?)\"? repository are already installed but they are not correct")),
    ("untrusted-key", re.compile(r"OpenPGP check for package \"([^\"]+)\".*?(?:No corresponding key|key .*?not .*?imported|public key is not installed)", re.I)),
    ("broken", re.compile(r"nothing provides (.+?) needed by (\S+)")),
    ("tampered", re.compile(r"Problem opening package (\S+)")),
    ("tampered", re.compile(r"OpenPGP check for package \"([^\"]+)\".*?(?:Problem occurred when opening|BAD|digest)", re.I)),
    ("tampered", re.compile(r"Package does not match intended download.*?(?:\(|for )?(\S+?\.rpm)?")),
    ("tampered", re.compile(r"(\S+\.rpm).*?(?:Checksum of the downloaded file doesn't match|checksum mismatch|Interrupted by header callback: Server reports)", re.I)),
    ("no-space", re.compile(r"needs ([\d.]+\s*\w+) more space on the (\S+) filesystem")),
    ("no-space", re.compile(r"At least ([\d.]+\s*\w+) more space needed on the (\S+) filesystem")),
    ("no-space", re.compile(r"()No space left on device")),
    ("key-file", re.compile(r"Couldn't (?:open|read a file:// file for) (?:file )?(\S+)")),
]


def classify_failure(text: str) -> DnfFailure:
    """The first recognised reason a dnf run failed, else its last error line."""
    for kind, rx in _FAILURES:
        m = rx.search(text)
        if m:
            subject = next((g for g in m.groups() if g), "") if m.groups() else ""
            line = text[text.rfind("\n", 0, m.start()) + 1:text.find("\n", m.end()) if "\n" in text[m.end():] else len(text)]
            return DnfFailure(kind, subject, line.strip())
    errors = [ln.strip() for ln in text.splitlines() if ln.strip().startswith(("Error", "error:"))]
    if errors:
        return DnfFailure("other", "", errors[-1])
    tail = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return DnfFailure("other", "", tail[-1] if tail else "")


# ---------------------------------------------------------------- prompts

_PROMPT = re.compile(r"\[y/N\]:?\s*$", re.I)
_KEY_IMPORT = re.compile(r"Importing (?:GPG|OpenPGP) key")


def is_prompt(partial_line: str) -> bool:
    """dnf waiting for an answer: 'Is this ok [y/N]: ' (no newline follows)."""
    return bool(_PROMPT.search(partial_line))


def is_key_import(lines_since_last_answer: list[str]) -> bool:
    return any(_KEY_IMPORT.search(line) for line in lines_since_last_answer)
