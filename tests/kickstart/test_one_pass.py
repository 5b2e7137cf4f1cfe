"""One run reports every problem of a file: refused lines do not hide the errors of the lines after them."""

from paths import PROFILES

from installer.cli import main

LAB = """\
install
text
lang en_US.UTF-8
keyboard us
timezone Mars/Olympus --utc
rootpw --plaintext Lab-reinstall-2026
network --bootproto=static --device=enp1s0 --ip=192.168.40.21 --gateway=192.168.40.1
zerombr
clearpart --all --initlabel
part /boot/efi --fstype=efi --size=600
part / --fstype=xfs --size=8000 --onbiosdisk=80
reboot
%packages
@^server
@web-stack
%end
"""


def run_validate(tmp_path, text, capsys, *extra):
    ks = tmp_path / "lab.ks"
    ks.write_text(text)
    code = main(["validate", str(ks), *extra])
    return code, capsys.readouterr().out.splitlines()


def test_refusals_and_semantic_errors_come_in_one_run(tmp_path, capsys):
    code, out = run_validate(tmp_path, LAB, capsys)
    assert code == 1
    errors = [line for line in out if ": warning: " not in line]
    assert [line.split(": ", 1)[0].rsplit(":", 1)[1] for line in errors] == ["1", "5", "7", "11", "15"], out
    assert "'install' was removed from kickstart" in errors[0]
    assert "timezone 'Mars/Olympus' does not exist" in errors[1]
    assert "--ip=192.168.40.21 needs --netmask" in errors[2]
    assert "'part --onbiosdisk' is not supported by azl-install: BIOS disk numbers are not used" in errors[3]
    assert "@web-stack" in errors[4]
    assert all(line.startswith(str(tmp_path / "lab.ks") + ":") for line in out)


def test_checks_a_refused_line_would_answer_are_skipped_and_said_so(tmp_path, capsys):
    _code, out = run_validate(tmp_path, LAB, capsys)
    assert not any("no root filesystem" in line for line in out), out
    (skipped,) = [line for line in out if "were skipped" in line]
    assert ": warning: 1 storage check(s) were skipped: they need lines that were refused" in skipped


def test_a_refused_rootpw_does_not_also_say_nobody_can_log_in(tmp_path, capsys):
    text = LAB.replace("rootpw --plaintext Lab-reinstall-2026", "rootpw --iscrypted not-a-hash").replace(
        " --onbiosdisk=80", "")
    _code, out = run_validate(tmp_path, text, capsys, "--machine", str(PROFILES / "nvme-uefi.json"))
    assert any(":6: 'rootpw --iscrypted' needs a crypt(3) hash" in line for line in out), out
    assert not any("log in" in line for line in out), out
    assert any(":5: timezone" in line for line in out), out


def test_without_refusals_whole_plan_checks_still_run(tmp_path, capsys):
    text = LAB.replace("install\n", "").replace("part / --fstype=xfs --size=8000 --onbiosdisk=80\n", "")
    _code, out = run_validate(tmp_path, text, capsys)
    assert any("the layout has no root filesystem" in line for line in out), out
    assert not any("were skipped" in line for line in out)


def test_refused_layout_lines_do_not_also_say_no_layout_was_given(tmp_path, capsys):
    text = "text\nlang en_US.UTF-8\nrootpw --plaintext Lab-reinstall-2026\n" \
           "part / --fstype=xfs --size=8000 --onbiosdisk=80\npart /home --onbiosdisk=80 --size=100\n"
    _code, out = run_validate(tmp_path, text, capsys)
    assert not any("no disk layout" in line for line in out), out
    assert any(":4: 'part --onbiosdisk' is not supported" in line for line in out), out
