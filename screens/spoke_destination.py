"""Installation destination: which disks, guided or custom layout, encryption, a preview."""

from __future__ import annotations

import copy

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Checkbox, Footer, Input, Label, OptionList, RadioSet, Static
from textual.widgets.option_list import Option
from textual.widgets.selection_list import Selection

from installer.model.machine import Disk, human_size
from installer.model.plan import TUI, AutoPart, Encryption, PartitionRequest, Secret
from screens.spoke import FieldError, Spoke
from screens.widgets import Check, CheckList, MaskedInput, Radio, StatusLine, TitleBar

SCHEMES = (("lvm", "LVM"), ("plain", "Plain partitions"), ("btrfs", "Btrfs"), ("custom", "Custom"))
UNENCRYPTED = ("/boot", "/boot/efi", "biosboot")  # the firmware or the boot loader reads these
FILESYSTEMS = ("xfs", "ext4", "ext3", "ext2", "btrfs", "vfat", "efi", "swap", "biosboot")


def disk_contents(disk: Disk) -> str:
    from installer.storage.erasure import contents

    return contents(disk)


def disk_prompt(disk: Disk) -> Text:
    model = " ".join(x for x in (disk.vendor, disk.model) if x) or "disk"
    serial = disk.serial or "?"
    line = f"{disk.name:<8}{human_size(disk.size):>10}  {disk.transport:<7}{model[:22]:<23}s/n {serial[:16]}"
    if disk.is_live_medium:
        line = line[:60].ljust(60) + " (live medium)"
    return Text(line[:74], style="dim" if disk.is_live_medium else "")


def default_rows(plan, machine, product) -> list[dict]:
    """The product's default layout as plain partitions, to start the custom editor from."""
    from installer.storage.layout import autopart_requests

    reqs = autopart_requests(product.storage, firmware=machine.firmware, memory=machine.memory, scheme="plain",
                             noswap=False)
    rows = []
    for r in reqs:
        mount = r.mountpoint or r.fstype
        if r.fstype == "swap":
            mount = "swap"
        rows.append({"mountpoint": mount, "size_mib": r.size_mib, "fstype": r.fstype, "grow": r.grow})
    return rows


def usable_mount(mountpoint: str | None) -> bool:
    return bool(mountpoint) and (mountpoint.startswith("/") or mountpoint in ("swap", "biosboot"))


def rows_from_plan(plan) -> list[dict]:
    """The plan's layout as the editor's plain partitions: file systems on partitions and on logical
    volumes keep their mount point, size and type; LVM physical volumes (pv.01) and RAID or btrfs
    members, which the table cannot express, are left out."""
    st = plan.storage
    rows = [{"mountpoint": p.mountpoint, "size_mib": p.size_mib, "fstype": p.fstype, "grow": p.grow}
            for p in st.partitions if usable_mount(p.mountpoint)]
    rows += [{"mountpoint": lv.mountpoint, "size_mib": lv.size_mib, "fstype": lv.fstype, "grow": lv.grow}
             for lv in st.logvols if usable_mount(lv.mountpoint)]
    rows += [{"mountpoint": r.mountpoint, "size_mib": None, "fstype": r.fstype, "grow": True}
             for r in st.raids if usable_mount(r.mountpoint)]
    return rows


class PreviewReady(Message):
    def __init__(self, text: str, ok: bool):
        super().__init__()
        self.text = text
        self.ok = ok


