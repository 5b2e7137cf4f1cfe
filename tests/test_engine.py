"""The engine: order, validation first, dry run, missing steps, failures, events, secrets; the install command."""

import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

from installer import engine
from installer.context import StepError
from installer.model.defaults import new_plan
from installer.model.diagnostics import Diagnostic
from installer.model.machine import Machine
from installer.model.plan import Encryption, Origin, PartitionRequest, Script, Secret
from installer.model.product import load_product

ROOT = Path(__file__).resolve().parent.parent
PROFILES = ROOT / "tests/profiles"
NO_PROBLEMS = lambda plan, machine, product: []  # noqa: E731


def fake_step(name, calls, *, fail=None, describe=None, applies=True):
    def apply(ctx):
        calls.append(name)
        if fail:
            raise fail

    ns = SimpleNamespace(NAME=name, TITLE=f"Doing {name}", apply=apply, applies=lambda ctx: applies)
    if describe is not None:
        ns.describe = lambda ctx: describe
    return ns


def run(tmp_path, steps, **kw):
    events = []
    kw.setdefault("validator", NO_PROBLEMS)
    result = engine.run(new_plan() if "plan" not in kw else kw.pop("plan"), Machine(), load_product(),
                        target=tmp_path / "target", events=events.append, log_dir=tmp_path / "log",
                        steps=steps, power_action=False, **kw)
    return result, events


def test_the_declared_order():
    s = list(engine.STEPS)
    order = ["pre_scripts", "storage", "mount", "preinstall_scripts", "payload", "fstab", "network", "accounts",
             "ssh", "selinux", "timezone", "locale", "services", "firewall", "bootloader", "post_scripts",
             "save", "relabel", "unmount", "finish"]
    assert [x for x in s if x in order] == order
    assert s.index("network_live") < s.index("pre_scripts")


def test_every_listed_step_module_has_an_entry_point():
    for name in engine.STEPS:
        step = engine.load_step(name)
        assert callable(step.apply) and isinstance(step.TITLE, str) and step.TITLE


def test_steps_run_in_order_with_events(tmp_path):
    calls = []
    steps = [fake_step("a", calls), fake_step("b", calls, applies=False), fake_step("c", calls)]
    result, events = run(tmp_path, steps)
    assert result.ok and calls == ["a", "c"]
    kinds = [(e.kind, getattr(e, "step", None)) for e in events]
    assert kinds == [("step-started", "a"), ("step-finished", "a"), ("step-started", "b"), ("step-finished", "b"),
                     ("step-started", "c"), ("step-finished", "c"), ("finished", None)]
    assert [e.skipped for e in events if e.kind == "step-finished"] == [False, True, False]
    for e in events:
        json.loads(e.to_json())


def test_validation_errors_stop_before_any_step(tmp_path):
    calls = []
    problem = Diagnostic("no root password and no SSH key", Origin.kickstart("ks.cfg", 4))
    result, events = run(tmp_path, [fake_step("a", calls)], validator=lambda *a: [problem])
    assert not result.ok and calls == []
    assert result.failure.step == "validate" and "ks.cfg:4: no root password" in result.message
    assert [e.kind for e in events] == ["failed"]


def test_warnings_from_validation_do_not_stop(tmp_path):
    calls = []
    warning = Diagnostic("consider a swap", None, severity="warning")
    result, _ = run(tmp_path, [fake_step("a", calls)], validator=lambda *a: [warning])
    assert result.ok and calls == ["a"] and "plan: warning: consider a swap" in result.warnings


def test_missing_validation_module_fails_clearly(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "installer.validate.validator", None)
    result, _ = run(tmp_path, [fake_step("a", [])], validator=None)
    assert not result.ok and "validation module is unavailable" in result.message


def test_a_missing_step_module_is_reported_before_anything_runs(tmp_path):
    calls = []
    result, events = run(tmp_path, [fake_step("a", calls), "no_such_step"])
    assert not result.ok and calls == []
    assert "installer/steps/no_such_step.py is missing" in result.message
    assert not any(e.kind == "step-started" for e in events)


def test_dry_run_describes_and_reports_missing_steps(tmp_path):
    calls = []
    result, events = run(tmp_path, [fake_step("a", calls, describe=["would do A"]), "no_such_step"], dry_run=True)
    assert calls == [] and not result.ok
    assert result.steps[0].description == ["would do A"]
    assert any(e.kind == "log" and e.message == "would do A" for e in events)
    assert "cannot install yet" in result.message


