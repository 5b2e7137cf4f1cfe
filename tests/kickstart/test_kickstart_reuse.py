"""part --onpart/--usepart and --noformat in the kickstart: what the plan records, what is refused."""

import pytest

from installer.kickstart.files import parse_kickstart

HEAD = "lang en_US.UTF-8\nrootpw --plaintext Lab-Keep-Home-1\nclearpart --none\n"


def parse(lines: str):
    result = parse_kickstart(HEAD + lines, "lab.ks")
    return result, [str(d) for d in result.diagnostics]


def test_onpart_usepart_and_noformat_reach_the_plan():
    result, diags = parse("part / --fstype=xfs --onpart=/dev/vda2\npart /home --usepart=LABEL=HOME --noformat\n")
    assert diags == []
    root, home = result.plan.storage.partitions
    assert (root.onpart, root.noformat, root.fstype) == ("vda2", False, "xfs")
    assert (home.onpart, home.noformat) == ("LABEL=HOME", True)


def test_noformat_without_onpart_names_the_line():
    result, diags = parse("part / --size=4000\npart /home --noformat\n")
    assert diags == ["lab.ks:5: part --noformat keeps an existing filesystem: name it with --onpart"]
    assert not result.ok


def test_size_is_ignored_with_onpart_and_said_so():
    result, diags = parse("part / --onpart=vda2 --size=8000 --grow\n")
    assert diags == ["lab.ks:4: warning: part --onpart=vda2 reuses an existing partition: --size, --grow and "
                     "--ondisk are ignored"]
    assert result.ok


@pytest.mark.parametrize("line, message", [
    ("part / --onpart=vda2 --encrypted --passphrase=x", "part --onpart with --encrypted is not implemented yet"),
    ("part pv.01 --onpart=vda2 --noformat", "reuse an existing LVM, RAID or btrfs member"),
    ("part /home --onpart=vda3 --noformat --label=HOME", "--label and --mkfsoptions need a new one"),
])
def test_combinations_not_supported_are_refused_with_the_line(line, message):
    result, diags = parse(line + "\n")
    assert len(diags) == 1 and diags[0].startswith("lab.ks:4: ") and message in diags[0], diags
    assert not result.ok


@pytest.mark.parametrize("line, option", [
    ("logvol /home --vgname=azl --name=home --useexisting --noformat", "logvol --useexisting"),
    ("volgroup azl --useexisting", "volgroup --useexisting"),
    ("raid /srv --device=md0 --useexisting --noformat", "raid --useexisting"),
])
def test_reusing_lvm_and_raid_is_refused_with_the_reason(line, option):
    _result, diags = parse(line + "\n")
    assert any(f"'{option}' is not supported by azl-install: reusing existing LVM, RAID and btrfs devices"
               in d for d in diags), diags


def test_the_saved_kickstart_keeps_what_is_reused_and_how():
    from installer.kickstart.files import dump_kickstart

    result, _diags = parse("part /boot/efi --fstype=efi --size=600\npart / --fstype=xfs --onpart=vda2\n"
                           "part /home --onpart=LABEL=HOME --noformat --fsoptions=noatime\n")
    text = dump_kickstart(result.plan)
    assert "part / --onpart=vda2 --fstype=xfs" in text
    assert "part /home --onpart=LABEL=HOME --noformat --fsoptions=noatime" in text
    again = parse_kickstart(text, "saved.ks")
    assert again.diagnostics == [], [str(d) for d in again.diagnostics]
    assert again.plan.storage.partitions == result.plan.storage.partitions
