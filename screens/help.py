"""F1 or ? on any screen: what the screen does and every key it takes, from the HELP table.

Every action bound to an F-key is also reachable without one (a button, a letter or Esc):
IPMI and some serial clients swallow F-keys. The help says how.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

COMMON = ("Tab / Shift+Tab move between fields; Space ticks a box or picks a radio button;\n"
          "Enter presses a button. F1 or ? shows this help; Esc closes it.\n"
          "Without F-keys (IPMI, some serial clients): every F-key action is also a button.")

# screen class name -> (title, what it does and the keys it takes)
HELP: dict[str, tuple[str, str]] = {
    "HubScreen": ("Installation summary", (
        "Each area of the install. [!] must be completed, [x] is done, [ ] is optional.\n"
        "Up/Down and Enter, or the digit 1-7, open an area.\n"
        "Begin installation (F10) leads to a summary; nothing is written before you confirm there.\n"
        "Save kickstart (F2) writes the plan as a kickstart (passwords as hashes only).\n"
        "Reinstall as before (F5, shown when the disks hold a system azl-install installed) loads\n"
        "the kickstart that install saved and leads to the same summary.\n"
        "Quit (F3) leaves without changing anything."),
    ),
    "ChoosePreviousScreen": ("Reinstall which system?", (
        "Each system azl-install installed on these disks (found read-only). Up/Down and Enter\n"
        "load its saved kickstart and lead to the summary; Esc goes back.")),
    "PassphraseScreen": ("Passphrase", (
        "The saved kickstart encrypts volumes but never holds the passphrase: type the one for\n"
        "the new volumes twice. Esc cancels.")),
    "LanguageSpoke": ("Language and keyboard", (
        "Type in a filter to narrow its list: the exact name comes first, then names starting\n"
        "with what you typed. Enter moves into the list (Up/Down); typing there goes on filtering.\n"
        "The highlighted entry is the choice. Esc is Done.")),
    "TimeSpoke": ("Time zone and NTP", (
        "Type part of a zone (Europe/, berlin) and pick it with Up/Down.\n"
        "NTP servers and pools: host names or addresses separated by spaces. Esc is Done.")),
    "DestinationSpoke": ("Installation destination", (
        "Disks: Up/Down moves, Space ticks. The live medium cannot be chosen.\n"
        "Partitioning: LVM, plain, btrfs, or Custom (your own table of partitions).\n"
        "Use all space erases the ticked disks; free space only keeps what is on them.\n"
        "Encrypt: LUKS2 with the passphrase; under Custom every partition but /boot.\n"
        "Preview layout (F5) shows what the planner makes; Custom layout (F6) edits the table.\n"
        "Esc is Done; Cancel (Ctrl+X or the button) leaves with the storage choice unchanged.")),
    "CustomLayoutScreen": ("Custom layout", (
        "Enter on a row loads it into the fields below; Add / update saves them.\n"
        "Remove (F4 or the button) deletes the highlighted row; Defaults (F7) restores the\n"
        "product's layout. Esc or Done keeps the table; Cancel (F8, Ctrl+X or the button)\n"
        "throws the changes away.")),
    "SoftwareSpoke": ("Software selection", (
        "Pick one base environment (core is always installed). Extra packages: names separated\n"
        "by spaces; -name excludes a package. Esc is Done.")),
    "NetworkSpoke": ("Network and hostname", (
        "Host name, then each interface: Up/Down picks one, its IPv4 and IPv6 settings follow.\n"
        "Static needs an address with /prefix; gateway and DNS are optional. Esc is Done.")),
    "UsersSpoke": ("Root account and users", (
        "Passwords are typed twice; a weak one is refused once with the reason, Esc again\n"
        "accepts it. SSH keys: paste one or several (one per line), a file path, gh:USER,\n"
        "lp:USER (GitHub, Launchpad) or an https:// URL to import from, then Enter.\n"
        "The list shows the keys; Del or the button removes the highlighted one. Esc is Done.")),
    "SecuritySpoke": ("Security", "SELinux mode, the SSH server's policy and the firewall. Esc is Done."),
    "SummaryScreen": ("Summary", (
        "What will be erased, created and configured. When something is erased, type erase\n"
        "to enable Begin installation (F10 or the button). Esc or Back returns to the hub.")),
    "CountdownScreen": ("Automatic installation", (
        "The kickstart is complete: the install starts when the countdown ends.\n"
        "Esc stops it so you can review every area; Enter starts at once.\n"
        "F5 (when the disks hold a system azl-install installed): reinstall that instead.")),
    "ProgressScreen": ("Installing", (
        "The overall and per-step progress, the current action and the log.\n"
        "F2 or L switches to the full-screen log and back; Esc returns from it.")),
    "ErrorScreen": ("The installation failed", (
        "Save logs (F2), Shell (F3), Retry (F5) and Quit (F10) are also buttons: Tab to one\n"
        "and press Enter.")),
    "DoneScreen": ("Done", "Reboot (F5), Power off (F6) or Quit (F10); each is also a button."),
}


def reflow(text: str) -> str:
    """One line per sentence group: a source line not ending a sentence runs on (the panel wraps)."""
    out: list[str] = []
    for line in text.splitlines():
        if out and line and out[-1] and not out[-1].endswith((".", ":")):
            out[-1] += " " + line
        else:
            out.append(line)
    return "\n".join(out)


def help_for(screen_name: str) -> tuple[str, str]:
    title, text = HELP.get(screen_name, ("Help", ""))
    return title, reflow(f"{text}\n\n{COMMON}" if text else COMMON)


class HelpScreen(ModalScreen):
    BINDINGS = [Binding("escape", "close", "Close"), Binding("f1", "close", show=False),
                Binding("question_mark", "close", show=False), Binding("q", "close", show=False)]
    CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical { width: 80; height: auto; max-height: 22; border: solid $primary; background: $surface; }
    HelpScreen #help-text { height: auto; max-height: 16; padding: 0 1; }
    HelpScreen #help-title { text-style: bold; padding: 0 1; }
    """

    def __init__(self, screen_name: str):
        super().__init__()
        self.screen_name = screen_name

    def compose(self) -> ComposeResult:
        title, text = help_for(self.screen_name)
        with Vertical():
            yield Label(f"Help: {title}", id="help-title", markup=False)
            with VerticalScroll(id="help-text"):
                yield Static(text, id="help-body", markup=False)
            yield Button("Close (Esc)", id="help-close")

    def on_mount(self) -> None:
        self.query_one("#help-close").focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.action_close()

    def action_close(self) -> None:
        self.dismiss()
