"""Content hashes of (sparse) raw disk images that skip holes quickly.

The digest covers the size and every non-zero 1 MiB block with its offset,
so a hole and a written run of zeros hash the same, as they read the same."""
import hashlib
import os

BLOCK = 1 << 20


def hash_disk(path) -> str:
    h = hashlib.sha256()
    zero = bytes(BLOCK)
    with open(path, "rb") as f:
        fd = f.fileno()
        size = os.fstat(fd).st_size
        h.update(size.to_bytes(8, "little"))
        pos = 0
        while pos < size:
            try:
                data_start = os.lseek(fd, pos, os.SEEK_DATA)
            except OSError:          # ENXIO: only a hole remains
                break
            hole = os.lseek(fd, data_start, os.SEEK_HOLE)
            off = data_start - data_start % BLOCK
            while off < hole:
                os.lseek(fd, off, os.SEEK_SET)
                block = os.read(fd, BLOCK)
                if block and block != zero[:len(block)]:
                    h.update(off.to_bytes(8, "little"))
                    h.update(block)
                off += BLOCK
            pos = off
    return h.hexdigest()


def hash_disks(disks) -> dict[str, str]:
    return {str(d.path): hash_disk(d.path) for d in disks}


def hash_range(path, start: int, length: int) -> str:
    """sha256 of the bytes [start, start+length) of an image."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        f.seek(start)
        left = length
        while left > 0:
            block = f.read(min(left, 4 * BLOCK))
            if not block:
                break
            h.update(block)
            left -= len(block)
    return h.hexdigest()