def test_a_failing_step_runs_onerror_and_unmounts(tmp_path, monkeypatch):
    from installer.steps import unmount

    unmounted = []
    monkeypatch.setattr(unmount, "apply", lambda ctx: unmounted.append(ctx.target))
    mark = tmp_path / "onerror.out"
    plan = new_plan()
    plan.scripts.append(Script(kind="onerror", body=f"echo onerror ran > {mark}\n"))
    calls = []
    steps = [SimpleNamespace(NAME="storage", TITLE="Creating partitions", apply=lambda ctx: calls.append("storage")),
             fake_step("payload", calls, fail=StepError("the repository azl is unreachable")),
             fake_step("after", calls)]
    result, events = run(tmp_path, steps, plan=plan)
    assert not result.ok and calls == ["storage", "payload"]
    assert result.failure.step == "payload"
    assert result.message == "Doing payload failed: the repository azl is unreachable"
    assert mark.read_text() == "onerror ran\n"
    assert unmounted == [tmp_path / "target"]
    assert events[-1].kind == "failed" and events[-1].log_tail
    assert any("unreachable" in line for line in events[-1].log_tail)


def test_the_power_action_runs_after_finished(tmp_path):
    from steps_support import Recorder

    recorder = Recorder()
    plan = new_plan()
    plan.finish.action = "poweroff"
    events = []
    result = engine.run(plan, Machine(), load_product(), target=tmp_path / "t", events=events.append,
                        log_dir=tmp_path / "log", steps=["finish"], validator=NO_PROBLEMS, runner=recorder)
    assert result.ok and events[-1].kind == "finished"
    assert recorder.commands() == [["systemctl", "poweroff"]]
    recorder.calls.clear()
    engine.run(plan, Machine(), load_product(), target=tmp_path / "t", log_dir=tmp_path / "log",
               steps=["finish"], validator=NO_PROBLEMS, runner=recorder, power_action=False)
    assert recorder.calls == []


def test_an_unexpected_exception_is_a_message_with_the_traceback_in_the_log(tmp_path):
    result, _ = run(tmp_path, [fake_step("a", [], fail=KeyError("boom"))])
    assert "internal error KeyError" in result.message
    assert "Traceback" in result.log_path.read_text()


def test_secrets_never_reach_log_events_or_failure(tmp_path):
    plan = new_plan()
    plan.storage.partitions.append(PartitionRequest(mountpoint="/", encrypted=True,
                                                    encryption=Encryption(passphrase=Secret("correct horse battery"))))

    def leaky(ctx):
        ctx.info("unlocking with correct horse battery")
        ctx.log.debug("  | cryptsetup said: correct horse battery")
        ctx.run([sys.executable, "-c", "print('echo: correct horse battery')"])
        raise StepError("cryptsetup failed for passphrase correct horse battery")

    result, events = run(tmp_path, [SimpleNamespace(NAME="s", TITLE="S", apply=leaky)], plan=plan)
    text = result.log_path.read_text()
    assert "correct horse battery" not in text and text.count("***") >= 3
    assert all("correct horse battery" not in e.to_json() for e in events)
    assert "***" in result.message


def test_engine_import_stays_light():
    code = ("import sys, installer.engine, installer.context, installer.installlog, installer.chroot;"
            "bad=[m for m in sys.modules if m.split('.')[0] in ('blivet','pykickstart','textual','rich','gi')];"
            "print(bad); sys.exit(1 if bad else 0)")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


# ------------------------------------------------------------------ the install command
KS = """text
zerombr
clearpart --all --initlabel
autopart --type=lvm
rootpw --plaintext NotInTheOutput99
sshkey --username=root "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl a@b"
network --device=link --hostname=node1.example.com
timezone Europe/Paris --utc
selinux --permissive
reboot
%post
echo post
%end
"""


