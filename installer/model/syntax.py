"""The rules of the files and command lines that other tools read back from what the installer writes.

Each check applies the reading tool's own rule, so that validation refuses exactly what that tool
would misread: the kernel's command-line splitter and GRUB's script lexer (kernel arguments),
POSIX sh (/etc/default/grub, sourced by grub2-mkconfig), systemd environment files (vconsole.conf,
locale.conf, which dracut also sources), passwd(5) and fstab(5) fields, and paths in the target.
"""

from __future__ import annotations

import os
import re

KERNEL_CMDLINE_MAX = 2048  # COMMAND_LINE_SIZE on x86: the kernel drops what is beyond
KERNEL_BLANKS = " \t\n\v\f\r"  # isspace() in the kernel's next_arg()
# GRUB's script lexer gives these a meaning in grub.cfg and BLS option lines ($var, quoting,
# command separators, blocks, comments); the shell that sources /etc/default/grub adds '`'.
KERNEL_ARG_SPECIAL = "$`\\';&|<>{}#"
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
ENV_BARE = re.compile(r"[A-Za-z0-9_.,:/@+=%-]*")
# Directories that are the system's, or hold it: never a user's home, nor what a home is under.
SYSTEM_TREES = ("/bin", "/boot", "/dev", "/etc", "/lib", "/lib64", "/proc", "/run", "/sbin", "/sys", "/usr",
                "/tmp", "/var/tmp", "/lost+found", "/efi")
SYSTEM_DIRS = frozenset({"/", "/home", "/root", "/var", "/var/lib", "/var/log", "/var/cache", "/var/spool",
                         "/opt", "/srv", "/mnt", "/media", "/afs", "/net", *SYSTEM_TREES})


def shown(value: str) -> str:
    """A value for a message: as given, or escaped when it holds line breaks or control characters."""
    return repr(value)[1:-1] if CONTROL.search(value) else value


def _first_control(value: str) -> str | None:
    m = CONTROL.search(value)
    return m.group(0) if m else None


# ------------------------------------------------------------------ kernel command line
def split_kernel_args(text: str) -> list[str]:
    """Words as the kernel splits its command line: blanks separate them except inside double quotes,
    which stay part of the word (param="a b")."""
    words: list[str] = []
    current: list[str] = []
    quoted = False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in KERNEL_BLANKS:
            if current:
                words.append("".join(current))
                current = []
            continue
        current.append(ch)
    if current:
        words.append("".join(current))
    return words


def kernel_arg_problems(text: str) -> list[str]:
    """Why `text` is not a list of kernel arguments that GRUB, the shell and the kernel all read the same way."""
    problems: list[str] = []
    if re.search(r"[\n\r]", text):
        problems.append("the value contains a line break")
    words = split_kernel_args(text)
    for word in words:
        bad = next((c for c in word if c in KERNEL_ARG_SPECIAL), None)
        if bad is not None:
            problems.append(f"kernel argument {word!r} contains {bad!r}, which GRUB or the shell that reads "
                            "/etc/default/grub would interpret")
        elif any(not (" " <= c <= "~") for c in word.replace("\n", " ").replace("\r", " ")):
            problems.append(f"kernel argument {word!r} contains a character that is not printable ASCII")
    if text.count('"') % 2:
        problems.append("the value has an unclosed '\"': the kernel would read the rest of the line as one argument")
    size = len(" ".join(words).encode())
    if size >= KERNEL_CMDLINE_MAX:
        problems.append(f"the arguments are {size} bytes long; the kernel keeps only {KERNEL_CMDLINE_MAX - 1}")
    return problems


# ------------------------------------------------------------------ shell and systemd env files
def sh_quote(value: str) -> str:
    """`value` single-quoted for a POSIX shell: nothing inside is expanded."""
    if "\0" in value:
        raise ValueError("a NUL byte cannot be written in a shell file")
    return "'" + value.replace("'", "'\\''") + "'"


def env_value(value: str) -> str:
    """`value` for a systemd environment file that shells also source (vconsole.conf, locale.conf):
    bare when both read it literally, else single-quoted (both parsers join 'a'\\''b' into a'b)."""
    bad = _first_control(value)
    if bad is not None:
        raise ValueError(f"contains the control character {bad!r}")
    return value if ENV_BARE.fullmatch(value) else sh_quote(value)


# ------------------------------------------------------------------ passwd(5)
def passwd_field_problem(value: str) -> str | None:
    if ":" in value:
        return "contains ':', which separates the fields of /etc/passwd"
    if _first_control(value) is not None:
        return "contains a line break or control character, which would start a new /etc/passwd entry"
    return None


def normalized_path_problem(path: str) -> str | None:
    """Why `path` is not an absolute, normalized path (no '.', '..', '//' or trailing '/')."""
    if not path.startswith("/"):
        return "is not an absolute path"
    if _first_control(path) is not None:
        return "contains a line break or control character"
    parts = path.split("/")
    if ".." in parts:
        return "contains '..'"
    normal = os.path.normpath(path)
    if normal.startswith("//"):
        normal = normal[1:]
    if normal != path:
        return f"is not a normalized path (write it as {normal})"
    return None


def home_problem(path: str) -> str | None:
    """Why `path` cannot be a user's home directory: it is chowned to the user, recursively."""
    problem = normalized_path_problem(path) or passwd_field_problem(path)
    if problem:
        return problem
    if path == "/":
        return "is the root directory; a home is a directory of its own, such as /home/NAME"
    if path in SYSTEM_DIRS:
        return f"is the system directory {path}; a home is a directory of its own, such as {path}/NAME" \
            if path in ("/home", "/srv", "/var/lib", "/opt") else f"is the system directory {path}"
    tree = next((t for t in SYSTEM_TREES if path.startswith(t + "/")), None)
    if tree:
        return f"is inside the system directory {tree}"
    return None


def user_field_problems(homedir: str | None, shell: str | None, gecos: str | None) -> list[str]:
    """What /etc/passwd (or the accounts step, which chowns the home) would misread in a user's fields."""
    out = []
    if homedir is not None:
        problem = home_problem(homedir)
        if problem:
            out.append(f"--homedir={shown(homedir)} {problem}")
    if shell is not None:
        problem = normalized_path_problem(shell) or passwd_field_problem(shell)
        if problem:
            out.append(f"--shell={shown(shell)} {problem}")
    if gecos is not None:
        problem = passwd_field_problem(gecos)
        if problem:
            out.append(f"--gecos={shown(gecos)} {problem}")
    return out


# ------------------------------------------------------------------ fstab(5)
def mount_options_problem(options: str) -> str | None:
    if not options:
        return "is empty"
    if any(c in " \t" for c in options):
        return ("contains a blank: /etc/fstab separates its fields with blanks (separate mount options "
                "with ',')")
    if _first_control(options) is not None:
        return "contains a line break or control character"
    if not options.isascii():
        return "contains a character that is not ASCII"
    if any(not o for o in options.split(",")):
        return "has an empty option (',,' or a ',' at either end)"
    return None