class DestinationSpoke(Spoke):
    TITLE_TEXT = "Installation destination"
    BINDINGS = Spoke.BINDINGS + [
        Binding("f5", "preview", "Preview layout"),
        Binding("f6", "custom", "Custom layout"),
    ]
    CSS = """
    DestinationSpoke CheckList { height: auto; max-height: 8; }
    DestinationSpoke .row Label { width: 24; }
    DestinationSpoke #preview { height: auto; color: $text; }
    """

    def compose_body(self) -> ComposeResult:
        st = self.plan.storage
        yield Label("Disks: Space selects, Tab moves on. The live medium cannot be chosen.",
                    classes="heading first", markup=False)
        yield CheckList(id="disks")
        yield Static(id="disk-details", markup=False)
        if st.volgroups or st.logvols or st.raids or st.btrfs or any(p.encrypted for p in st.partitions):
            yield Label("The kickstart's layout (LVM, RAID, btrfs or LUKS) is kept unless you change it here.",
                        classes="hint", id="ks-layout", markup=False)
        yield Label("Partitioning", classes="heading", markup=False)
        scheme = "custom" if st.custom else (st.autopart.scheme if st.autopart else self.product.storage.get("scheme", "lvm"))
        with RadioSet(id="scheme", classes="horizontal"):
            for key, title in SCHEMES:
                yield Radio(title, value=(key == scheme), id=f"scheme-{key}")
        use_all = st.clearpart.mode != "none" or not (st.autopart or st.custom)
        with RadioSet(id="space", classes="horizontal"):
            yield Radio("Use all space (erase selected disks)", value=use_all, id="space-all")
            yield Radio("Use free space only", value=not use_all, id="space-free")
        old = self.old_encryption()
        enc = st.autopart.encrypted if st.autopart else any(p.encrypted for p in st.partitions)
        yield Check("Encrypt the system (LUKS2; under Custom every partition but /boot)", enc, id="encrypt")
        have = bool(old and old.passphrase)
        with Horizontal(classes="row"):
            yield Label("Passphrase:", markup=False)
            yield MaskedInput(placeholder="(set; leave empty to keep)" if have else "", id="passphrase")
        with Horizontal(classes="row"):
            yield Label("Confirm passphrase:", markup=False)
            yield MaskedInput(id="passphrase-confirm")
        with Horizontal(classes="buttons"):
            yield Button("Preview layout (F5)", id="preview-button")
            yield Button("Custom layout (F6)", id="custom-button")
            yield Button("Cancel (^X)", id="cancel-button")
        yield Static(id="preview", markup=False)

    def on_mount(self) -> None:
        st = self.plan.storage
        self.custom_rows = rows_from_plan(self.plan) if st.custom else None
        specs = st.selected_disks or st.clearpart.drives
        chosen = [self.machine.disk(spec) for spec in specs]
        planned = {d.name for d in chosen if d is not None}
        self.fill_disks(planned)
        self.sync_enabled()
        # The form as the plan has it (before any preselection): Done with nothing changed keeps
        # the plan's storage as it is, e.g. a kickstart's LUKS + LVM layout the form cannot show.
        self.initial = self.form_state(disks=sorted(planned))
        self.query_one("#disks").focus()

    def form_state(self, disks: list[str] | None = None) -> tuple:
        lst = self.query_one("#disks", CheckList)
        return (sorted(lst.selected) if disks is None else disks, self.scheme(),
                self.query_one("#space-all", Radio).value, self.query_one("#encrypt", Checkbox).value,
                self.query_one("#passphrase", Input).value, self.query_one("#passphrase-confirm", Input).value,
                self.custom_rows)

    def unchanged(self) -> bool:
        st = self.plan.storage
        has_layout = st.custom or st.autopart is not None
        return has_layout and self.form_state() == self.initial

    def machine_changed(self) -> None:
        selected = set(self.query_one("#disks", CheckList).selected)
        self.fill_disks(selected)

    def fill_disks(self, selected: set[str]) -> None:
        lst = self.query_one("#disks", CheckList)
        keep = lst.get_option_at_index(lst.highlighted).id if lst.highlighted is not None else None
        lst.clear_options()
        m = self.machine
        for d in m.disks:
            chosen = d.name in selected and not d.is_live_medium
            lst.add_option(Selection(disk_prompt(d), d.name, chosen, id=d.name, disabled=d.is_live_medium or d.readonly))
        if len(m.target_disks) == 1 and not selected:
            lst.select(m.target_disks[0].name)
        # A highlighted row from the start (the one highlighted before a refresh, else the first
        # selectable disk), so Space typed ahead acts on a known row.
        rows = [d.name for d in m.disks]
        usable = [d.name for d in m.disks if not (d.is_live_medium or d.readonly)]
        target = keep if keep in rows else (usable[0] if usable else (rows[0] if rows else None))
        if target is not None:
            lst.highlighted = rows.index(target)
        self.show_details(lst.highlighted if lst.highlighted is not None else 0)

    def show_details(self, index: int | None) -> None:
        disks = self.machine.disks
        if index is None or not (0 <= index < len(disks)):
            return
        d = disks[index]
        # wrapped, not cut: the end of the line (free space, "+N more") matters most on a dual-boot disk
        self.query_one("#disk-details", Static).update(Text(f"  {d.name} now: {disk_contents(d)}", style="italic"))

    def on_selection_list_selection_highlighted(self, event) -> None:
        self.show_details(event.selection_index)

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        self.sync_enabled()

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        self.sync_enabled()

    def scheme(self) -> str:
        pressed = self.query_one("#scheme", RadioSet).pressed_button
        return pressed.id.removeprefix("scheme-") if pressed else "lvm"

    def old_encryption(self) -> Encryption | None:
        st = self.plan.storage
        if st.autopart is not None:
            return st.autopart.encryption
        return next((p.encryption for p in st.partitions if p.encrypted and p.encryption), None)

    def sync_enabled(self) -> None:
        encrypt = self.query_one("#encrypt", Checkbox)
        for wid in ("#passphrase", "#passphrase-confirm"):
            self.query_one(wid).disabled = not encrypt.value

    # ------------------------------------------------------------ custom layout

    def action_custom(self) -> None:
        rows = self.custom_rows if self.custom_rows is not None else default_rows(self.plan, self.machine, self.product)

        def done(result):
            if result is not None:
                self.custom_rows = result
                self.query_one("#scheme-custom", Radio).value = True
                self.sync_enabled()

        self.app.push_screen(CustomLayoutScreen(rows), done)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "preview-button":
            self.action_preview()
        elif event.button.id == "custom-button":
            self.action_custom()
        elif event.button.id == "cancel-button":
            self.action_cancel()

    # ------------------------------------------------------------ preview

    def action_preview(self) -> None:
        trial = copy.deepcopy(self.plan)
        try:
            self.apply_to(trial)
        except FieldError as exc:
            self.query_one(StatusLine).show(str(exc), "error")
            return
        self.query_one("#preview", Static).update("Planning the layout...")
        self.run_preview(trial)

    @work(thread=True, exclusive=True, group="preview")
    def run_preview(self, trial) -> None:
        from screens import backend

        try:
            preview = backend.preview_storage(trial, self.machine, self.product)
            self.post_message(PreviewReady(preview.tree_text(), True))
        except ImportError as exc:
            self.post_message(PreviewReady(f"The storage planner is not available: {exc}", False))
        except Exception as exc:
            diags = getattr(exc, "diagnostics", None)
            text = "\n".join(str(d) for d in diags) if diags else f"{type(exc).__name__}: {exc}"
            self.post_message(PreviewReady(text, False))

    def on_preview_ready(self, message: PreviewReady) -> None:
        heading = "Resulting layout:\n" if message.ok else "The layout cannot be planned:\n"
        self.query_one("#preview", Static).update(Text(heading + message.text))
        self.query_one("#body", VerticalScroll).scroll_end(animate=False)

    # ------------------------------------------------------------ apply

    def apply(self) -> None:
        if self.unchanged():
            return
        self.apply_to(self.plan)

    def apply_to(self, plan) -> None:
        disks = list(self.query_one("#disks", CheckList).selected)
        if not disks:
            raise FieldError("Disks: select at least one disk (Space)", "disks")
        for name in disks:
            d = self.machine.disk(name)
            if d is None or d.is_live_medium:
                raise FieldError(f"Disks: {name} cannot be used", "disks")
        scheme = self.scheme()
        use_all = self.query_one("#space-all", Radio).value
        st = plan.storage
        encryption = None
        encrypt = self.query_one("#encrypt", Checkbox).value
        if encrypt:
            phrase = self.query_one("#passphrase", Input).value
            confirm = self.query_one("#passphrase-confirm", Input).value
            old = self.old_encryption()
            if not phrase and old and old.passphrase:
                encryption = copy.copy(old)
            elif not phrase:
                raise FieldError("Passphrase: enter the disk encryption passphrase", "passphrase")
            elif phrase != confirm:
                raise FieldError("Confirm passphrase: the passphrases do not match", "passphrase-confirm")
            elif len(phrase) < 8:
                raise FieldError("Passphrase: use at least 8 characters", "passphrase")
            else:
                encryption = Encryption(passphrase=Secret(phrase), luks_version=self.product.storage.get("luks_version", "luks2"),
                                        pbkdf=self.product.storage.get("pbkdf"))
        st.set("selected_disks", disks, TUI)
        st.set("zerombr", use_all, TUI)
        st.clearpart.set("mode", "all" if use_all else "none", TUI)
        st.clearpart.set("drives", disks if use_all else [], TUI)
        st.clearpart.set("initlabel", use_all, TUI)
        if scheme == "custom":
            rows = self.custom_rows or default_rows(plan, self.machine, self.product)
            st.set("autopart", None, TUI)
            parts = []
            for r in rows:
                locked = encrypt and r["mountpoint"] not in UNENCRYPTED
                parts.append(PartitionRequest(mountpoint=r["mountpoint"], size_mib=r["size_mib"], grow=r["grow"],
                                              fstype=r["fstype"], encrypted=locked,
                                              encryption=copy.copy(encryption) if locked else None, origin=TUI))
            st.set("partitions", parts, TUI)
            for name in ("volgroups", "logvols", "raids", "btrfs"):
                st.set(name, [], TUI)
        else:
            st.set("autopart", AutoPart(scheme=scheme, encrypted=encrypt, encryption=encryption), TUI)
            for name in ("partitions", "volgroups", "logvols", "raids", "btrfs"):
                st.set(name, [], TUI)


