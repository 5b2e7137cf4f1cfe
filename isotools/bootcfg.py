"""Boot menus of a dmsquash ISO (GRUB grub.cfg, SYSLINUX/ISOLINUX isolinux.cfg): a boot entry for an
embedded kickstart and extra kernel arguments on every live entry.

Live entries are those whose kernel line has `root=live:` (dracut's dmsquash-live). The kickstart
entry is a copy of the first live entry (same kernel, initrd and arguments, so it boots exactly as
the entry users already know) with its own title and `inst.ks=`; the menu's default is kept.
"""

from __future__ import annotations

import re

KS_TITLE = "Install Azure Linux with the embedded kickstart"
KS_ID = "azl-ks"
GRUB_LINUX = re.compile(r"^(\s*)(linux|linuxefi|linux16)(\s+)(\S+)(.*)$")
SYSLINUX_APPEND = re.compile(r"^(\s*)append(\s+)(.*)$", re.IGNORECASE)


class BootCfgError(ValueError):
    pass


def _brace_delta(line: str) -> int:
    depth, quote = 0, ""
    for ch in line:
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "#":
            break
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
    return depth


def grub_entries(lines: list[str]) -> list[tuple[int, int]]:
    """(first, last) line index of every menuentry block (at any depth: submenus hold them too)."""
    blocks, i = [], 0
    while i < len(lines):
        if lines[i].lstrip().startswith("menuentry"):
            depth, j = 0, i
            while j < len(lines):
                depth += _brace_delta(lines[j])
                if depth <= 0 and "{" in "".join(lines[i:j + 1]):
                    break
                j += 1
            if j >= len(lines):
                raise BootCfgError(f"line {i + 1}: menuentry without its closing brace")
            blocks.append((i, j))
            i = j + 1
        else:
            i += 1
    return blocks


def _is_live(line: str) -> bool:
    m = GRUB_LINUX.match(line)
    return bool(m and "root=live:" in m.group(5))


def grub_append(text: str, args: list[str]) -> tuple[str, int]:
    """Append args to the kernel line of every live entry; returns the text and how many lines changed."""
    lines = text.split("\n")
    n = 0
    for i, line in enumerate(lines):
        if args and _is_live(line):
            lines[i] = line.rstrip() + " " + " ".join(args)
            n += 1
    return "\n".join(lines), n


def grub_add_entry(text: str, ks_arg: str, extra: list[str] = (), title: str = KS_TITLE,
                   default: bool = False) -> str:
    lines = text.split("\n")
    live = [(a, b) for a, b in grub_entries(lines) if any(_is_live(x) for x in lines[a:b + 1])]
    if not live:
        raise BootCfgError("no menuentry boots the live root (a linux line with root=live:)")
    a, b = live[0]
    block = lines[a:b + 1]
    head = block[0]
    head, nsub = re.subn(r"""^(\s*menuentry\s+)('[^']*'|"[^"]*"|\S+)""", lambda m: f"{m.group(1)}'{title}'", head)
    if not nsub:
        raise BootCfgError(f"line {a + 1}: cannot read the menuentry title")
    head, nid = re.subn(r"(--id(?:=|\s+))(['\"]?)[^\s'\"{]+\2", lambda m: f"{m.group(1)}{KS_ID}", head)
    if not nid:  # an id, so that `set default` can name the entry
        head = re.sub(r"\s*\{\s*$", f" --id {KS_ID} {{", head)
    new = [head]
    for line in block[1:]:
        if _is_live(line):
            kept = [w for w in line.rstrip().split(" ") if not w.startswith(("inst.ks=", "ks="))
                    and w not in ("inst.ks", "rd.live.check")]
            line = " ".join(kept + [ks_arg, *extra])
        new.append(line)
    # After the last top-level entry or submenu, so that numeric defaults keep pointing where they did.
    depth, last = 0, len(lines) - 1
    for i, line in enumerate(lines):
        depth += _brace_delta(line)
        if depth == 0 and "}" in line:
            last = i
    out = lines[:last + 1] + new + lines[last + 1:]
    if default:  # the kickstart entry boots when the timeout expires
        sets = [i for i, line in enumerate(out) if re.match(r"^\s*set\s+default=", line)]
        if sets:
            for i in sets:
                out[i] = re.sub(r"default=.*$", f'default="{KS_ID}"', out[i])
        else:
            out.insert(0, f'set default="{KS_ID}"')
    return "\n".join(out)


def syslinux_append(text: str, args: list[str]) -> tuple[str, int]:
    lines = text.split("\n")
    n = 0
    for i, line in enumerate(lines):
        m = SYSLINUX_APPEND.match(line)
        if args and m and "root=live:" in m.group(3):
            lines[i] = line.rstrip() + " " + " ".join(args)
            n += 1
    return "\n".join(lines), n


def syslinux_add_entry(text: str, ks_arg: str, extra: list[str] = (), title: str = KS_TITLE,
                       default: bool = False) -> str:
    lines = text.split("\n")
    labels = [i for i, line in enumerate(lines) if re.match(r"^\s*label\s", line, re.IGNORECASE)]
    for k, start in enumerate(labels):
        end = labels[k + 1] if k + 1 < len(labels) else len(lines)
        block = lines[start:end]
        if any((m := SYSLINUX_APPEND.match(x)) and "root=live:" in m.group(3) for x in block):
            break
    else:
        raise BootCfgError("no label boots the live root (an append line with root=live:)")
    while block and not block[-1].strip():
        block = block[:-1]
    new = [f"label {KS_ID}"]
    for line in block[1:]:
        if re.match(r"^\s*menu\s+label\s", line, re.IGNORECASE):
            line = re.sub(r"(?i)(menu\s+label\s+).*$", lambda m: m.group(1) + title, line)
        elif re.match(r"^\s*menu\s+default\s*$", line, re.IGNORECASE):
            continue
        elif (m := SYSLINUX_APPEND.match(line)) and "root=live:" in m.group(3):
            kept = [w for w in m.group(3).split() if not w.startswith(("inst.ks=", "ks=")) and w != "inst.ks"]
            line = f"{m.group(1)}append{m.group(2)}" + " ".join(kept + [ks_arg, *extra])
        new.append(line)
    if default:
        lines = [line for line in lines if not re.match(r"^\s*menu\s+default\s*$", line, re.IGNORECASE)]
        lines = [re.sub(r"(?i)^(\s*default\s+)(?!vesamenu|menu\.c32)\S+\s*$", rf"\g<1>{KS_ID}", line) for line in lines]
        new.append("  menu default")
    return "\n".join(lines + [""] + new + [""]) if lines[-1].strip() else "\n".join(lines[:-1] + [""] + new + [""])


def ks_argument(label: str, path: str = "/ks.cfg") -> str:
    """inst.ks= naming the kickstart on the medium itself by its volume label (hd:LABEL=...:/path)."""
    escaped = "".join(c if c.isalnum() or c in "-_." else f"\\x{ord(c):02x}" for c in label)
    return f"inst.ks=hd:LABEL={escaped}:{path}"
