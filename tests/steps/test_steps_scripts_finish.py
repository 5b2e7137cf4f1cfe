"""%pre/%post/%onerror scripts; saving the kickstarts and logs; the finish action."""

import os

import pytest

from installer.context import StepError
from installer.kickstart.files import parse_kickstart
from installer.model.defaults import new_plan
from installer.model.machine import Disk
from installer.model.plan import Script
from installer.steps import finish, post_scripts, pre_scripts, save, scripts
from steps_support import make_env, mode


def with_scripts(tmp_path, *items):
    plan = new_plan()
    plan.scripts.extend(items)
    env = make_env(tmp_path, plan=plan)
    env.ctx.runner = None  # live-environment scripts really run (they only touch tmp_path)
    return env


def test_pre_script_runs_in_the_live_environment_with_the_target_named(tmp_path):
    out = tmp_path / "pre.out"
    env = with_scripts(tmp_path, Script(kind="pre", body=f'echo "target=$ANA_INSTALL_PATH" > {out}\necho to-log\n'))
    assert pre_scripts.applies(env.ctx)
    pre_scripts.apply(env.ctx)
    assert out.read_text() == f"target={env.target}\n"
    assert "to-log" in env.log_text()


def test_interpreter_and_log_option(tmp_path):
    log = tmp_path / "post.log"
    env = with_scripts(tmp_path, Script(kind="post", chroot=False, interpreter="/usr/bin/python3",
                                        body="print('from python')", log=str(log)))
    post_scripts.apply(env.ctx)
    assert log.read_text() == "from python\n"


def test_failing_script_without_erroronfail_is_a_warning(tmp_path):
    env = with_scripts(tmp_path, Script(kind="post", chroot=False, body="exit 3\n"))
    post_scripts.apply(env.ctx)
    assert any("status 3" in w for w in env.ctx.warnings)


def test_erroronfail_stops_with_the_output(tmp_path):
    env = with_scripts(tmp_path, Script(kind="post", chroot=False, erroronfail=True,
                                        body="echo step one\necho disk check failed >&2\nexit 7\n"))
    with pytest.raises(StepError) as err:
        post_scripts.apply(env.ctx)
    text = str(err.value)
    assert "exit status 7" in text and "--erroronfail" in text and "disk check failed" in text


def test_post_runs_chrooted_by_default(tmp_path):
    plan = new_plan()
    plan.scripts.append(Script(kind="post", body="echo hi\n", interpreter="/bin/bash"))
    env = make_env(tmp_path, plan=plan)
    post_scripts.apply(env.ctx)
    argv, _ = env.runner.calls[0]
    assert argv[:2] == ["chroot", str(env.target)] and argv[2:] == ["/bin/bash", "/tmp/ks-script-post-1"]
    assert not (env.target / "tmp/ks-script-post-1").exists()  # removed afterwards


def test_onerror_runs_and_never_raises(tmp_path):
    mark = tmp_path / "onerror.out"
    env = with_scripts(tmp_path, Script(kind="onerror", body=f"echo ran > {mark}\nexit 1\n"),
                       Script(kind="post", body="true\n"))
    scripts.run_onerror(env.ctx)
    assert mark.read_text() == "ran\n"


def test_secret_printed_by_a_script_is_redacted_in_the_log(tmp_path):
    plan = parse_kickstart("rootpw --plaintext Sup3rSecretPw\n").plan
    plan.scripts.append(Script(kind="pre", body="echo the password is Sup3rSecretPw\n"))
    env = make_env(tmp_path, plan=plan)
    env.ctx.runner = None
    pre_scripts.apply(env.ctx)
    text = env.log_text()
    assert "the password is ***" in text and "Sup3rSecretPw" not in text


KS = """rootpw --plaintext TopSecret123
user --name=ann --password=AnnPass456 --plaintext
user --name=bob --iscrypted --password=$6$abc$hash
part / --fstype=xfs --encrypted --passphrase="luks pass phrase"
%post
echo --password=notasecret
%end
"""


def test_save_writes_kickstarts_0600_and_logs(tmp_path, monkeypatch):
    import installer.kickstart.files as ks

    monkeypatch.setattr(ks, "dump_kickstart", lambda plan, **kw: "rootpw --iscrypted $6$x$y\n")
    plan = parse_kickstart(KS).plan
    env = make_env(tmp_path, plan=plan)
    env.ctx.log.info("a line for the target's log")
    save.apply(env.ctx)
    installed = env.target / "root/installer-ks.cfg"
    original = env.target / "root/original-ks.cfg"
    assert installed.read_text() == "rootpw --iscrypted $6$x$y\n" and mode(installed) == 0o600
    assert mode(original) == 0o600 and "TopSecret123" not in original.read_text()
    logs = env.target / "var/log/installer"
    assert mode(logs) == 0o700
    assert "a line for the target's log" in (logs / "install.log").read_text()
    assert mode(logs / "install.log") == 0o600
    assert (logs / "plan.json").exists() and (logs / "machine.json").exists()
    for f in logs.iterdir():
        for secret in ("TopSecret123", "AnnPass456", "luks pass phrase"):
            assert secret not in f.read_text(), f


def test_save_scrubs_a_plaintext_secret_from_the_dump(tmp_path, monkeypatch):
    import installer.kickstart.files as ks

    monkeypatch.setattr(ks, "dump_kickstart", lambda plan, **kw: "part / --passphrase=TopSecret123\n")
    plan = parse_kickstart(KS).plan
    env = make_env(tmp_path, plan=plan)
    save.apply(env.ctx)
    assert "TopSecret123" not in (env.target / "root/installer-ks.cfg").read_text()
    assert env.ctx.warnings


def test_finish_sets_the_power_action_and_ejects(tmp_path, monkeypatch):
    plan = new_plan()
    plan.finish.action = "poweroff"
    plan.finish.eject = True
    env = make_env(tmp_path, plan=plan)
    env.ctx.machine.disks.append(Disk(name="sr0", path="/dev/sr0", size=1, is_live_medium=True))
    monkeypatch.setattr(finish.shutil, "which", lambda name: "/usr/bin/eject")
    finish.apply(env.ctx)
    assert env.runner.named("eject") == [["eject", "/dev/sr0"]]
    assert env.ctx.finish_command == ["systemctl", "poweroff"]
    plan.finish.action = "none"
    finish.apply(env.ctx)
    assert env.ctx.finish_command is None