def validate_row(mountpoint: str, size: str, fstype: str, grow: bool) -> dict:
    mountpoint = mountpoint.strip()
    fstype = fstype.strip().lower()
    if not (mountpoint.startswith("/") or mountpoint in ("swap", "biosboot")):
        raise FieldError("Mount point: a path such as /var, or swap / biosboot", "row-mount")
    if mountpoint == "swap":
        fstype = "swap"
    if mountpoint == "biosboot":
        fstype = "biosboot"
    if fstype not in FILESYSTEMS:
        raise FieldError(f"File system: one of {', '.join(FILESYSTEMS)}", "row-fstype")
    if mountpoint.startswith("/") and fstype in ("swap", "biosboot"):
        raise FieldError(f"File system: {fstype} has no mount point", "row-fstype")
    size = size.strip()
    if not size.isdigit() or int(size) <= 0:
        raise FieldError("Size (MiB): a whole number greater than 0", "row-size")
    return {"mountpoint": mountpoint, "size_mib": int(size), "fstype": fstype, "grow": grow}


class CustomLayoutScreen(Screen):
    """A table of partitions: mount point, size, file system, grow. Enter edits a row."""

    BINDINGS = [
        Binding("escape", "done", "Done"),
        Binding("f4", "remove", "Remove row"),
        Binding("f7", "defaults", "Defaults"),
        Binding("f8", "cancel", "Cancel"),
        Binding("ctrl+x", "cancel", "Cancel", show=False),
    ]
    CSS = """
    CustomLayoutScreen OptionList { height: auto; max-height: 10; }
    CustomLayoutScreen .row Label { width: 16; }
    CustomLayoutScreen #row-size, CustomLayoutScreen #row-fstype { width: 14; }
    CustomLayoutScreen #row-grow { margin-left: 2; }
    """

    def __init__(self, rows: list[dict]):
        super().__init__()
        self.rows = [dict(r) for r in rows]
        self.editing: int | None = None

    def compose(self) -> ComposeResult:
        yield TitleBar("Custom layout")
        with Vertical(classes="body"):
            yield Label("Partitions (plain, on the selected disks). Enter edits a row.", classes="hint", markup=False)
            yield Label(f"{'Mount point':<24}{'Size':>12}  {'File system':<12}Grow", classes="heading first",
                        markup=False)
            yield OptionList(id="rows")
            yield Label("Add or change a partition", classes="heading", markup=False)
            with Horizontal(classes="row"):
                yield Label("Mount point:", markup=False)
                yield Input(placeholder="/var", id="row-mount")
            with Horizontal(classes="row"):
                yield Label("Size (MiB):", markup=False)
                yield Input(placeholder="4096", id="row-size")
                yield Label("  File system:", markup=False)
                yield Input("xfs", id="row-fstype")
                yield Check("Grow", False, id="row-grow")
            with Horizontal(classes="buttons"):
                yield Button("Add/update", id="row-save")
                yield Button("Remove (F4)", id="row-remove")
                yield Button("Defaults (F7)", id="row-defaults")
                yield Button("Done", id="row-done")
                yield Button("Cancel (F8)", id="row-cancel")
        yield StatusLine(id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.fill()
        self.query_one("#rows").focus()

    def fill(self) -> None:
        lst = self.query_one("#rows", OptionList)
        lst.clear_options()
        for r in self.rows:
            size = human_size(r["size_mib"] * 1024 * 1024) if r["size_mib"] else "-"
            lst.add_option(Option(Text(f"{r['mountpoint']:<24}{size:>12}  {r['fstype'] or '':<12}{'yes' if r['grow'] else ''}")))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.editing = event.option_index
        r = self.rows[self.editing]
        self.query_one("#row-mount", Input).value = r["mountpoint"]
        self.query_one("#row-size", Input).value = str(r["size_mib"] or "")
        self.query_one("#row-fstype", Input).value = r["fstype"] or ""
        self.query_one("#row-grow", Checkbox).value = bool(r["grow"])
        self.query_one("#row-mount").focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        {"row-save": self.save_row, "row-remove": self.action_remove, "row-defaults": self.action_defaults,
         "row-done": self.action_done, "row-cancel": self.action_cancel}[event.button.id]()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.save_row()

    def save_row(self) -> None:
        status = self.query_one(StatusLine)
        try:
            row = validate_row(self.query_one("#row-mount", Input).value, self.query_one("#row-size", Input).value,
                               self.query_one("#row-fstype", Input).value, self.query_one("#row-grow", Checkbox).value)
        except FieldError as exc:
            status.show(str(exc), "error")
            self.query_one(f"#{exc.widget_id}").focus()
            return
        same = [i for i, r in enumerate(self.rows) if r["mountpoint"] == row["mountpoint"]]
        index = self.editing if self.editing is not None else (same[0] if same else None)
        if same and row["mountpoint"] != "swap" and same[0] != index:
            status.show(f"Mount point: {row['mountpoint']} is already in the table", "error")
            return
        if index is None:
            self.rows.append(row)
        else:
            self.rows[index] = row
        self.editing = None
        for wid in ("#row-mount", "#row-size"):
            self.query_one(wid, Input).value = ""
        status.show(f"{row['mountpoint']}: saved", "ok")
        self.fill()

    def action_remove(self) -> None:
        lst = self.query_one("#rows", OptionList)
        if lst.highlighted is not None and self.rows:
            del self.rows[lst.highlighted]
            self.editing = None
            self.fill()

    def action_defaults(self) -> None:
        self.rows = default_rows(self.app.plan, self.app.machine, self.app.product)
        self.fill()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_done(self) -> None:
        mounts = [r["mountpoint"] for r in self.rows]
        if "/" not in mounts:
            self.query_one(StatusLine).show("The layout needs a / (root) partition", "error")
            return
        if self.app.machine.firmware == "uefi" and "/boot/efi" not in mounts:
            self.query_one(StatusLine).show("UEFI needs an EFI system partition: /boot/efi (efi, 600 MiB)", "error")
            return
        self.dismiss(self.rows)
