"""The live consoles without a VM: which consoles, the ownership race between processes, the
event socket with several monitors, and the launcher's menu after the installer exits or
crashes, driven through a real pseudo-terminal."""

import multiprocessing
import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from installer.eventbus import EventServer, Follower
from installer.live.consoles import generate, installer_consoles, primary_console
from installer.live.launcher import describe_status
from installer.live.monitor import MonitorState, run_monitor
from installer.live.owner import Ownership
from installer.model.events import Failed, Finished, Log, Progress, StepFinished, StepStarted

ROOT = Path(__file__).resolve().parents[2]


# -- which consoles ---------------------------------------------------------------------------
def test_tty1_and_every_serial_console():
    cmdline = "root=live:CDLABEL=AZL console=tty0 console=ttyS0,115200n8 console=ttyS1 quiet"
    assert installer_consoles(cmdline) == ["tty1", "ttyS0", "ttyS1"]
    assert primary_console(cmdline) == "ttyS1"
    assert installer_consoles("quiet") == ["tty1"] and primary_console("quiet") == "tty1"
    assert primary_console("console=ttyS0 console=tty0") == "tty1"
    # consoles the kernel chose itself (e.g. from SPCR) count too, once
    assert installer_consoles("console=ttyS0", "ttyS0 tty0 hvc0") == ["tty1", "ttyS0", "hvc0"]


def test_generator_enables_the_template_and_masks_the_gettys(tmp_path):
    normal, early = tmp_path / "normal", tmp_path / "early"
    units = generate("console=tty0 console=ttyS0,115200", "", normal, early)
    assert units == ["azl-install@tty1.service", "azl-install@ttyS0.service"]
    wants = normal / "multi-user.target.wants"
    assert os.readlink(wants / "azl-install@ttyS0.service") == "/usr/lib/systemd/system/azl-install@.service"
    masked = sorted(p.name for p in early.iterdir() if os.readlink(p) == "/dev/null")
    assert masked == ["autovt@tty2.service", "getty@tty1.service", "getty@tty2.service",
                      "serial-getty@ttyS0.service"]
    generate("console=ttyS0", "", normal, early)  # systemd reruns generators on daemon-reload
    assert (wants / "azl-install@tty1.service").is_symlink()


def test_generator_command_and_overlay_files(tmp_path):
    cmdline = tmp_path / "cmdline"
    cmdline.write_text("console=ttyS0 inst.sshd\n")
    out = [tmp_path / d for d in ("n", "e", "l")]
    rc = subprocess.run([sys.executable, "-m", "installer", "console", "--cmdline-file", str(cmdline),
                         "--generate", *map(str, out)], cwd=ROOT).returncode
    assert rc == 0 and (out[0] / "multi-user.target.wants/azl-install@ttyS0.service").is_symlink()
    overlay = ROOT / "iso-overlay"
    template = (overlay / "usr/lib/systemd/system/azl-install@.service").read_text()
    assert "TTYPath=/dev/%I" in template and "Restart=always" in template
    exec_start = next(line for line in template.splitlines() if line.startswith("ExecStart="))
    launcher = overlay / exec_start.split("=", 1)[1].split()[0].lstrip("/")
    generator = overlay / "usr/lib/systemd/system-generators/azl-install-generator"
    for script in (launcher, generator):
        assert script.stat().st_mode & 0o111 and subprocess.run(["sh", "-n", str(script)]).returncode == 0
    shell = overlay / "etc/systemd/system/multi-user.target.wants/azl-install-shell.service"
    assert shell.is_symlink() and "TTYPath=/dev/tty2" in shell.read_text()


# -- ownership --------------------------------------------------------------------------------
def _race(run_dir, where, barrier, results):
    barrier.wait()
    own = Ownership(run_dir)
    won = own.claim(where)
    results.put((where, won))
    time.sleep(0.3)  # hold it while the other one tries
    own.release()


