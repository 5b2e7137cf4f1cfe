"""`%include` of a file that %pre writes: validate defers it, install runs %pre first and reads again."""

import io

from paths import PROFILES

from installer.cli import main
from installer.commands.pre_first import read_after_pre
from installer.kickstart.files import load_kickstart
from installer.model.product import load_product


def dynamic(tmp_path, pre_body=None, erroronfail=False):
    include = tmp_path / "part-include"
    body = pre_body if pre_body is not None else (
        f'echo "part /boot/efi --fstype=efi --size=600" > {include}\n'
        f'echo "part / --fstype=xfs --size=8000 --grow" >> {include}\n')
    ks = tmp_path / "dynamic.ks"
    ks.write_text(f"""\
text
lang en_US.UTF-8
timezone UTC --utc
rootpw --plaintext Dynamic-Parts-2026
zerombr
clearpart --all --initlabel
%include {include}
reboot

%pre{' --erroronfail' if erroronfail else ''}
{body}%end
""")
    return ks, include


def test_validate_defers_an_include_that_pre_may_write(tmp_path, capsys):
    ks, include = dynamic(tmp_path)
    code = main(["validate", str(ks)])
    out = capsys.readouterr().out.splitlines()
    assert code == 0, out
    assert out[0] == (f"{ks}:7: warning: '%include {include}' does not exist yet: a %pre script may write it; "
                      "it is read and checked when the kickstart is read again after %pre runs")
    assert not any("no disk layout" in line or "root filesystem" in line for line in out), out
    assert not include.exists(), "validate must not run %pre"


def test_without_pre_a_missing_include_is_still_an_error(tmp_path):
    ks, include = dynamic(tmp_path)
    ks.write_text(ks.read_text().split("%pre")[0])
    (error,) = load_kickstart(ks).errors
    assert error.message.startswith(f"cannot include '{include}': No such file or directory")


def test_install_runs_pre_then_reads_the_included_file(tmp_path):
    ks, include = dynamic(tmp_path)
    product = load_product()
    first = load_kickstart(ks, product=product)
    assert first.ok and first.deferred_includes == [str(include)]
    err = io.StringIO()
    again = read_after_pre(str(ks), first, product, str(tmp_path / "sysroot"), err)
    assert again is not None and again.ok, [str(d) for d in again.diagnostics]
    parts = again.plan.storage.partitions
    assert [(p.mountpoint, p.origin.file, p.origin.line) for p in parts] == [
        ("/boot/efi", str(include), 1), ("/", str(include), 2)]
    assert [s.kind for s in again.plan.scripts] == [], "%pre ran already; the engine must not run it again"
    assert "running %pre script 1" in err.getvalue()


def test_after_pre_a_file_it_did_not_write_is_an_error(tmp_path):
    ks, include = dynamic(tmp_path, pre_body="echo nothing to write\n")
    product = load_product()
    again = read_after_pre(str(ks), load_kickstart(ks, product=product), product, "/mnt/sysroot", io.StringIO())
    (error,) = again.errors
    assert error.origin.line == 7 and error.message.startswith(f"cannot include '{include}'")


def test_a_failing_pre_with_erroronfail_stops_before_anything(tmp_path):
    ks, _include = dynamic(tmp_path, pre_body="echo probing disks failed >&2\nexit 3\n", erroronfail=True)
    product = load_product()
    err = io.StringIO()
    assert read_after_pre(str(ks), load_kickstart(ks, product=product), product, "/mnt/sysroot", err) is None
    assert "failed with exit status 3" in err.getvalue() and "probing disks failed" in err.getvalue()


def test_install_dry_run_does_not_run_pre_and_says_so(tmp_path, capsys):
    ks, include = dynamic(tmp_path)
    code = main(["install", "--kickstart", str(ks), "--dry-run", "--machine", str(PROFILES / "nvme-uefi.json"),
                 "--log-dir", str(tmp_path / "logs")])
    err = capsys.readouterr().err
    assert code == 1
    assert "includes files its %pre scripts write, and --dry-run runs no script" in err
    assert not include.exists()
