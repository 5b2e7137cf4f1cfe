"""Password hashing for the install plan: crypt(3) hashes made by libxcrypt.

Python 3.13 has no `crypt` module, so libcrypt.so.1 (libxcrypt, present on Azure
Linux and Debian) is called through ctypes. Plaintext passwords from a kickstart
are hashed when the plan is built; the plan and every saved kickstart only hold
hashes. GRUB passwords use GRUB's own PBKDF2 format.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import hashlib
import hmac
import os
import re

SHA512 = "$6$"
YESCRYPT = "$y$"

_CRYPT_DATA_SIZE = 32768  # sizeof(struct crypt_data) in libxcrypt
_MAX_PASSPHRASE = 512  # CRYPT_MAX_PASSPHRASE_SIZE, including the terminating NUL
_OUTPUT_SIZE = 384  # CRYPT_OUTPUT_SIZE / CRYPT_GENSALT_OUTPUT_SIZE

_B64 = r"[./0-9A-Za-z]"
_HASH_PATTERNS = (
    re.compile(rf"^\$6\$(rounds=[0-9]+\$)?{_B64}{{0,16}}\${_B64}{{86}}$"),
    re.compile(rf"^\$5\$(rounds=[0-9]+\$)?{_B64}{{0,16}}\${_B64}{{43}}$"),
    re.compile(rf"^\$g?y\${_B64}+\${_B64}{{1,86}}\${_B64}{{43}}$"),
    re.compile(rf"^\$2[aby]\$[0-9]{{2}}\${_B64}{{53}}$"),
    re.compile(rf"^\$1\${_B64}{{0,8}}\${_B64}{{22}}$"),
)
_GRUB_PBKDF2 = re.compile(r"^grub\.pbkdf2\.sha512\.[0-9]+\.[0-9A-Fa-f]+\.[0-9A-Fa-f]+$")


class HashError(Exception):
    """The password cannot be hashed (libcrypt missing, password too long, NUL byte)."""


@functools.lru_cache(maxsize=1)
def _libcrypt() -> ctypes.CDLL:
    names = ["libcrypt.so.1", "libcrypt.so.2", ctypes.util.find_library("crypt")]
    for name in names:
        if not name:
            continue
        try:
            lib = ctypes.CDLL(name)
        except OSError:
            continue
        if not hasattr(lib, "crypt_rn") or not hasattr(lib, "crypt_gensalt_rn"):
            continue  # not libxcrypt
        lib.crypt_rn.restype = ctypes.c_char_p
        lib.crypt_rn.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_void_p, ctypes.c_int]
        lib.crypt_gensalt_rn.restype = ctypes.c_char_p
        lib.crypt_gensalt_rn.argtypes = [
            ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int,
        ]
        return lib
    raise HashError("libcrypt.so.1 (libxcrypt) is not available to hash passwords")


def _encode(password: str) -> bytes:
    raw = password.encode("utf-8")
    if b"\0" in raw:
        raise HashError("password contains a NUL character")
    if len(raw) >= _MAX_PASSPHRASE:
        raise HashError(f"password is longer than {_MAX_PASSPHRASE - 1} bytes")
    return raw


def _gensalt(prefix: str) -> bytes:
    lib = _libcrypt()
    # 16 random bytes: the longest salt SHA-512 crypt takes (16 characters), and plenty for yescrypt.
    nbytes = 16
    rbytes = os.urandom(nbytes)
    out = ctypes.create_string_buffer(_OUTPUT_SIZE)
    setting = lib.crypt_gensalt_rn(prefix.encode(), 0, rbytes, len(rbytes), out, len(out))
    if not setting:
        raise HashError(f"libcrypt cannot make a {prefix} salt (errno {ctypes.get_errno()})")
    return setting


def _crypt(password: bytes, setting: bytes) -> str | None:
    lib = _libcrypt()
    data = ctypes.create_string_buffer(_CRYPT_DATA_SIZE)
    result = lib.crypt_rn(password, setting, data, len(data))
    if not result or result.startswith(b"*"):
        return None
    return result.decode("ascii")


def hash_password(password: str, method: str = SHA512) -> str:
    """A crypt(3) hash of password: SHA-512 ($6$, 16-character salt) or yescrypt ($y$)."""
    if method not in (SHA512, YESCRYPT):
        raise ValueError(f"unsupported hash method {method!r}")
    result = _crypt(_encode(password), _gensalt(method))
    if result is None:
        raise HashError(f"libcrypt cannot hash with {method}")
    return result


def is_crypt_hash(value: str) -> bool:
    """True when value looks like a crypt(3) hash that shadow(5) accepts."""
    return isinstance(value, str) and any(p.match(value) for p in _HASH_PATTERNS)


def verify(password: str, hashed: str) -> bool:
    """True when password matches the crypt(3) hash."""
    if not is_crypt_hash(hashed):
        return False
    try:
        result = _crypt(_encode(password), hashed.encode("ascii"))
    except HashError:
        return False
    return result is not None and hmac.compare_digest(result, hashed)


# ---------------------------------------------------------------- GRUB

GRUB_ITERATIONS = 10000


def grub_pbkdf2(password: str, *, iterations: int = GRUB_ITERATIONS) -> str:
    """A GRUB password hash (the format grub2-mkpasswd-pbkdf2 prints)."""
    salt = os.urandom(64)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, iterations, 64)
    return f"grub.pbkdf2.sha512.{iterations}.{salt.hex().upper()}.{digest.hex().upper()}"


def is_grub_hash(value: str) -> bool:
    return isinstance(value, str) and bool(_GRUB_PBKDF2.match(value))


def verify_grub(password: str, hashed: str) -> bool:
    if not is_grub_hash(hashed):
        return False
    _, _, _, iterations, salt, digest = hashed.split(".")
    mine = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), bytes.fromhex(salt), int(iterations),
                               len(digest) // 2)
    return hmac.compare_digest(mine.hex().upper(), digest.upper())
