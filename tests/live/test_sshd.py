"""inst.sshd configuration: accounts from sshpw / inst.sshkey=, never an empty password, no
plaintext on disk, the sshd_config snippet forcing the console launcher."""

import os
import stat
import subprocess
from pathlib import Path

import pytest

from installer.cli import main
from installer.live import sshd

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl admin@example"
HASH = "$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1"


def live_root(tmp_path) -> Path:
    root = tmp_path / "live"
    (root / "etc").mkdir(parents=True)
    (root / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534::/:/usr/sbin/nologin\n")
    (root / "etc/shadow").write_text("root:*:19000:0:99999:7:::\n")
    os.chmod(root / "etc/shadow", 0o600)
    return root


def test_sshpw_forms():
    text = f"""text
sshpw --username=install --plaintext "s3cret pass"
sshpw --username=hashed --iscrypted {HASH}
sshpw --username=keyed --sshkey "{KEY}"
sshpw --username=locked --lock --iscrypted {HASH}
%post
sshpw --username=ignored notacommand
%end
"""
    accounts, errors = sshd.accounts_from_kickstart(text, "ks.cfg")
    assert errors == []
    by = {a.username: a for a in accounts}
    assert sorted(by) == ["hashed", "install", "keyed", "locked"]
    assert by["install"].password_hash.startswith("$6$") and "s3cret" not in by["install"].password_hash
    assert by["hashed"].password_hash == HASH
    assert by["keyed"].keys == [KEY] and by["keyed"].password_hash is None
    assert by["locked"].password_hash is None


@pytest.mark.parametrize("line,message", [
    ('sshpw --username=install ""', "ks.cfg:2: sshpw --username=install: the password is missing or empty"),
    ("sshpw --username=install", "ks.cfg:2: sshpw --username=install: the password is missing or empty"),
    ("sshpw secret", "ks.cfg:2: sshpw needs --username=NAME"),
    ("sshpw --username=install --iscrypted plain", "ks.cfg:2: sshpw --iscrypted: not a crypt(3) hash"),
    ("sshpw --username=install --sshkey 'not a key'", "ks.cfg:2: sshpw --sshkey: not an OpenSSH public key"),
    ("sshpw --username=install --iscrypted --plaintext x", "exclude each other"),
])
def test_unusable_sshpw_lines_name_file_and_line(line, message):
    accounts, errors = sshd.accounts_from_kickstart(f"text\n{line}\n", "ks.cfg")
    assert accounts == [] and len(errors) == 1 and message in errors[0]


def test_a_plaintext_hash_verifies_with_openssl():
    hashed = sshd.hash_password("correct horse")
    salt = hashed.split("$")[2]
    again = subprocess.run(["openssl", "passwd", "-6", "-salt", salt, "-stdin"], input="correct horse\n",
                           capture_output=True, text=True).stdout.strip()
    assert again == hashed
    with pytest.raises(sshd.SshSetupError):
        sshd.hash_password("")


def test_apply_writes_accounts_keys_and_config_without_plaintext(tmp_path):
    root = live_root(tmp_path)
    accounts, _ = sshd.accounts_from_kickstart('sshpw --username=install --plaintext "Pl4intext!"\n')
    assert sshd.merge_keys(accounts, f"# keys\n{KEY}\nnot a key\n") == ["not a key"]
    sshd.apply(accounts, root)
    passwd = (root / "etc/passwd").read_text().splitlines()
    assert "install:x:0:0:Azure Linux installer:/root:/bin/sh" in passwd and passwd[0].startswith("root:")
    shadow = (root / "etc/shadow").read_text().splitlines()
    entry = next(line for line in shadow if line.startswith("install:"))
    assert entry.split(":")[1].startswith("$6$")
    assert stat.S_IMODE((root / "etc/shadow").stat().st_mode) == 0o600
    keys = root / sshd.KEYS_DIR / "install"
    assert keys.read_text() == KEY + "\n" and stat.S_IMODE(keys.stat().st_mode) == 0o600
    config = (root / sshd.CONFIG).read_text()
    assert "Match User install\n" in config and f"ForceCommand {sshd.SESSION}" in config
    assert "PasswordAuthentication yes" in config and "PermitEmptyPasswords no" in config
    for path in root.rglob("*"):
        if path.is_file():
            assert b"Pl4intext!" not in path.read_bytes(), path
    # again (the unit restarted): no duplicate entries
    sshd.apply(accounts, root)
    assert sum(line.startswith("install:") for line in (root / "etc/shadow").read_text().splitlines()) == 1


def test_keys_only_disable_password_login(tmp_path):
    root = live_root(tmp_path)
    accounts = []
    sshd.merge_keys(accounts, KEY)
    sshd.apply(accounts, root)
    assert "PasswordAuthentication no" in (root / sshd.CONFIG).read_text()
    assert "install:!:" in (root / "etc/shadow").read_text()  # locked password, never empty


def test_no_credential_means_no_sshd(tmp_path):
    root = live_root(tmp_path)
    with pytest.raises(sshd.SshSetupError, match="no account to log in with"):
        sshd.apply([], root)
    with pytest.raises(sshd.SshSetupError, match="neither a password nor a key"):
        sshd.apply([sshd.SshAccount("install", origin="ks.cfg:3")], root)
    assert not (root / sshd.CONFIG).exists()


def test_sshd_setup_command(tmp_path, capsys):
    root = live_root(tmp_path)
    ks = tmp_path / "ks.cfg"
    ks.write_text("cmdline\nsshpw --username=install --plaintext ''\n")
    cmdline = tmp_path / "cmdline"
    cmdline.write_text(f"inst.sshd inst.ks=file://{ks}\n")
    args = ["sshd-setup", "--cmdline-file", str(cmdline), "--root", str(root), "--run-dir", str(tmp_path / "run"),
            "--no-start"]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert f"{ks}:2: sshpw --username=install: the password is missing or empty" in err
    assert "sshd was not started" in err
    keyfile = tmp_path / "keys.pub"
    keyfile.write_text(KEY + "\n")
    cmdline.write_text(f"inst.sshd inst.ks=file://{ks} inst.sshkey=file://{keyfile}\n")
    assert main(args) == 0
    assert (root / sshd.KEYS_DIR / "install").read_text() == KEY + "\n"
    cmdline.write_text("quiet\n")
    (root / sshd.CONFIG).unlink()
    assert main(args) == 0 and not (root / sshd.CONFIG).exists()  # without inst.sshd: nothing


def test_banner_lists_addresses_and_fingerprints(tmp_path):
    (tmp_path / "etc/ssh").mkdir(parents=True)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "etc/ssh/ssh_host_ed25519_key")],
                   check=True)
    prints = sshd.host_key_fingerprints(tmp_path)
    assert len(prints) == 1 and "SHA256:" in prints[0] and "(ED25519)" in prints[0]
    text = sshd.banner([sshd.SshAccount("install")], ["192.0.2.7"], prints)
    assert "ssh install@192.0.2.7" in text and prints[0] in text


def test_a_kickstart_with_sshpw_validates_and_its_password_is_kept_out_of_the_saved_copy(tmp_path):
    """sshpw is for inst.sshd only (as in Anaconda): accepted, not installed, never written back in plaintext."""
    from installer.kickstart.files import load_kickstart
    from installer.kickstart.files import dump_original

    ks = tmp_path / "ks.cfg"
    ks.write_text("sshpw --username=install --plaintext Live-Ssh-Pw-31\nrootpw --lock\nsshkey --username=root "
                  "\"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl a@b\"\n"
                  "autopart\n")
    result = load_kickstart(str(ks))
    assert result.ok, [str(d) for d in result.diagnostics]
    accounts, errors = sshd.accounts_from_kickstart(ks.read_text(), str(ks))
    assert not errors and [a.username for a in accounts] == ["install"]
    saved = dump_original(result.plan)
    assert "sshpw --username=install" in saved and "Live-Ssh-Pw-31" not in saved