def test_two_processes_racing_exactly_one_wins(tmp_path):
    ctx = multiprocessing.get_context("fork")
    for round_ in range(10):
        run_dir = tmp_path / f"r{round_}"
        barrier, results = ctx.Barrier(2), ctx.Queue()
        procs = [ctx.Process(target=_race, args=(run_dir, w, barrier, results)) for w in ("tty1", "ttyS0")]
        for p in procs:
            p.start()
        outcome = dict(results.get(timeout=10) for _ in procs)
        for p in procs:
            p.join(10)
        assert sorted(outcome.values()) == [False, True], outcome


def test_the_owner_is_visible_and_a_dead_owner_frees_the_install(tmp_path):
    code = ("import sys, time; sys.path.insert(0, sys.argv[2]);"
            "from installer.live.owner import Ownership;"
            "o = Ownership(sys.argv[1]); assert o.claim('ttyS0'); print('claimed', flush=True); time.sleep(60)")
    holder = subprocess.Popen([sys.executable, "-c", code, str(tmp_path), str(ROOT)], stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout.readline().strip() == "claimed"
        me = Ownership(tmp_path)
        assert me.current()["where"] == "ttyS0" and me.current()["pid"] == holder.pid
        assert not me.claim("tty1")
        holder.send_signal(signal.SIGKILL)  # a crash: no release, the kernel drops the lock
        holder.wait(10)
        assert me.current() is None  # its stale owner.json is not believed
        assert me.claim("tty1") and me.current()["where"] == "tty1"
        me.release()
        assert me.current() is None
    finally:
        holder.kill()


# -- event socket and monitor -----------------------------------------------------------------
def _collect(follower, kinds_until, limit=50):
    got = []
    for event in follower:
        if event is not None:
            got.append(event)
            if event.kind == kinds_until:
                return got
        if len(got) > limit:
            break
    return got


def test_several_monitors_late_joiners_get_the_story_so_far(tmp_path):
    path = tmp_path / "events.sock"
    server = EventServer(path)
    try:
        assert (path.stat().st_mode & 0o777) == 0o600
        early = iter(Follower(path, idle_limit=5))
        while next(early) is None:  # connected once the first None turns into data later
            if server.clients:
                break
        server(StepStarted(step="storage", index=3, total=21, title="Creating partitions"))
        for i in range(1, 6):
            server(Progress(step="storage", done=i, total=5, item=f"action {i}"))
        server(Log(message="made /dev/vda2", step="storage"))
        late = Follower(path, idle_limit=5)
        late_events = []
        for event in late:
            if event is not None:
                late_events.append(event)
            if len(late_events) == 3:
                break
        # the late monitor gets the log, the running step and only the latest progress
        assert [e.kind for e in late_events] == ["log", "step-started", "progress"]
        assert late_events[2].done == 5
        server(Finished(seconds=3.0))
        got = [e for e in early if e is not None and e.kind in ("step-started", "finished")][:1]
        assert got and got[0].kind == "step-started"
    finally:
        server.close()
    assert not path.exists()


def test_a_monitor_reconnects_to_the_next_install(tmp_path):
    path = tmp_path / "events.sock"
    follower = Follower(path, idle_limit=10)
    stream = iter(follower)
    assert next(stream) is None and not follower.connected  # no installer yet: keeps waiting
    first = EventServer(path)
    first(Failed(step="payload", message="no repository"))
    event = next(e for e in stream if e is not None)
    assert event.kind == "failed"
    first.close()
    second = EventServer(path)  # the user restarted the installer
    second(StepStarted(step="network_live", index=1, total=21))
    event = next(e for e in stream if e is not None)
    assert event.kind == "step-started" and follower.connects == 2
    second.close()


def test_monitor_screen_says_where_and_what():
    state = MonitorState()
    for event in (StepStarted(step="payload", index=6, total=21, title="Installing packages"),
                  Progress(step="payload", done=50, total=200, item="bash-5.2 \x1b[2J"),
                  Log(message="line one\nline two")):
        state.add(event)
    screen = "\n".join(state.screen("ttyS0 (pid 42)", connected=True))
    assert "The install runs on ttyS0 (pid 42)." in screen
    assert "Step 6/21: Installing packages" in screen and " 25.0%" in screen and "bash-5.2" in screen
    assert screen.endswith("line one\nline two") and "\x1b" not in screen
    state.add(Failed(step="payload", message="dnf failed\ndetail", log_tail=["tail 1"]))
    assert "FAILED in payload: dnf failed" in "\n".join(state.screen(None, connected=False))


def test_plain_monitor_streams_lines_without_escapes(tmp_path):
    path = tmp_path / "events.sock"
    server = EventServer(path)
    own = Ownership(tmp_path)
    own.claim("tty1")
    try:
        server(StepStarted(step="storage", index=3, total=21, title="Creating partitions"))
        server(StepFinished(step="storage", seconds=2.0))
        server(Finished(seconds=9.0))
        out_path = tmp_path / "out.txt"
        with open(out_path, "w") as out, open(os.devnull) as stdin:
            assert run_monitor(str(path), run_dir=str(tmp_path), out=out, stdin=stdin, plain=True,
                               idle_limit=1.5) == 0
        text = out_path.read_text()
        assert "the install runs on tty1 (pid" in text
        assert "[ 3/21] Creating partitions" in text and "Installation finished in 9 s." in text
        assert "\x1b" not in text
    finally:
        own.release()
        server.close()


# -- the launcher, through a pty --------------------------------------------------------------
class Console:
    """A launcher (`azl-install console`) on a pseudo-terminal."""

    def __init__(self, tmp_path, *args):
        cmdline = tmp_path / "cmdline"
        if not cmdline.exists():
            cmdline.write_text("console=tty0 console=ttyS0\n")
        self.master, slave = pty.openpty()
        env = {**os.environ, "PYTHONPATH": str(ROOT), "TERM": "dumb"}
        self.proc = subprocess.Popen([sys.executable, "-m", "installer", "console", "--run-dir", str(tmp_path / "run"),
                                      "--cmdline-file", str(cmdline), *args],
                                     stdin=slave, stdout=slave, stderr=slave, env=env, cwd=ROOT,
                                     start_new_session=True)
        os.close(slave)
        self.seen = ""

    def expect(self, text, timeout=20.0):
        deadline = time.monotonic() + timeout
        while text not in self.seen:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{text!r} not shown; the console shows:\n{self.seen}")
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    self.seen += os.read(self.master, 4096).decode(errors="replace")
                except OSError:
                    raise AssertionError(f"console closed before {text!r}:\n{self.seen}") from None
        return self.seen

    def send(self, text):
        self.seen = ""
        os.write(self.master, text.encode())

    def close(self):
        os.close(self.master)  # the console hangs up
        try:
            return self.proc.wait(10)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()


def test_a_crashed_installer_leaves_a_menu_with_shell_and_restart(tmp_path):
    marker = tmp_path / "runs"
    crash = f"sh -c 'echo run >> {marker}; echo INSTALLER-UP; kill -SEGV $$'"
    console = Console(tmp_path, "--tty", "ttyS0", "--installer", crash, "--shell", "sh -c 'echo SHELL-RAN'")
    try:
        console.expect("Press Enter to install from this console.")
        console.send("\r")
        console.expect("INSTALLER-UP")
        screen = console.expect("Choice [1]: ")
        assert "The installer was killed by SIGSEGV." in screen
        assert "3) Shell" in screen and "4) Reboot" in screen
        console.send("3\r")
        console.expect("SHELL-RAN")
        console.expect("The shell ended.")
        console.expect("Choice [1]: ")
        console.send("nonsense\r")
        console.expect("'nonsense' is not a choice.")
        console.expect("Choice [1]: ")
        console.send("\r")  # the default: restart the installer
        console.expect("INSTALLER-UP")
        console.expect("Choice [1]: ")
        assert marker.read_text() == "run\nrun\n"
    finally:
        assert console.close() == 0


def test_a_finished_install_offers_reboot_first(tmp_path):
    installer = (f"{sys.executable} -c \"import sys; sys.path.insert(0, {str(ROOT)!r});"
                 "from installer.eventbus import serve_from_env;"
                 "from installer.model.events import Finished;"
                 "s = serve_from_env(); s(Finished(seconds=5.0)); s.close(); print('DONE')\"")
    console = Console(tmp_path, "--now", "--tty", "tty1", "--installer", installer)
    try:
        screen = console.expect("Choice [4]: ")
        assert "Installation complete." in screen and "DONE" in screen
    finally:
        console.close()


def test_quitting_the_installer_offers_restart_first(tmp_path):
    console = Console(tmp_path, "--now", "--tty", "tty1", "--installer", "sh -c 'echo QUIT; exit 0'")
    try:
        screen = console.expect("Choice [1]: ")
        assert "The installer exited." in screen and "QUIT" in screen
    finally:
        console.close()


def test_the_second_console_gets_the_monitor_of_the_first(tmp_path):
    # the first console's installer publishes events on the socket the launcher names
    installer = (f"{sys.executable} -c \"import os, time, sys; sys.path.insert(0, {str(ROOT)!r});"
                 "from installer.eventbus import serve_from_env;"
                 "from installer.model.events import StepStarted;"
                 "s = serve_from_env(); print('WHERE=' + os.environ['AZL_INSTALL_WHERE'], flush=True);"
                 "s(StepStarted(step='payload', index=6, total=21, title='Installing packages'));"
                 "time.sleep(30)\"")
    first = Console(tmp_path, "--tty", "tty1", "--installer", installer)
    second = None
    try:
        first.expect("Press Enter")
        first.send("\r")
        first.expect("WHERE=tty1")
        second = Console(tmp_path, "--tty", "ttyS0", "--installer", "sh -c 'echo SHOULD-NOT-RUN'")
        screen = second.expect("Installing packages")
        assert "The install runs on tty1" in screen
        assert "SHOULD-NOT-RUN" not in screen
        second.send("q")
        second.expect("You left the monitor.")
    finally:
        if second:
            second.close()
        os.killpg(first.proc.pid, signal.SIGKILL)
        first.close()


@pytest.mark.parametrize("status,text", [(0, "exited."), (3, "status 3"), (-9, "SIGKILL")])
def test_describe_status(status, text):
    assert text in describe_status(status)


def test_unattended_success_line_stays_last_and_clean(tmp_path):
    (tmp_path / "cmdline").write_text("console=tty0 console=ttyS0 inst.ks=file:/nonexistent inst.cmdline\n")
    console = Console(tmp_path, "--tty", "ttyS0", "--installer", "sh -c 'echo Installation finished in 1 s.'")
    try:
        console.expect("Installation finished in 1 s.")
        time.sleep(1.0)
        try:
            while select.select([console.master], [], [], 0.2)[0]:
                console.seen += os.read(console.master, 4096).decode()
        except OSError:
            pass
        assert console.seen.rstrip().endswith("Installation finished in 1 s.")
        assert "\x1b" not in console.seen and "Press Enter" not in console.seen
        console.send("\r")
        console.expect("Choice [1]: ")  # no finished event: not known to be installed
    finally:
        console.close()


@pytest.mark.parametrize("cmdline, claims", [
    ("inst.ks=hd:LABEL=KS:/ks.cfg", True),                      # a kickstart: the console runs it
    ("inst.ks=hd:LABEL=KS:/ks.cfg inst.sshd", False),           # ... unless the admin comes over SSH
    ("inst.ks=hd:LABEL=KS:/ks.cfg inst.sshd inst.cmdline", True),  # nobody anywhere: unattended
    ("inst.sshd=0 inst.ks", True),
    ("inst.text", False),
    ("inst.sshd", False),
    ("inst.reinstall inst.cmdline", True),                      # the saved kickstart, unattended
    ("inst.reinstall", False),                                  # the TUI offers it: someone is there
])
def test_which_boot_lines_claim_the_install_without_enter(tmp_path, cmdline, claims):
    from installer.live.bootopts import read_boot_options
    from installer.live.consoles import starts_without_enter

    f = tmp_path / "cmdline"
    f.write_text(cmdline + "\n")
    assert starts_without_enter(read_boot_options(str(f))) is claims