def cli(*args):
    return subprocess.run([sys.executable, "-m", "installer", "install", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_install_dry_run_on_a_profile_changes_nothing(tmp_path):
    ks = tmp_path / "ks.cfg"
    ks.write_text(KS)
    target = tmp_path / "target"
    proc = cli("--kickstart", str(ks), "--machine", str(PROFILES / "vm-ci-guest.json"), "--dry-run",
               "--target", str(target), "--log-dir", str(tmp_path / "log"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert f"[ 1/{len(engine.STEPS)}]" in out and "Dry run finished" in out
    assert "set the hostname to node1.example.com" in out and "set the time zone to Europe/Paris" in out
    assert "create format xfs" in out  # from the storage step's preview
    assert not target.exists()
    assert "NotInTheOutput99" not in out + proc.stderr + (tmp_path / "log/dry-run.log").read_text()


def test_install_json_events(tmp_path):
    ks = tmp_path / "ks.cfg"
    ks.write_text(KS)
    proc = cli("--kickstart", str(ks), "--machine", str(PROFILES / "vm-ci-guest.json"), "--dry-run",
               "--json-events", "--target", str(tmp_path / "t"), "--log-dir", str(tmp_path / "log"))
    assert proc.returncode == 0, proc.stderr
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    assert events[-1]["kind"] == "finished" and events[-1]["dry_run"] is True
    assert sum(1 for e in events if e["kind"] == "step-started") == len(engine.STEPS)


def test_install_refuses_to_erase_without_yes(tmp_path):
    ks = tmp_path / "ks.cfg"
    ks.write_text(KS.replace("clearpart --all --initlabel", "clearpart --all --initlabel --drives=nvme0n1\n"
                             "ignoredisk --only-use=nvme0n1"))
    proc = cli("--kickstart", str(ks), "--machine", str(PROFILES / "dualboot-windows-linux.json"),
               "--target", str(tmp_path / "t"), "--log-dir", str(tmp_path / "log"))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "This install ERASES data" in proc.stderr and "destroy" in proc.stderr and "--yes" in proc.stderr
    assert not (tmp_path / "log").exists()


def test_install_reports_kickstart_errors_with_file_and_line(tmp_path):
    ks = tmp_path / "bad.cfg"
    ks.write_text("autopart --type=lvm\nnosuchcommand --x\n")
    proc = cli("--kickstart", str(ks), "--machine", str(PROFILES / "vm-ci-guest.json"), "--dry-run")
    assert proc.returncode == 1
    assert f"{ks}:2" in proc.stderr


def test_install_names_the_disk_it_erases(tmp_path):
    ks = tmp_path / "ks.cfg"
    ks.write_text(KS.replace("clearpart --all --initlabel", "clearpart --all --initlabel --drives=nvme0n1"))
    proc = cli("--kickstart", str(ks), "--machine", str(PROFILES / "dualboot-windows-linux.json"),
               "--target", str(tmp_path / "t"), "--log-dir", str(tmp_path / "log"))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    err = proc.stderr
    assert "nvme0n1" in err and "serial 22453R800712" in err and "931.5 GiB" in err
    assert "now: gpt: vfat" in err and "destroy partition nvme0n1p3" in err
    assert "Nothing was changed" in err and not (tmp_path / "log").exists()


def test_install_stops_when_it_cannot_tell_what_it_erases(tmp_path):
    """Overlapping partitions: the preview cannot recreate them, so nobody can say what goes."""
    machine = json.loads((PROFILES / "dualboot-windows-linux.json").read_text())
    parts = machine["disks"][0]["partitions"]
    parts[1]["start"] = parts[0]["start"] + 4096
    profile = tmp_path / "overlap.json"
    profile.write_text(json.dumps(machine))
    ks = tmp_path / "ks.cfg"
    ks.write_text(KS)
    proc = cli("--kickstart", str(ks), "--machine", str(profile), "--target", str(tmp_path / "t"),
               "--log-dir", str(tmp_path / "log"))
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert "cannot tell what this install would erase" in proc.stderr and "nothing was changed" in proc.stderr
    assert "could not list" not in proc.stderr
    assert not (tmp_path / "log").exists() and not (tmp_path / "t").exists()


def test_install_free_space_needs_no_confirmation_but_only_a_dry_run_here(tmp_path):
    ks = tmp_path / "ks.cfg"
    ks.write_text(KS.replace("zerombr\nclearpart --all --initlabel\n", "ignoredisk --only-use=nvme0n1\n"))
    proc = cli("--kickstart", str(ks), "--machine", str(PROFILES / "dualboot-windows-linux.json"), "--dry-run",
               "--target", str(tmp_path / "t"), "--log-dir", str(tmp_path / "log"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "ERASES" not in proc.stderr and "destroy" not in proc.stdout


class _Terminal:
    def __init__(self, answer: str):
        self.answer = answer

    def isatty(self) -> bool:
        return True

    def readline(self) -> str:
        return self.answer


def test_install_on_a_terminal_asks_for_erase(tmp_path):
    import io

    from installer.commands.install import confirm_erasure
    from installer.kickstart.files import load_kickstart

    ks = tmp_path / "ks.cfg"
    ks.write_text(KS.replace("clearpart --all --initlabel", "clearpart --all --initlabel --drives=nvme0n1"))
    plan = load_kickstart(str(ks)).plan
    machine = Machine.load(PROFILES / "dualboot-windows-linux.json")
    err = io.StringIO()
    assert confirm_erasure(plan, machine, None, err=err, stdin=_Terminal("erase\n")) is None
    assert "Type erase to erase them" in err.getvalue() and "serial 22453R800712" in err.getvalue()
    err = io.StringIO()
    assert confirm_erasure(plan, machine, None, err=err, stdin=_Terminal("yes\n")) == 1
    assert "Nothing was changed" in err.getvalue()
    free = load_kickstart(str(ks)).plan
    free.storage.clearpart.mode = "none"
    free.storage.clearpart.drives = []
    assert confirm_erasure(free, machine, None, err=io.StringIO(), stdin=_Terminal("")) is None
