"""Reading an ISO 9660 image and writing a modified copy with xorriso, boot records kept.

The copy is made with xorriso from the input (-indev IN -outdev OUT) with the commands that
`-report_el_torito cmd` prints for it, i.e. what `-boot_image any replay` would do: the El Torito
catalog (BIOS and EFI images), the MBR/GPT of a hybrid image and its EFI partition are re-created
as the input had them, pointing at the same files; changed files are mapped in. The volume id
and the volume modification date stay the input's: GRUB's images made by grub-mkrescue find
their medium with `search --fs-uuid`, and an ISO's "UUID" is that date.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path

SECTOR = 2048


class IsoError(RuntimeError):
    pass


def _xorriso(*args: str) -> str:
    proc = subprocess.run(["xorriso", "-abort_on", "FAILURE", "-return_with", "SORRY", "0", *args],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise IsoError(f"xorriso {' '.join(args[:4])}... failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return proc.stdout + proc.stderr


@dataclass
class Pvd:
    volume_id: str
    modification: str  # 16 digits YYYYMMDDhhmmsscc, GRUB's ISO UUID
    creation: str

    def epoch(self) -> int:
        """The modification date in seconds (its time zone offset applied)."""
        import calendar
        import time
        t = calendar.timegm(time.strptime(self.modification[:14], "%Y%m%d%H%M%S"))
        return t - self.tz * 15 * 60

    tz: int = 0


def read_pvd(iso: Path) -> Pvd:
    """The primary volume descriptor's label and modification date, from its bytes."""
    with open(iso, "rb") as f:
        for sector in range(16, 32):
            f.seek(sector * SECTOR)
            d = f.read(SECTOR)
            if d[1:6] != b"CD001":
                break
            if d[0] == 1:
                return Pvd(d[40:72].decode("ascii", "replace").rstrip(),
                           d[830:846].decode("ascii", "replace"), d[813:829].decode("ascii", "replace"),
                           int.from_bytes(d[846:847], "big", signed=True))
            if d[0] == 255:
                break
    raise IsoError(f"{iso}: no ISO 9660 primary volume descriptor")


def find_files(iso: Path, name_regex: str) -> list[str]:
    """Paths of files on the ISO whose base name matches."""
    out = _xorriso("-indev", str(iso), "-find", "/", "-type", "f", "-exec", "echo", "--")
    paths = []
    for line in out.splitlines():
        line = line.strip()
        if line.startswith("'") and line.endswith("'"):
            line = line[1:-1]
        if line.startswith("/") and re.fullmatch(name_regex, line.rsplit("/", 1)[-1]):
            paths.append(line)
    return sorted(set(paths))


def extract(iso: Path, pairs: list[tuple[str, Path]]) -> None:
    args = ["-osirrox", "on", "-indev", str(iso)]
    for src, dst in pairs:
        dst.parent.mkdir(parents=True, exist_ok=True)
        args += ["-extract", src, str(dst)]
    _xorriso(*args)
    for _, dst in pairs:
        dst.chmod(0o644)


def el_torito(iso: Path) -> list[str]:
    """xorriso's El Torito and system area report, for comparing boot setups."""
    return _xorriso("-indev", str(iso), "-report_el_torito", "plain", "-report_system_area", "plain").splitlines()


def boot_summary(iso: Path) -> dict:
    """What boots: the El Torito entries (platform, emulation, image path) and the partition tables."""
    lines = el_torito(iso)
    entries = []
    for line in lines:
        m = re.match(r"El Torito boot img :\s+(\d+)\s+(\S+)\s+(\S+)\s+(\S+)", line)
        if m:
            entries.append({"n": int(m.group(1)), "platform": m.group(2), "boot": m.group(3), "emul": m.group(4)})
    paths = {}
    for line in lines:
        m = re.match(r"El Torito img path :\s+(\d+)\s+(\S+)", line)
        if m:
            paths[int(m.group(1))] = m.group(2)
    for e in entries:
        e["path"] = paths.get(e["n"])
    summary = next((line.split(":", 1)[1].split() for line in lines if line.startswith("System area summary")), [])
    mbr = [m.group(2) for line in lines if (m := re.match(r"MBR partition\s+:\s+(\d+)\s+\S+\s+(\S+)", line))]
    gpt: dict[int, list[str]] = {}
    for line in lines:
        m = re.match(r"GPT (partname local|type GUID)\s+:\s+(\d+)\s+(.*)$", line)
        if m:
            gpt.setdefault(int(m.group(2)), []).append(m.group(3).strip())
    return {"entries": entries, "system_area": summary, "mbr_partition_types": mbr,
            "gpt_partitions": [tuple(v) for _, v in sorted(gpt.items())]}


# Apple HFS+/APM hybrid records (grub-mkrescue adds them for Macs) cannot be replayed by
# xorriso 1.5 once files change ("GPT partitions overlap"); PCs boot without them.
DROPPED = ("-hfsplus", "apm_block_size=")


def boot_commands(src: Path) -> tuple[list[str], list[str]]:
    """xorriso's own commands that re-create src's boot setup (volume id and date included), and
    the ones left out (DROPPED)."""
    keep, dropped = [], []
    for line in _xorriso("-indev", str(src), "-report_el_torito", "cmd").splitlines():
        if not line.startswith("-"):
            continue
        words = shlex.split(line)
        (dropped if any(w.startswith(DROPPED) for w in words) else keep).append(words)
    return [w for words in keep for w in words], [" ".join(words) for words in dropped]


def write_modified(src: Path, out: Path, replace: dict[str, Path], epoch: int) -> list[str]:
    """A copy of src with `replace` (ISO path -> local file) mapped in, booting as src booted, with
    src's volume dates and every file dated epoch: the same inputs give the same bytes.
    Returns the boot commands that were not replayed."""
    if out.exists():
        out.unlink()
    boot, dropped = boot_commands(src.resolve())
    if not any(w.startswith(("bin_path=", "efi_path=")) for w in boot):
        raise IsoError(f"{src}: no El Torito boot image: not a bootable ISO")
    pvd = read_pvd(src)
    args = ["-indev", str(src.resolve()), "-outdev", str(out), *boot,
            "-boot_image", "any", "gpt_disk_guid=volume_date_uuid"]
    if re.fullmatch(r"\d{16}", pvd.creation) and set(pvd.creation) != {"0"}:
        args += ["-volume_date", "c", pvd.creation]
    for iso_path, local in sorted(replace.items()):
        os.utime(local, (epoch, epoch))
        args += ["-map", str(local), iso_path]
    # Rock Ridge records each file's inode change time, which neither utime() nor -alter_date
    # sets: every file on the medium gets the one date (the input's own, unless SOURCE_DATE_EPOCH).
    args += ["-volume_date", "all_file_dates", f"={epoch}"]
    _xorriso(*args)
    return dropped
