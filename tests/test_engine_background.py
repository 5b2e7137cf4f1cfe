"""Commands a step leaves running (ctx.start): done before the step they are due for, before the
unmount, and stopped after a failure; a failure is reported with the step that started it."""

from types import SimpleNamespace

from installer import engine
from installer.model.defaults import new_plan
from installer.model.machine import Machine
from installer.model.product import load_product

NO_PROBLEMS = lambda plan, machine, product: []  # noqa: E731 - as in test_engine


def step(name, apply):
    return SimpleNamespace(NAME=name, TITLE=f"Doing {name}", apply=apply)


def run(tmp_path, steps):
    events = []
    result = engine.run(new_plan(), Machine(), load_product(), target=tmp_path / "target",
                        events=events.append, log_dir=tmp_path / "log", steps=steps, power_action=False,
                        validator=NO_PROBLEMS)
    return result, events


def test_a_background_command_overlaps_the_next_steps_and_is_done_before_its_step(tmp_path):
    flag, seen = tmp_path / "done", {}
    # the command waits for a file step b makes: it cannot finish unless b ran while it was running
    go = tmp_path / "go"
    script = f"while [ ! -e {go} ]; do sleep 0.05; done; echo made-it; touch {flag}"

    def a(ctx):
        ctx.start(["sh", "-c", script], until="c")
        seen["a"] = flag.exists()

    def b(ctx):
        seen["b"] = flag.exists()
        go.touch()

    def c(ctx):
        seen["c"] = flag.exists()

    result, _ = run(tmp_path, [step("a", a), step("b", b), step("c", c)])
    assert result.ok, result.message
    assert seen == {"a": False, "b": False, "c": True}
    log = result.log_path.read_text()
    assert "starting: sh -c" in log and "made-it" in log and "(started by step a)" in log


def test_a_failed_background_command_fails_the_install_naming_its_step(tmp_path):
    calls = []

    def a(ctx):
        ctx.start(["sh", "-c", "echo no-entropy >&2; exit 3"], until="c")

    result, _ = run(tmp_path, [step("a", a), step("b", lambda ctx: calls.append("b")),
                                    step("c", lambda ctx: calls.append("c"))])
    assert not result.ok and calls == ["b"]
    assert result.failure.step == "c"
    assert "started by step a" in result.message and "exit status 3" in result.message
    assert "no-entropy" in result.message


def test_everything_is_collected_before_unmount_even_when_due_later(tmp_path):
    flag = tmp_path / "done"

    def a(ctx):
        ctx.start(["sh", "-c", f"sleep 0.3; touch {flag}"], until="post_scripts")  # not in this run

    seen = {}
    result, _ = run(tmp_path, [step("a", a), step("unmount", lambda ctx: seen.setdefault("u", flag.exists()))])
    assert result.ok and seen == {"u": True}


def test_a_failure_stops_what_runs_in_the_background(tmp_path):
    ctxs = []

    def a(ctx):
        ctx.start(["sleep", "30"], until="z")
        ctxs.append(ctx)

    def b(ctx):
        raise engine.StepError("disk full")

    result, _ = run(tmp_path, [step("a", a), step("b", b), step("z", lambda ctx: None)])
    assert not result.ok and result.failure.step == "b"
    assert ctxs[0].background == []
    assert "stopped: sleep 30 (started by step a)" in result.log_path.read_text()


def test_dry_runs_and_test_runners_run_it_at_once(tmp_path):
    from steps_support import make_env

    env = make_env(tmp_path)
    env.ctx.start(["ssh-keygen", "-A"], chroot=True, until="post_scripts")
    assert env.runner.commands(chroot=True) == [["ssh-keygen", "-A"]] and env.ctx.background == []
