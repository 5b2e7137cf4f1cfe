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


# ---------------------------------------------------------------- redaction

REDACTED = "***"
SHORT_SECRET = 4  # secrets shorter than this are hidden only where they stand alone as a word


def _wordlike(c: str) -> bool:
    return c.isalnum() or c == "_"


class Redactor:
    """Replaces every known secret in a text by ***, in time linear in the text and the secrets.

    Matching is leftmost-longest. An Aho-Corasick automaton over the reversed secrets is run
    backwards over the text, which gives for every position the longest secret starting there;
    a forward pass then replaces greedily. A secret shorter than SHORT_SECRET characters is only
    replaced where no letter, digit or underscore touches it.
    """

    def __init__(self, secrets=()):
        self._goto: list[dict[str, int]] = [{}]
        self._length: list[int] = [0]  # length of the secret ending at this node, 0 if none
        self._fail: list[int] = [0]
        self._out: list[int] = [0]  # nearest node along the fail links that ends a secret (0: none)
        self._count = 0
        self.add(secrets)

    def __bool__(self) -> bool:
        return self._count > 0

    def add(self, secrets) -> None:
        added = False
        for secret in secrets:
            if not secret:
                continue
            node = 0
            for ch in reversed(secret):
                nxt = self._goto[node].get(ch)
                if nxt is None:
                    nxt = len(self._goto)
                    self._goto.append({})
                    self._length.append(0)
                    self._goto[node][ch] = nxt
                node = nxt
            if not self._length[node]:
                self._length[node] = len(secret)
                self._count += 1
                added = True
        if added:
            self._link()

    def _link(self) -> None:
        goto, length = self._goto, self._length
        fail = [0] * len(goto)
        out = [0] * len(goto)
        queue = list(goto[0].values())
        for node in queue:  # the queue grows while it is walked: breadth first
            for ch, child in goto[node].items():
                f = fail[node]
                while f and ch not in goto[f]:
                    f = fail[f]
                target = goto[f].get(ch, 0) if node else 0
                fail[child] = target if target != child else 0
                out[child] = fail[child] if length[fail[child]] else out[fail[child]]
                queue.append(child)
        self._fail, self._out = fail, out

    def redact(self, text: str) -> str:
        if not self._count or not text:
            return text
        goto, length, fail, out = self._goto, self._length, self._fail, self._out
        n = len(text)
        starts = [0] * n  # starts[i]: length of the secret replaced at i
        node = 0
        for i in range(n - 1, -1, -1):
            ch = text[i]
            while node and ch not in goto[node]:
                node = fail[node]
            node = goto[node].get(ch, 0)
            cand = node if length[node] else out[node]
            while cand:
                size = length[cand]
                if size >= SHORT_SECRET or (
                        (i == 0 or not _wordlike(text[i - 1])) and (i + size >= n or not _wordlike(text[i + size]))):
                    starts[i] = size
                    break
                cand = out[cand]
        pieces: list[str] = []
        i = plain = 0
        while i < n:
            size = starts[i]
            if size:
                pieces.append(text[plain:i])
                pieces.append(REDACTED)
                i += size
                plain = i
            else:
                i += 1
        pieces.append(text[plain:])
        return "".join(pieces)


def redact(text: str, secrets) -> str:
    """text with every secret replaced by *** (see Redactor)."""
    return Redactor(secrets).redact(text)


_AUTHORITY_END = frozenset("/?#\\ \t\r\n\"'<>[]()`,;")


def redact_urls(text: str) -> str:
    """text with the userinfo of every URL (scheme://user:password@host) hidden: user:***@ or ***@.

    Linear: each `://` is followed by one scan of its authority, which ends at the next '/'.
    """
    if "://" not in text or "@" not in text:
        return text
    pieces: list[str] = []
    plain = 0
    pos = text.find("://")
    n = len(text)
    while pos >= 0:
        start = pos + 3
        end = start
        at = -1
        while end < n and text[end] not in _AUTHORITY_END:
            if text[end] == "@":
                at = end
            end += 1
        if at > start or at == start:
            userinfo = text[start:at]
            user, colon, _ = userinfo.partition(":")
            shown = f"{user}:{REDACTED}" if colon and user else REDACTED
            if userinfo != shown:
                pieces.append(text[plain:start])
                pieces.append(shown)
                plain = at
        pos = text.find("://", max(end, start))
    pieces.append(text[plain:])
    return "".join(pieces)


def url_password(url: str) -> str | None:
    """The secret part of a URL's userinfo (the password, or a token given alone), if any."""
    if "://" not in url:
        return None
    authority = url.split("://", 1)[1]
    for i, c in enumerate(authority):
        if c in _AUTHORITY_END:
            authority = authority[:i]
            break
    userinfo, at, _ = authority.rpartition("@")
    if not at or not userinfo:
        return None
    _, colon, password = userinfo.partition(":")
    return password if colon else userinfo
