"""An Image Customizer configuration (the tree from installer.imageconfig.load) as an InstallPlan.

Every value is checked in one pass; each problem names FILE:LINE:COLUMN and the field path
(`os.users[1].sshPublicKeys[0]`). Unknown keys are refused with their path; schema fields the
installer cannot honour are refused with the reason. What an image lacks and an install needs
(which disk, network, time zone, locale, keyboard, what to do at the end) is read from the one
extension section `x-azl-install`. Plain-text passwords are hashed here; their plaintext is kept
only as the plan's input secrets, which every log, event and saved file hides.
"""

from __future__ import annotations

import base64
import os
import re
import shlex
from pathlib import Path

from installer.imageconfig.load import Node
from installer.model import catalog, secrets
from installer.model.defaults import new_plan
from installer.model.diagnostics import Diagnostic
from installer.model.plan import (
    ClearPart,
    InstallPlan,
    NetworkDevice,
    Origin,
    PartitionRequest,
    Repository,
    Script,
    Secret,
    SshKey,
    User,
)
from installer.model.product import Product

SOURCE = "image-config"
EXTENSION = "x-azl-install"
MAX_EMBEDDED_BYTES = 10 * 1024 * 1024  # files copied into the install by additionalFiles/additionalDirs, in all

_UNITS = {"K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}
_SIZE = re.compile(r"^([0-9]+)([KMGT]?)$")
# Partition types of the schema; all but esp, bios-grub and linux-swap are GPT type names that blivet
# sets from the mount point, so they are checked against it rather than stored.
PART_TYPES = {
    "esp": "/boot/efi", "bios-grub": "biosboot", "linux-swap": "swap", "home": "/home", "srv": "/srv",
    "tmp": "/tmp", "var": "/var", "xbootldr": "/boot", "root": "/", "linux-root-amd64": "/",
    "linux-root-arm64": "/", "usr": "/usr", "linux-generic": None,
}
FS_TYPES = {"ext2": "ext2", "ext3": "ext3", "ext4": "ext4", "xfs": "xfs", "btrfs": "btrfs", "fat32": "vfat",
            "vfat": "vfat"}
SELINUX = ("disabled", "permissive", "enforcing", "force-enforcing")
FINISH = ("reboot", "poweroff", "halt", "shutdown")
MATCH_KEYS = ("size", "model", "serial", "path")

# Top-level and nested keys the installer cannot honour, and why.
REFUSED = {
    "iso": "the installer installs onto a disk; it does not build an ISO image",
    "pxe": "the installer installs onto a disk; it does not build PXE artifacts",
    "storage.verity": "dm-verity needs a read-only root built as an image; an installed system has a writable root",
    "storage.reinitializeVerity": "dm-verity is not supported by the installer",
    "os.uki": "unified kernel images are not built by the installer (it installs GRUB with the kernel)",
    "os.overlays": "overlayfs mounts over the root are not set up by the installer",
    "os.imageHistory": "there is no image history on an installed system",
    "os.kdumpBootFiles": "kdump boot files are not set up by the installer",
    "os.packages.snapshotTime": "the installer installs the repository's current packages; it cannot pin a snapshot",
    "previewFeatures": "preview features of the Image Customizer have no installer equivalent",
    "storage.disks[].partitions[].label": "the installer does not set GPT partition names (the filesystem's "
                                          "mount point says what the partition is for)",
    "scripts.postCustomization[].args": "a %post script takes no arguments (use environmentVariables)",
    "scripts.finalizeCustomization[].args": "a %post script takes no arguments (use environmentVariables)",
}
# Keys about building the image that change nothing on an installed system: a warning, not an error.
IGNORED = {
    "input": "the installer installs from its package repository, not from a base image",
    "output": "the installer writes to the chosen disk, not to an image file",
    "os.packages.updateExistingPackages": "a new install gets the repository's current packages",
}


class Mapper:
    def __init__(self, root: Node, filename: str, product: Product, base_dir: str):
        self.root, self.file, self.product, self.base_dir = root, filename, product, base_dir
        self.plan: InstallPlan = new_plan(product)
        self.diagnostics: list[Diagnostic] = []
        self.plain_secrets: list[str] = []
        self.generated: list[Script] = []  # additionalFiles, groups, modules...: run before the user's scripts
        self.embedded = 0
        self.partition_types: dict[str, tuple[str, Node | None, str]] = {}  # id -> (type, node, path)
        self.max_size: int | None = None

    # -- reporting

    def origin(self, node: Node | None) -> Origin:
        if node is None:
            return Origin(SOURCE, self.file, None)
        return Origin(SOURCE, self.file, node.line, node.column)

    def error(self, path: str, node: Node | None, message: str, severity: str = "error") -> None:
        self.diagnostics.append(Diagnostic(f"{path}: {message}" if path else message, self.origin(node), severity,
                                           field=path or None))

    def warn(self, path: str, node: Node | None, message: str) -> None:
        self.error(path, node, message, "warning")

    # -- typed access

    def mapping(self, node: Node | None, path: str, known: tuple[str, ...]) -> dict[str, Node]:
        """The mapping's known keys; unknown, refused and ignored keys are reported here."""
        if node is None or node.value is None:
            return {}
        if node.kind != "mapping":
            self.error(path, node, f"must be a mapping (key: value), not {_kind(node)}")
            return {}
        out = {}
        for key, value in node.value.items():
            sub = f"{path}.{key}" if path else key
            line, column = node.key_marks.get(key, (value.line, value.column))
            at = Node(None, line, column)
            generic = re.sub(r"\[\d+\]", "[]", sub)
            if generic in REFUSED:
                self.error(sub, at, f"not supported by azl-install: {REFUSED[generic]}")
            elif sub in IGNORED:
                self.warn(sub, at, f"ignored: {IGNORED[sub]}")
            elif key in known:
                out[key] = value
            else:
                self.error(sub, at, f"unknown key{_did_you_mean(key, known)}")
        return out

    def items(self, node: Node | None, path: str) -> list[tuple[str, Node]]:
        if node is None or node.value is None:
            return []
        if node.kind != "list":
            self.error(path, node, f"must be a list, not {_kind(node)}")
            return []
        return [(f"{path}[{i}]", item) for i, item in enumerate(node.value)]

    def text(self, node: Node | None, path: str, *, allow_empty: bool = False) -> str | None:
        if node is None or node.value is None:
            return None
        if node.kind != "scalar" or isinstance(node.value, bool):
            self.error(path, node, f"must be a string, not {_kind(node)}")
            return None
        value = str(node.value)
        if not value and not allow_empty:
            self.error(path, node, "must not be empty")
            return None
        return value

    def integer(self, node: Node | None, path: str, minimum: int = 0) -> int | None:
        if node is None or node.value is None:
            return None
        if not isinstance(node.value, int) or isinstance(node.value, bool) or node.value < minimum:
            self.error(path, node, f"must be a whole number of at least {minimum}")
            return None
        return node.value

    def boolean(self, node: Node | None, path: str) -> bool | None:
        if node is None or node.value is None:
            return None
        if not isinstance(node.value, bool):
            self.error(path, node, "must be true or false")
            return None
        return node.value

    def strings(self, node: Node | None, path: str) -> list[tuple[str, Node, str]]:
        out = []
        for sub, item in self.items(node, path):
            value = self.text(item, sub)
            if value is not None:
                out.append((sub, item, value))
        return out

    def choice(self, node: Node | None, path: str, allowed) -> str | None:
        value = self.text(node, path)
        if value is not None and value not in allowed:
            self.error(path, node, f"{value!r} is not one of {', '.join(allowed)}")
            return None
        return value

    def size_mib(self, node: Node | None, path: str) -> int | None:
        """A schema size ("8M", "4G", bytes) in MiB; the installer lays out whole MiB."""
        if node is None or node.value is None:
            return None
        raw = str(node.value).strip() if node.kind == "scalar" and not isinstance(node.value, bool) else None
        m = _SIZE.match(raw or "")
        if not m:
            self.error(path, node, f"{node.value!r} is not a size (a number with K, M, G or T, like 512M)")
            return None
        size = int(m.group(1)) * _UNITS.get(m.group(2), 1)
        if size % _UNITS["M"]:
            self.error(path, node, f"{raw} is not a whole number of MiB: the installer aligns partitions to 1 MiB")
            return None
        return size // _UNITS["M"]

    def read_relative(self, node: Node, path: str, what: str) -> bytes | None:
        """A file named relative to the configuration (as the Image Customizer reads it)."""
        from installer.kickstart.source import read_bytes

        name = self.text(node, path)
        if name is None:
            return None
        full = name if os.path.isabs(name) else os.path.join(self.base_dir, name)
        try:
            data = read_bytes(full, MAX_EMBEDDED_BYTES - self.embedded)
        except OSError as exc:
            self.error(path, node, f"cannot read the {what} {name!r}: {exc.strerror or exc}")
            return None
        self.embedded += len(data)
        return data

    # -- sections

    def run(self) -> InstallPlan:
        top = self.mapping(self.root, "", ("storage", "os", "scripts", EXTENSION))
        if self.root.kind != "mapping":
            return self.plan
        ext = self.mapping(top.get(EXTENSION), EXTENSION,
                           ("disk", "network", "timezone", "ntpServers", "timeSync", "locale", "keyboard", "finish",
                            "source", "repositories", "packageSets", "packageOptions", "firewall", "sshd",
                            "bootloaderTimeout"))
        disk_spec = self.disk(ext.get("disk"), f"{EXTENSION}.disk")
        self.storage(top.get("storage"), disk_spec, ext.get("disk"))
        os_ = self.mapping(top.get("os"), "os", (
            "hostname", "kernelCommandLine", "packages", "additionalFiles", "additionalDirs", "groups", "users",
            "modules", "bootloader", "selinux", "services"))
        self.os_section(os_)
        self.extension(ext)
        self.scripts(top.get("scripts"))
        self.plan.scripts[:0] = self.generated
        if self.plan.scripts:
            self.plan.origins.setdefault("scripts", self.plan.scripts[0].origin)
        return self.plan

    # -- the extension section

    def disk(self, node: Node | None, path: str) -> str | None:
        """A disk spec for selected_disks: a path/serial as is, or 'match:KEY=VALUE;...' (Machine.disk)."""
        fields = self.mapping(node, path, ("match",))
        if not fields:
            return None
        match = self.mapping(fields.get("match"), f"{path}.match", MATCH_KEYS)
        if not match:
            self.error(f"{path}.match", fields.get("match") or node, f"give at least one of {', '.join(MATCH_KEYS)}")
            return None
        parts = []
        for key in MATCH_KEYS:
            if key not in match:
                continue
            sub = f"{path}.match.{key}"
            value = self.text(match[key], sub)
            if value is None:
                continue
            if key == "size" and value not in ("largest", "smallest"):
                self.error(sub, match[key], f"{value!r} is not one of largest, smallest")
                continue
            if any(c in value for c in ",;=\n") or value != value.strip():
                self.error(sub, match[key], "must not contain ',', ';', '=', line breaks or surrounding spaces")
                continue
            parts.append((key, value))
        if not parts:
            return None
        if len(parts) == 1 and parts[0][0] in ("path", "serial"):
            return parts[0][1]
        return "match:" + ";".join(f"{k}={v}" for k, v in parts)

    def extension(self, ext: dict[str, Node]) -> None:
        sy, path = self.plan.system, EXTENSION
        if "timezone" in ext:
            tz = self.text(ext["timezone"], f"{path}.timezone")
            if tz:
                sy.set("timezone", tz, self.origin(ext["timezone"]))
        if "ntpServers" in ext:
            servers = [v for _, _, v in self.strings(ext["ntpServers"], f"{path}.ntpServers")]
            sy.set("ntp_servers", servers, self.origin(ext["ntpServers"]))
        if "locale" in ext:
            lang = self.text(ext["locale"], f"{path}.locale")
            if lang:
                sy.set("lang", catalog.full_locale(lang), self.origin(ext["locale"]))
        if "keyboard" in ext:
            kb = self.text(ext["keyboard"], f"{path}.keyboard")
            if kb:
                sy.set("keyboard", kb, self.origin(ext["keyboard"]))
        if "timeSync" in ext:
            on = self.boolean(ext["timeSync"], f"{path}.timeSync")
            if on is False:
                sy.set("nontp", True, self.origin(ext["timeSync"]))
        if "bootloaderTimeout" in ext:
            timeout = self.integer(ext["bootloaderTimeout"], f"{path}.bootloaderTimeout")
            if timeout is not None:
                self.plan.bootloader.set("timeout", timeout, self.origin(ext["bootloaderTimeout"]))
        if "packageOptions" in ext:
            f = self.mapping(ext["packageOptions"], f"{path}.packageOptions", ("nocore", "excludeDocs",
                                                                                "excludeWeakdeps"))
            pk = self.plan.payload.packages
            for key, attr in (("nocore", "nocore"), ("excludeDocs", "excludedocs"),
                              ("excludeWeakdeps", "exclude_weakdeps")):
                value = self.boolean(f.get(key), f"{path}.packageOptions.{key}")
                if value is not None:
                    pk.set(attr, value, self.origin(f[key]))
        if "firewall" in ext:
            self.firewall(ext["firewall"], f"{path}.firewall")
        if "sshd" in ext:
            self.sshd(ext["sshd"], f"{path}.sshd")
        if "packageSets" in ext:
            sets = []
            for sub, item, name in self.strings(ext["packageSets"], f"{path}.packageSets"):
                if name not in self.product.package_sets:
                    self.error(sub, item, f"{name!r} is not a package set of {self.product.name} "
                               f"({', '.join(self.product.package_sets)})")
                elif name not in sets:
                    sets.append(name)
            self.plan.payload.packages.set("sets", sets, self.origin(ext["packageSets"]))
        if "finish" in ext:
            action = self.choice(ext["finish"], f"{path}.finish", FINISH)
            if action:
                self.plan.finish.set("action", action, self.origin(ext["finish"]))
        if "source" in ext:
            url = self.text(ext["source"], f"{path}.source")
            if url:
                from installer.kickstart.build import URL_SOURCE_NAME

                self.plan.payload.set("source", Repository(origin=self.origin(ext["source"]), name=URL_SOURCE_NAME,
                                                           baseurl=url), self.origin(ext["source"]))
        for sub, item in self.items(ext.get("repositories"), f"{path}.repositories"):
            f = self.mapping(item, sub, ("name", "baseurl", "install", "gpgcheck"))
            name, url = self.text(f.get("name"), f"{sub}.name"), self.text(f.get("baseurl"), f"{sub}.baseurl")
            if name is None or url is None:
                self.error(sub, item, "needs name and baseurl")
                continue
            gpg = self.boolean(f.get("gpgcheck"), f"{sub}.gpgcheck")
            self.plan.payload.repositories.append(Repository(
                origin=self.origin(item), name=name, baseurl=url, install=bool(self.boolean(
                    f.get("install"), f"{sub}.install")), gpgcheck=True if gpg is None else gpg))
        for sub, item in self.items(ext.get("network"), f"{path}.network"):
            self.network_device(item, sub)
        if self.plan.network.devices:
            self.plan.network.origins.setdefault("devices", self.plan.network.devices[0].origin)

    def firewall(self, node: Node, path: str) -> None:
        f = self.mapping(node, path, ("enabled", "services", "ports"))
        fw = self.plan.security.firewall
        o = self.origin(node)
        enabled = self.boolean(f.get("enabled"), f"{path}.enabled")
        if enabled is not None:
            fw.set("enabled", enabled, o)
        services = [v for _, _, v in self.strings(f.get("services"), f"{path}.services")]
        if services:
            fw.set("services", _unique(services), o)
        ports = []
        for sub, item, port in self.strings(f.get("ports"), f"{path}.ports"):
            if not re.fullmatch(r"[0-9]{1,5}(-[0-9]{1,5})?:(tcp|udp|sctp|dccp)", port):
                self.error(sub, item, f"{port!r} is not PORT:PROTOCOL (22:tcp, 6000-6010:udp)")
            else:
                ports.append(port)
        if ports:
            fw.set("ports", _unique(ports), o)

    def sshd(self, node: Node, path: str) -> None:
        f = self.mapping(node, path, ("enabled", "passwordAuthentication", "rootLogin"))
        se = self.plan.security
        o = self.origin(node)
        enabled = self.boolean(f.get("enabled"), f"{path}.enabled")
        if enabled is not None:
            if enabled and "sshd" in self.plan.services.disabled:
                self.error(f"{path}.enabled", f["enabled"], "contradicts os.services.disable: [sshd]")
            else:
                se.set("sshd_enabled", enabled, o)
        auth = self.boolean(f.get("passwordAuthentication"), f"{path}.passwordAuthentication")
        if auth is not None:
            se.set("password_authentication", auth, o)
        given = f.get("rootLogin")
        if given is not None and isinstance(given.value, bool):  # YAML 1.1 reads a bare no/yes as false/true
            given = Node("yes" if given.value else "no", given.line, given.column)
        login = self.choice(given, f"{path}.rootLogin",
                            ("prohibit-password", "yes", "no", "forced-commands-only"))
        if login is not None:
            se.set("permit_root_login", login, o)

    def network_device(self, item: Node, sub: str) -> None:
        f = self.mapping(item, sub, ("device", "bootproto", "ip", "netmask", "gateway", "nameservers", "ipv6",
                                     "ipv6gateway", "mtu", "onboot", "activate", "searchDomains"))
        proto = self.choice(f.get("bootproto"), f"{sub}.bootproto", ("dhcp", "static")) or "dhcp"
        onboot = self.boolean(f.get("onboot"), f"{sub}.onboot")
        self.plan.network.devices.append(NetworkDevice(
            origin=self.origin(item), device=self.text(f.get("device"), f"{sub}.device"), bootproto=proto,
            ip=self.text(f.get("ip"), f"{sub}.ip"), netmask=self.text(f.get("netmask"), f"{sub}.netmask"),
            gateway=self.text(f.get("gateway"), f"{sub}.gateway"),
            nameservers=[v for _, _, v in self.strings(f.get("nameservers"), f"{sub}.nameservers")],
            search_domains=[v for _, _, v in self.strings(f.get("searchDomains"), f"{sub}.searchDomains")],
            ipv6=self.text(f.get("ipv6"), f"{sub}.ipv6"), ipv6gateway=self.text(f.get("ipv6gateway"),
                                                                                  f"{sub}.ipv6gateway"),
            mtu=self.integer(f.get("mtu"), f"{sub}.mtu", 68), onboot=True if onboot is None else onboot,
            activate=bool(self.boolean(f.get("activate"), f"{sub}.activate"))))

    # -- storage

    def storage(self, node: Node | None, disk_spec: str | None, disk_node: Node | None) -> None:
        f = self.mapping(node, "storage", ("bootType", "disks", "filesystems", "resetPartitionsUuidsType"))
        if "resetPartitionsUuidsType" in f:  # an install always makes new partitions, with new UUIDs
            self.choice(f["resetPartitionsUuidsType"], "storage.resetPartitionsUuidsType", ("reset-all",))
        if not f:
            if disk_spec:
                self.plan.storage.set("selected_disks", [disk_spec], self.origin(disk_node))
            return
        st = self.plan.storage
        boot = self.choice(f.get("bootType"), "storage.bootType", ("efi", "legacy"))
        disks = self.items(f.get("disks"), "storage.disks")
        if not disks:
            if "filesystems" in f:
                self.error("storage.disks", node, "filesystems need the disk and partitions they live on")
            return
        if "bootType" not in f:
            self.error("storage.bootType", node, "is required with storage.disks (efi or legacy)")
        if len(disks) > 1:
            self.error(disks[1][0], disks[1][1], "only one disk is supported (as in the Image Customizer)")
        path, disk = disks[0]
        if disk_spec is None:
            self.error(f"{EXTENSION}.disk", disk, "say which disk to install on (x-azl-install: disk: match: "
                       "{size: largest} or a serial, model or /dev/disk/by-id path): the configuration describes "
                       "an image and the installer erases the disk it chooses")
        else:
            st.set("selected_disks", [disk_spec], self.origin(disk_node))
        d = self.mapping(disk, path, ("partitionTableType", "maxSize", "partitions"))
        table = self.choice(d.get("partitionTableType"), f"{path}.partitionTableType", ("gpt", "mbr"))
        if table is None and "partitionTableType" not in d:
            self.error(f"{path}.partitionTableType", disk, "is required (gpt or mbr)")
        o = self.origin(disk)
        clear = ClearPart()
        for name, value in (("mode", "all"), ("initlabel", True),
                            ("disklabel", "msdos" if table == "mbr" else "gpt")):
            clear.set(name, value, o)
        st.set("clearpart", clear, o)
        st.set("zerombr", True, o)
        self.max_size = self.size_mib(d.get("maxSize"), f"{path}.maxSize")
        parts = self.partitions(d.get("partitions"), f"{path}.partitions")
        self.filesystems(f.get("filesystems"), parts)
        if boot == "efi" and not any(r.mountpoint == "/boot/efi" for r, _, _ in parts.values()):
            self.error("storage.bootType", f.get("bootType"), "efi needs a partition of type esp mounted at "
                       "/boot/efi")
        if boot == "legacy" and table != "mbr" and not any(r.mountpoint == "biosboot" for r, _, _ in parts.values()):
            self.error("storage.bootType", f.get("bootType"), "legacy on a GPT disk needs a partition of type "
                       "bios-grub")
        st.partitions.extend(r for r, _, _ in parts.values() if r.mountpoint)

    def partitions(self, node: Node | None, path: str) -> dict[str, tuple[PartitionRequest, str, Node]]:
        out: dict[str, tuple[PartitionRequest, str, Node]] = {}
        entries = self.items(node, path)
        cursor = 1  # MiB: where the schema starts the first partition; sizes follow from start/end
        for i, (sub, item) in enumerate(entries):
            f = self.mapping(item, sub, ("id", "type", "start", "end", "size"))
            pid = self.text(f.get("id"), f"{sub}.id")
            if pid is None:
                if "id" not in f:
                    self.error(f"{sub}.id", item, "is required")
                continue
            if pid in out:
                self.error(f"{sub}.id", f["id"], f"partition id {pid!r} is already used by {out[pid][1]}")
                continue
            ptype = self.choice(f.get("type"), f"{sub}.type", tuple(PART_TYPES))
            start = self.size_mib(f.get("start"), f"{sub}.start") if "start" in f else None
            if start is not None and start != cursor:
                self.error(f"{sub}.start", f["start"], f"the installer keeps partition sizes but places the "
                           f"partitions itself (as for kickstart 'part'): give start only where the previous partition "
                           f"ends ({cursor} MiB), or leave it out")
            begin = start if start is not None else cursor
            size, grow = None, False
            size_node = f.get("size")
            if size_node is not None and size_node.value == "grow":
                grow = True
            elif size_node is not None:
                size = self.size_mib(size_node, f"{sub}.size")
            if "end" in f:
                end = self.size_mib(f["end"], f"{sub}.end")
                if size_node is not None:
                    self.error(f"{sub}.end", f["end"], "give size or end, not both")
                elif end is not None and end <= begin:
                    self.error(f"{sub}.end", f["end"], f"ends at {end} MiB, before it starts ({begin} MiB)")
                elif end is not None:
                    size = end - begin
            if size is None and not grow and size_node is None and "end" not in f:
                grow = True  # no size and no end: to the end of the disk
            if grow and i != len(entries) - 1:
                self.error(sub, item, "only the last partition can fill the rest of the disk (give size or end)")
            cursor = begin + (size or 0)
            req = PartitionRequest(origin=self.origin(item), mountpoint="", size_mib=size if size else
                                   (1 if grow else None), grow=grow)
            if ptype in ("esp", "bios-grub", "linux-swap"):
                req.mountpoint = PART_TYPES[ptype]
                req.fstype = {"esp": "efi", "bios-grub": "biosboot", "linux-swap": "swap"}[ptype]
            out[pid] = (req, sub, item)
            if ptype:
                self.partition_types[pid] = (ptype, f.get("type"), f"{sub}.type")
        if self.max_size is not None and cursor > self.max_size:
            self.error(path, node, f"the partitions take {cursor} MiB, more than maxSize ({self.max_size} MiB)")
        return out

    def filesystems(self, node: Node | None, parts: dict[str, tuple[PartitionRequest, str, Node]]) -> None:
        used: dict[str, str] = {}
        for sub, item in self.items(node, "storage.filesystems"):
            f = self.mapping(item, sub, ("deviceId", "type", "mountPoint"))
            dev = self.text(f.get("deviceId"), f"{sub}.deviceId")
            if dev is None:
                if "deviceId" not in f:
                    self.error(f"{sub}.deviceId", item, "is required")
                continue
            if dev not in parts:
                self.error(f"{sub}.deviceId", f["deviceId"], f"no partition has the id {dev!r}"
                           f"{_did_you_mean(dev, tuple(parts))}")
                continue
            if dev in used:
                self.error(f"{sub}.deviceId", f["deviceId"], f"partition {dev!r} already has a filesystem "
                           f"({used[dev]})")
                continue
            used[dev] = sub
            req = parts[dev][0]
            fs = self.choice(f.get("type"), f"{sub}.type", tuple(FS_TYPES))
            mount, options = None, None
            mp = f.get("mountPoint")
            if mp is not None and mp.kind == "mapping":
                m = self.mapping(mp, f"{sub}.mountPoint", ("path", "options", "idType"))
                mount = self.text(m.get("path"), f"{sub}.mountPoint.path")
                options = self.text(m.get("options"), f"{sub}.mountPoint.options")
                if "idType" in m:
                    self.choice(m["idType"], f"{sub}.mountPoint.idType", ("uuid",))
            elif mp is not None:
                mount = self.text(mp, f"{sub}.mountPoint")
            if mount is not None and not mount.startswith("/"):
                self.error(f"{sub}.mountPoint", mp, f"{mount!r} is not an absolute path")
                mount = None
            ptype = self.partition_types.get(dev, (None,))[0]
            if ptype in ("esp", "bios-grub", "linux-swap"):
                if ptype == "esp" and mount not in (None, "/boot/efi"):
                    self.error(f"{sub}.mountPoint", mp, "the esp partition is mounted at /boot/efi")
                if ptype == "esp" and fs not in (None, "fat32", "vfat"):
                    self.error(f"{sub}.type", f.get("type"), "the esp partition is FAT (fat32 or vfat)")
                if ptype != "esp":
                    self.error(sub, item, f"a {ptype} partition has no filesystem of its own")
                req.fsoptions = options
                continue
            if fs is None:
                if "type" not in f:
                    self.error(f"{sub}.type", item, "is required")
                continue
            if mount is None:
                if mp is None:
                    self.error(f"{sub}.mountPoint", item, "the installer mounts every filesystem it makes: "
                               "give it a mount point")
                continue
            req.mountpoint, req.fstype, req.fsoptions = mount, FS_TYPES[fs], options
            if ptype is not None:
                expected = PART_TYPES[ptype]
                if expected is not None and expected != mount:
                    tnode, tpath = self.partition_types[dev][1], self.partition_types[dev][2]
                    self.error(tpath, tnode, f"a {ptype} partition is mounted at {expected}, not {mount}")
        for pid, (req, sub, item) in parts.items():
            if not req.mountpoint and pid not in used:
                self.error(sub, item, f"partition {pid!r} has no filesystem (storage.filesystems) and is not an "
                           "esp, bios-grub or linux-swap partition: the installer does not leave partitions empty")

    # -- os

    def os_section(self, f: dict[str, Node]) -> None:
        plan = self.plan
        if "hostname" in f:
            name = self.text(f["hostname"], "os.hostname")
            if name:
                plan.system.set("hostname", name, self.origin(f["hostname"]))
        if "kernelCommandLine" in f:
            k = self.mapping(f["kernelCommandLine"], "os.kernelCommandLine", ("extraCommandLine",))
            extra = k.get("extraCommandLine")
            if extra is not None:
                if extra.kind == "list":
                    args = [v for _, _, v in self.strings(extra, "os.kernelCommandLine.extraCommandLine")]
                else:  # older releases of the schema: one string
                    args = [self.text(extra, "os.kernelCommandLine.extraCommandLine") or ""]
                self.append_kernel_args(" ".join(a for a in args if a), extra)
        if "packages" in f:
            self.packages(f["packages"])
        for sub, item in self.items(f.get("additionalFiles"), "os.additionalFiles"):
            self.additional_file(item, sub)
        for sub, item in self.items(f.get("additionalDirs"), "os.additionalDirs"):
            self.additional_dir(item, sub)
        for sub, item in self.items(f.get("groups"), "os.groups"):
            self.group(item, sub)
        for sub, item in self.items(f.get("users"), "os.users"):
            self.user(item, sub)
        for sub, item in self.items(f.get("modules"), "os.modules"):
            self.module(item, sub)
        if "bootloader" in f:
            b = self.mapping(f["bootloader"], "os.bootloader", ("resetType",))
            if "resetType" in b:
                self.choice(b["resetType"], "os.bootloader.resetType", ("hard-reset",))  # the installer always does
        if "selinux" in f:
            s = self.mapping(f["selinux"], "os.selinux", ("mode",))
            mode = self.choice(s.get("mode"), "os.selinux.mode", SELINUX)
            if mode:
                o = self.origin(s["mode"])
                plan.security.set("selinux", "enforcing" if mode == "force-enforcing" else mode, o)
                if mode == "force-enforcing":
                    self.append_kernel_args("enforcing=1", s["mode"])
        if "services" in f:
            self.services(f["services"])

    def append_kernel_args(self, args: str, node: Node) -> None:
        if not args:
            return
        bl = self.plan.bootloader
        bl.set("append", f"{bl.append} {args}".strip(), self.origin(node))

    def packages(self, node: Node) -> None:
        f = self.mapping(node, "os.packages", ("install", "remove", "update", "installLists", "removeLists",
                                              "updateLists"))
        sel = self.plan.payload.packages
        found: dict[str, list[tuple[str, Node, str]]] = {"install": [], "remove": []}
        for kind, target in (("install", "install"), ("update", "install"), ("remove", "remove")):
            found[target] += self.strings(f.get(kind), f"os.packages.{kind}")
            for sub, item in self.items(f.get(f"{kind}Lists"), f"os.packages.{kind}Lists"):
                found[target] += self.package_list(item, sub)
        for target, attr in (("install", "packages"), ("remove", "excluded_packages")):
            names = []
            for sub, item, name in found[target]:
                if not re.fullmatch(r"[A-Za-z0-9_.+:@~^*?\[\]-]+", name):
                    self.error(sub, item, f"{name!r} is not a package name")
                    continue
                if name not in names:
                    names.append(name)
                    sel.origins[f"{attr}[{name}]"] = self.origin(item)
            if names:
                sel.set(attr, names, self.origin(node))
        both = set(sel.packages) & set(sel.excluded_packages)
        for sub, item, name in found["remove"]:
            if name in both:
                self.error(sub, item, f"{name!r} is both installed and removed")

    def package_list(self, node: Node, path: str) -> list[tuple[str, Node, str]]:
        """A package list file (YAML with `packages: [...]`), relative to the configuration."""
        from installer.imageconfig.load import LoadError, parse

        data = self.read_relative(node, path, "package list")
        if data is None:
            return []
        name = self.text(node, path) or ""
        try:
            root, problems = parse(data.decode("utf-8"))
        except UnicodeDecodeError:
            self.error(path, node, f"{name}: not UTF-8 text")
            return []
        except LoadError as exc:
            self.error(path, node, f"{name}:{exc.line}:{exc.column}: {exc.message}")
            return []
        for p in problems:
            self.error(path, node, f"{name}:{p.line}:{p.column}: {p.message}")
        sub = Mapper(root, os.path.join(os.path.dirname(self.text(node, path) or ""), name), self.product,
                     self.base_dir)
        f = sub.mapping(root, "", ("packages",))
        got = sub.strings(f.get("packages"), "packages")
        for d in sub.diagnostics:  # name the list file and its own line and column
            o = d.origin
            self.error(path, node, f"{name}:{o.line}:{o.column}: {d.message}")
        return got

    def additional_file(self, item: Node, sub: str) -> None:
        f = self.mapping(item, sub, ("source", "content", "destination", "permissions"))
        dest = self.text(f.get("destination"), f"{sub}.destination")
        if dest is None or not dest.startswith("/"):
            self.error(f"{sub}.destination", f.get("destination") or item, "an absolute path is required")
            return
        if ("source" in f) == ("content" in f):
            self.error(sub, item, "give source or content (one of them)")
            return
        if "content" in f:
            text = self.text(f["content"], f"{sub}.content", allow_empty=True)
            data = None if text is None else text.encode("utf-8")
        else:
            data = self.read_relative(f["source"], f"{sub}.source", "file")
        mode = self.permissions(f.get("permissions"), f"{sub}.permissions")
        if data is None:
            return
        body = _file_writer(dest, data, mode or "0644")
        self.generated.append(Script(origin=self.origin(item), kind="post", body=body, interpreter="/bin/sh",
                                     erroronfail=True))

    def additional_dir(self, item: Node, sub: str) -> None:
        f = self.mapping(item, sub, ("source", "destination", "newDirPermissions", "mergedDirPermissions",
                                     "childFilePermissions"))
        src, dest = self.text(f.get("source"), f"{sub}.source"), self.text(f.get("destination"), f"{sub}.destination")
        if src is None or dest is None or not dest.startswith("/"):
            self.error(sub, item, "needs source and an absolute destination")
            return
        dir_mode = self.permissions(f.get("newDirPermissions"), f"{sub}.newDirPermissions") or "0755"
        merged = self.permissions(f.get("mergedDirPermissions"), f"{sub}.mergedDirPermissions")
        file_mode = self.permissions(f.get("childFilePermissions"), f"{sub}.childFilePermissions")
        root = Path(src if os.path.isabs(src) else os.path.join(self.base_dir, src))
        if not root.is_dir():
            self.error(f"{sub}.source", f["source"], f"{src!r} is not a directory")
            return
        lines = [f"mkdir -p -m {dir_mode} {shlex.quote(dest)}"]
        if merged:
            lines.append(f"chmod {merged} {shlex.quote(dest)}")
        for here, dirs, files in sorted(os.walk(root)):
            dirs.sort()
            rel = os.path.relpath(here, root)
            target = dest if rel == "." else os.path.join(dest, rel)
            if rel != ".":
                lines.append(f"mkdir -p -m {dir_mode} {shlex.quote(target)}")
            for name in sorted(files):
                full = os.path.join(here, name)
                from installer.kickstart.source import read_bytes

                try:
                    data = read_bytes(full, MAX_EMBEDDED_BYTES - self.embedded)
                except OSError as exc:
                    self.error(f"{sub}.source", f["source"], f"cannot read {full}: {exc.strerror or exc}")
                    return
                self.embedded += len(data)
                mode = file_mode or format(os.stat(full).st_mode & 0o7777, "04o")
                lines.append(_file_writer(os.path.join(target, name), data, mode))
        self.generated.append(Script(origin=self.origin(item), kind="post", body="\n".join(lines) + "\n",
                                     interpreter="/bin/sh", erroronfail=True))

    def permissions(self, node: Node | None, path: str) -> str | None:
        if node is None or node.value is None:
            return None
        text = str(node.value) if not isinstance(node.value, bool) else ""
        if not re.fullmatch(r"0?[0-7]{3}", text):
            self.error(path, node, f"{node.value!r} is not an octal mode like \"644\"")
            return None
        return text.zfill(4)

    def group(self, item: Node, sub: str) -> None:
        f = self.mapping(item, sub, ("name", "gid"))
        name = self.text(f.get("name"), f"{sub}.name")
        gid = self.integer(f.get("gid"), f"{sub}.gid")
        if name is None:
            self.error(sub, item, "needs a name")
            return
        if not re.fullmatch(r"[a-z_][a-z0-9_-]*\$?", name):
            self.error(f"{sub}.name", f["name"], f"{name!r} is not a group name")
            return
        q = shlex.quote(name)
        if gid is None:
            body = f"getent group {q} >/dev/null || groupadd {q}\n"
        else:
            body = f"if getent group {q} >/dev/null; then groupmod -g {gid} {q}; else groupadd -g {gid} {q}; fi\n"
        self.generated.append(Script(origin=self.origin(item), kind="post", body=body, erroronfail=True))

    def user(self, item: Node, sub: str) -> None:
        f = self.mapping(item, sub, ("name", "uid", "password", "passwordExpiresDays", "sshPublicKeys",
                                     "sshPublicKeyPaths", "secondaryGroups", "startupCommand", "homeDirectory"))
        name = self.text(f.get("name"), f"{sub}.name")
        if name is None:
            self.error(f"{sub}.name", item, "is required")
            return
        o = self.origin(item)
        hashed, lock = self.password(f.get("password"), f"{sub}.password")
        keys = [(s, n, v) for s, n, v in self.strings(f.get("sshPublicKeys"), f"{sub}.sshPublicKeys")]
        for s, n in self.items(f.get("sshPublicKeyPaths"), f"{sub}.sshPublicKeyPaths"):
            data = self.read_relative(n, s, "public key file")
            if data is not None:
                keys += [(s, n, line.strip()) for line in data.decode("utf-8", "replace").splitlines()
                         if line.strip() and not line.startswith("#")]
        for s, n, key in keys:
            if "\n" in key or len(key.split()) < 2:
                self.error(s, n, "is not an OpenSSH public key (TYPE BASE64 [comment])")
                continue
            self.plan.accounts.ssh_keys.append(SshKey(origin=self.origin(n), username=name, key=key))
        ac = self.plan.accounts
        if name == "root":
            for key in ("uid", "secondaryGroups", "startupCommand", "homeDirectory"):
                if key in f:
                    self.error(f"{sub}.{key}", f[key], "cannot be changed for root")
            if hashed:
                ac.set("root_password_hash", hashed, o)
            if lock is not None:
                ac.set("root_lock", lock, o)
        else:
            ac.users.append(User(
                origin=o, name=name, uid=self.integer(f.get("uid"), f"{sub}.uid"), password_hash=hashed,
                lock=bool(lock), groups=[v for _, _, v in self.strings(f.get("secondaryGroups"),
                                                                       f"{sub}.secondaryGroups")],
                shell=self.text(f.get("startupCommand"), f"{sub}.startupCommand"),
                homedir=self.text(f.get("homeDirectory"), f"{sub}.homeDirectory")))
        days = self.integer(f.get("passwordExpiresDays"), f"{sub}.passwordExpiresDays", -1)
        if days is not None:
            self.generated.append(Script(origin=self.origin(f["passwordExpiresDays"]), kind="post",
                                         body=f"chage -M {days} {shlex.quote(name)}\n", erroronfail=True))

    def password(self, node: Node | None, path: str) -> tuple[str | None, bool | None]:
        """(crypt hash or None, lock or None) of a password entry."""
        if node is None:
            return None, None
        f = self.mapping(node, path, ("type", "value"))
        kind = self.choice(f.get("type"), f"{path}.type", ("locked", "plain-text", "hashed", "plain-text-file",
                                                          "hashed-file"))
        if kind is None:
            if "type" not in f:
                self.error(f"{path}.type", node, "is required (locked, plain-text or hashed)")
            return None, None
        if kind == "locked":
            return None, True
        value_node = f.get("value")
        if kind.endswith("-file"):
            data = self.read_relative(value_node, f"{path}.value", "password file") if value_node else None
            value = data.decode("utf-8", "replace").strip() if data is not None else None
            kind = kind[:-5]
        else:
            value = self.text(value_node, f"{path}.value")
        if value is None:
            if value_node is None:
                self.error(f"{path}.value", node, f"is required for a {kind} password")
            return None, None
        if kind == "plain-text":
            self.plain_secrets.append(value)
            try:
                return secrets.hash_password(value), False
            except secrets.HashError as exc:
                self.error(f"{path}.value", value_node, f"cannot hash the password: {exc}")
                return None, None
        if not secrets.is_crypt_hash(value):
            self.error(f"{path}.value", value_node, "a hashed password is a crypt(3) hash (SHA-512 '$6$...' or "
                       "yescrypt '$y$...', as 'openssl passwd -6' makes)")
            return None, None
        return value, False

    def module(self, item: Node, sub: str) -> None:
        f = self.mapping(item, sub, ("name", "loadMode", "options"))
        name = self.text(f.get("name"), f"{sub}.name")
        if name is None or not re.fullmatch(r"[A-Za-z0-9_-]+", name):
            self.error(f"{sub}.name", f.get("name") or item, "a kernel module name is required")
            return
        mode = self.choice(f.get("loadMode"), f"{sub}.loadMode", ("always", "auto", "disable", "inherit"))
        options = []
        o = self.mapping(f.get("options"), f"{sub}.options", tuple(
            f["options"].value) if f.get("options") is not None and f["options"].kind == "mapping" else ())
        for key, value in o.items():
            v = self.text(value, f"{sub}.options.{key}", allow_empty=True)
            if v is None or not re.fullmatch(r"[A-Za-z0-9_.-]+", key) or any(c.isspace() for c in v):
                self.error(f"{sub}.options.{key}", value, "module options are NAME: VALUE without spaces")
                continue
            options.append(f"{key}={v}")
        lines = []
        if mode == "always":
            lines.append(_file_writer(f"/etc/modules-load.d/{name}.conf", f"{name}\n".encode(), "0644"))
        if mode == "disable":
            lines.append(_file_writer(f"/etc/modprobe.d/{name}-blacklist.conf", f"blacklist {name}\n".encode(),
                                      "0644"))
        if options:
            lines.append(_file_writer(f"/etc/modprobe.d/{name}.conf",
                                      f"options {name} {' '.join(options)}\n".encode(), "0644"))
        if lines:
            self.generated.append(Script(origin=self.origin(item), kind="post", body="".join(lines),
                                         erroronfail=True))

    def services(self, node: Node) -> None:
        f = self.mapping(node, "os.services", ("enable", "disable"))
        enable = self.strings(f.get("enable"), "os.services.enable")
        disable = self.strings(f.get("disable"), "os.services.disable")
        sv = self.plan.services
        o = self.origin(node)
        off = _unique(v for _, _, v in disable)
        on = [v for _, _, v in enable]
        for sub, item, name in enable:
            if name in off:
                self.error(sub, item, f"{name!r} is both enabled and disabled")
        sv.set("enabled", _unique([s for s in self.product.services_enabled if s not in off] + on), o)
        if off:
            sv.set("disabled", off, o)
        if "sshd" in off or "sshd.service" in off:
            self.plan.security.set("sshd_enabled", False, o)

    # -- scripts

    def scripts(self, node: Node | None) -> None:
        f = self.mapping(node, "scripts", ("postCustomization", "finalizeCustomization"))
        for kind in ("postCustomization", "finalizeCustomization"):
            for sub, item in self.items(f.get(kind), f"scripts.{kind}"):
                self.script(item, sub)

    def script(self, item: Node, sub: str) -> None:
        s = self.mapping(item, sub, ("path", "content", "interpreter", "environmentVariables", "name"))
        if ("path" in s) == ("content" in s):
            self.error(sub, item, "give path or content (one of them)")
            return
        if "content" in s:
            body = self.text(s["content"], f"{sub}.content")
        else:
            data = self.read_relative(s["path"], f"{sub}.path", "script")
            body = data.decode("utf-8", "replace") if data is not None else None
        interpreter = self.text(s.get("interpreter"), f"{sub}.interpreter") or "/bin/sh"
        env = []
        e = s.get("environmentVariables")
        names = tuple(e.value) if e is not None and e.kind == "mapping" else ()
        for key, value in self.mapping(e, f"{sub}.environmentVariables", names).items():
            v = self.text(value, f"{sub}.environmentVariables.{key}", allow_empty=True)
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
                self.error(f"{sub}.environmentVariables.{key}", value, "is not a variable name")
            elif v is not None:
                env.append(f"export {key}={shlex.quote(v)}\n")
        if env and os.path.basename(interpreter) not in ("sh", "bash"):
            self.error(f"{sub}.environmentVariables", e, "environment variables are set for sh or bash scripts only")
            env = []
        if body is None:
            return
        if not body.endswith("\n"):
            body += "\n"  # as a script file ends, and as a kickstart section gives it
        self.plan.scripts.append(Script(origin=self.origin(item), kind="post", body="".join(env) + body,
                                        interpreter=interpreter, erroronfail=True))


def _file_writer(dest: str, data: bytes, mode: str) -> str:
    """Shell lines writing `data` to `dest` in the target with `mode` (base64: any bytes, no quoting traps)."""
    encoded = base64.encodebytes(data).decode("ascii")
    q = shlex.quote(dest)
    return (f"mkdir -p \"$(dirname {q})\"\nbase64 -d > {q} <<'AZL_IMAGE_CONFIG_EOF'\n{encoded}"
            f"AZL_IMAGE_CONFIG_EOF\nchmod {mode} {q}\n")


def _kind(node: Node) -> str:
    if node.kind != "scalar":
        return f"a {node.kind}"
    return {bool: "true/false", int: "a number", float: "a number"}.get(type(node.value), "a string")


def _did_you_mean(word: str, known) -> str:
    import difflib

    close = difflib.get_close_matches(word, list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(known)})" if known else ""


def _unique(items) -> list[str]:
    return list(dict.fromkeys(items))   # first occurrence kept, in order; linear


def build_plan(root: Node, filename: str, product: Product, base_dir: str
               ) -> tuple[InstallPlan, list[Diagnostic], list[Secret]]:
    mapper = Mapper(root, filename, product, base_dir)
    plan = mapper.run()
    return plan, mapper.diagnostics, [Secret(s) for s in mapper.plain_secrets]

