"""The keyboard chosen in the TUI (or by the kickstart it loaded) applied to the live console at
once with `loadkeys`, so passwords are typed in the layout the user chose. Only a Linux virtual
terminal is switched: on a serial line or over SSH the keymap is the client's, and a developer's
pseudo-terminal is left alone. Failure is soft: the caller shows the warning returned."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable

VT = re.compile(r"^/dev/tty[0-9]+$")
KEYMAP = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")
TIMEOUT = 10.0


def console_tty(fd: int = 0, env: dict[str, str] | None = None) -> str | None:
    """This process's terminal when it is a Linux VT of the live medium's installer, else None.

    The live console launcher (installer/live/launcher.py) sets AZL_EVENT_SOCKET for the
    installer it starts; without it the TUI runs somewhere else and the keymap is not touched."""
    env = os.environ if env is None else env
    if not env.get("AZL_EVENT_SOCKET"):
        return None
    try:
        name = os.ttyname(fd)
    except OSError:
        return None
    return name if VT.match(name) else None


def apply_console_keymap(keymap: str, tty: str | None, *,
                         run: Callable[..., subprocess.CompletedProcess] | None = None,
                         which: Callable[[str], str | None] | None = None) -> str | None:
    """Load `keymap` on the console `tty`. Returns a warning for the user, or None (done, or not
    a VT). Never raises for a missing or failing loadkeys."""
    if not tty or not VT.match(tty):
        return None
    if not KEYMAP.match(keymap or ""):
        return f"the keymap {keymap!r} is not a keymap name; the console keeps its current layout"
    exe = (which or shutil.which)("loadkeys")
    if exe is None:
        return (f"loadkeys is not installed: the console keeps its current layout, not {keymap} "
                "(passwords typed here use the current layout)")
    try:
        proc = (run or subprocess.run)([exe, "-C", tty, keymap], capture_output=True, text=True, timeout=TIMEOUT,
                   stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"loadkeys {keymap} failed ({exc}); the console keeps its current layout"
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout or "").strip().splitlines()
        why = detail[-1] if detail else f"exit status {proc.returncode}"
        return f"loadkeys {keymap} failed: {why}; the console keeps its current layout"
    return None
