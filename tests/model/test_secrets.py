"""Password hashing through libxcrypt (no `crypt` module), checked against an independent implementation."""

import shutil
import subprocess

import pytest

from installer.model import secrets


def test_sha512_hash_has_16_character_salt_and_verifies():
    hashed = secrets.hash_password("correct horse")
    prefix, method, salt, digest = hashed.split("$")
    assert (prefix, method) == ("", "6")
    assert len(salt) == 16
    assert len(digest) == 86
    assert secrets.is_crypt_hash(hashed)
    assert secrets.verify("correct horse", hashed)
    assert not secrets.verify("correct horse ", hashed)
    assert not secrets.verify("", hashed)


def test_each_hash_gets_a_fresh_salt():
    a, b = secrets.hash_password("same"), secrets.hash_password("same")
    assert a != b
    assert a.split("$")[2] != b.split("$")[2]
    assert secrets.verify("same", a) and secrets.verify("same", b)


def test_yescrypt_hash_verifies():
    hashed = secrets.hash_password("pässwörd ✓", secrets.YESCRYPT)
    assert hashed.startswith("$y$")
    assert secrets.is_crypt_hash(hashed)
    assert secrets.verify("pässwörd ✓", hashed)
    assert not secrets.verify("passwort", hashed)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")
def test_hash_from_openssl_verifies_and_ours_matches_openssl():
    ours = secrets.hash_password("s3cret!")
    salt = ours.split("$")[2]
    theirs = subprocess.run(["openssl", "passwd", "-6", "-salt", salt, "s3cret!"], capture_output=True, text=True,
                            check=True).stdout.strip()
    assert theirs == ours
    other = subprocess.run(["openssl", "passwd", "-6", "other pw"], capture_output=True, text=True,
                           check=True).stdout.strip()
    assert secrets.verify("other pw", other)
    assert not secrets.verify("s3cret!", other)


@pytest.mark.parametrize("value", [
    "$6$rounds=5000$abcdefgh$" + "a" * 86,
    "$6$abcdefghijklmnop$" + "A" * 86,
    "$5$salt$" + "b" * 43,
    "$y$j9T$" + "c" * 22 + "$" + "d" * 43,
    "$2b$12$" + "e" * 53,
])
def test_crypt_hash_shapes_are_recognised(value):
    assert secrets.is_crypt_hash(value)


@pytest.mark.parametrize("value", [
    "", "hunter2", "$6$", "$6$salt$short", "$6$abcdefghijklmnopq$" + "a" * 86, "$6$salt$" + "a" * 85 + "!",
    "$9$salt$" + "a" * 86, "!$6$salt$" + "a" * 86, None, 12,
])
def test_non_hashes_are_rejected(value):
    assert not secrets.is_crypt_hash(value)
    if isinstance(value, str):
        assert not secrets.verify("hunter2", value)


def test_bad_passwords_raise_hash_error():
    with pytest.raises(secrets.HashError, match="NUL"):
        secrets.hash_password("a\0b")
    with pytest.raises(secrets.HashError, match="longer"):
        secrets.hash_password("x" * 600)
    with pytest.raises(ValueError):
        secrets.hash_password("x", "$1$")


def test_grub_pbkdf2_hash_verifies():
    hashed = secrets.grub_pbkdf2("boot me", iterations=1000)
    assert hashed.startswith("grub.pbkdf2.sha512.1000.")
    assert secrets.is_grub_hash(hashed)
    assert secrets.verify_grub("boot me", hashed)
    assert not secrets.verify_grub("boot you", hashed)
    assert not secrets.is_grub_hash("$6$abc")
