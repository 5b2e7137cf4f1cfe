"""The chosen keymap loaded on the live console: loadkeys faked at the command boundary."""

from __future__ import annotations

import subprocess

from installer.live import keymap


class Runner:
    def __init__(self, rc: int = 0, stderr: str = "", exc: Exception | None = None):
        self.calls: list[list[str]] = []
        self.rc, self.stderr, self.exc = rc, stderr, exc

    def __call__(self, argv, **kw):
        self.calls.append(list(argv))
        if self.exc is not None:
            raise self.exc
        return subprocess.CompletedProcess(argv, self.rc, "", self.stderr)


def which(name):
    return f"/usr/bin/{name}"


def test_loaded_on_the_vt():
    run = Runner()
    assert keymap.apply_console_keymap("de-latin1", "/dev/tty1", run=run, which=which) is None
    assert run.calls == [["/usr/bin/loadkeys", "-C", "/dev/tty1", "de-latin1"]]


def test_serial_ssh_and_no_terminal_are_left_alone():
    run = Runner()
    for tty in ("/dev/ttyS0", "/dev/pts/3", None, "/dev/console"):
        assert keymap.apply_console_keymap("de", tty, run=run, which=which) is None
    assert run.calls == []


def test_missing_loadkeys_is_a_warning():
    warning = keymap.apply_console_keymap("fr", "/dev/tty1", run=Runner(), which=lambda n: None)
    assert warning.startswith("loadkeys is not installed") and "fr" in warning


def test_failing_loadkeys_is_a_warning_with_its_reason():
    run = Runner(rc=1, stderr="loadkeys: cannot open file fr-nosuch\n")
    warning = keymap.apply_console_keymap("fr-nosuch", "/dev/tty2", run=run, which=which)
    assert warning == ("loadkeys fr-nosuch failed: loadkeys: cannot open file fr-nosuch; "
                       "the console keeps its current layout")
    timeout = Runner(exc=subprocess.TimeoutExpired(["loadkeys"], 10))
    assert "failed" in keymap.apply_console_keymap("fr", "/dev/tty2", run=timeout, which=which)


def test_a_name_that_is_no_keymap_is_never_passed_on():
    run = Runner()
    warning = keymap.apply_console_keymap("-d", "/dev/tty1", run=run, which=which)
    assert "not a keymap name" in warning and run.calls == []


def test_only_the_live_launchers_installer_touches_the_console(monkeypatch):
    monkeypatch.setattr(keymap.os, "ttyname", lambda fd: "/dev/tty1")
    assert keymap.console_tty(env={}) is None
    assert keymap.console_tty(env={"AZL_EVENT_SOCKET": "/run/azl-install/events"}) == "/dev/tty1"
    monkeypatch.setattr(keymap.os, "ttyname", lambda fd: "/dev/pts/0")
    assert keymap.console_tty(env={"AZL_EVENT_SOCKET": "/run/azl-install/events"}) is None
