"""Running pykickstart over expanded kickstart text, turning its errors into Diagnostics.

This module imports pykickstart at the top: only import it from inside functions
(installer.kickstart.files does), so the TUI's first paint does not pay for it.

What azl-install implements is decided by the table in installer.kickstart.compat: a refused
command, option or section is reported as `'cmd --opt' is not supported by azl-install: REASON`,
harmless ones become warnings, and parsing goes on after either, so that one run reports
every problem of the file.
"""

from __future__ import annotations

import copy
import functools
import re
import shlex
import warnings
from dataclasses import dataclass, field
from typing import Any

from pykickstart.base import KickstartCommand
from pykickstart.errors import KickstartError, KickstartParseError
from pykickstart.options import KSOptionParser
from pykickstart.parser import KickstartParser, PutBackIterator
from pykickstart.version import DEVEL, makeVersion

from installer.kickstart import compat
from installer.kickstart.source import Source
from installer.model.diagnostics import Diagnostic
from installer.model.plan import Origin
from installer.model.secrets import (
    is_crypt_hash,
    is_grub_hash,
    redact,
    redact_urls,
    url_password,
)
from installer.validate.system import ROOT_LOGIN

FINISH = ("reboot", "poweroff", "halt", "shutdown")
DISPLAY = ("text", "cmdline", "graphical")
ALIASES = {name: group for group in (FINISH, DISPLAY, ("part", "partition")) for name in group}


@dataclass
class Record:
    """A command line seen in the kickstart: its name, expanded line, tokens and the object pykickstart made."""

    name: str
    lineno: int
    args: list[str]
    obj: Any


@dataclass
class Parsed:
    handler: Any
    source: Source
    records: list[Record] = field(default_factory=list)
    sections: list[tuple[str, int, list[str]]] = field(default_factory=list)
    package_lines: list[tuple[int, str]] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    refused: list[tuple[str, int]] = field(default_factory=list)  # (command or section, line) refused
    stopped: bool = False  # reading ended early (an error pykickstart cannot continue after)
    # every command line handed to a command, refused or not: expanded line -> its words
    commands: dict[int, list[str]] = field(default_factory=dict)
    unsplit: set[int] = field(default_factory=set)  # command lines blanked because they cannot be split
    complete: bool = False  # the parser read to the end
    stopped_at: int | None = None  # else: the expanded line it stopped at

    def secrets(self) -> list[str]:
        """Every plaintext secret on the command lines, found by the commands' own option parsers.

        A crypt(3) or GRUB hash given with --iscrypted is left out: the plan keeps it and the
        replayable kickstart writes it, on purpose."""
        found: list[str] = []
        for args in self.commands.values():
            found += strip_secrets(self.handler, args).secrets
        return list(dict.fromkeys(s for s in found if s and not is_crypt_hash(s) and not is_grub_hash(s)))

    def origin(self, lineno: int | None) -> Origin:
        return self.source.origin(lineno)

    def last(self, *names: str) -> Record | None:
        for rec in reversed(self.records):
            if rec.name in names:
                return rec
        return None


# Limits that keep hostile or broken input from taking minutes (pykickstart's own checks are
# quadratic in places); real kickstarts stay far below them.
MAX_COMMAND_LINE = 64 * 1024
MAX_COMMANDS = 2000
MAX_PACKAGE_LINES = 50000
MAX_ERRORS = 200


class TooMuchInput(Exception):
    """Raised to stop parsing; the message says which limit was reached."""


class _CountingIterator(PutBackIterator):
    """PutBackIterator that knows the number of the line last handed out, and lets the parser vet it."""

    def __init__(self, iterable, vet):
        super().__init__(iterable)
        self.count = 0
        self.vet = vet

    def put(self, s):
        super().put(s)
        self.count -= 1

    def next(self):
        value = super().next()
        self.count += 1
        return self.vet(value)


_LINE_PREFIX = re.compile(r"^(The following problem occurred on line \d+ of the kickstart file:|"
                          r"There was a problem reading from line \d+ of the kickstart file)\s*", re.S)
_ON_LINE = re.compile(r" on line \d+")


def clean_message(text: str) -> str:
    text = " ".join(str(text).split())  # first: the patterns below then never meet a run of spaces
    text = _LINE_PREFIX.sub("", text).strip()
    text = _ON_LINE.sub("", text).replace("---", "--")
    m = re.match(r"^Unknown command: (.+)$", text)
    if m:
        return f"unknown command '{m.group(1)}'"
    m = re.match(r"^Unknown kickstart section: (.+)$", text)
    if m:
        return f"unknown section '{m.group(1)}'"
    return text or "syntax error"


_ARGPARSE = ("argument ", "unrecognized arguments", "the following arguments", "expected ", "invalid choice",
             "one of the arguments", "not allowed with argument")


def with_context(message: str, name: str | None) -> str:
    """Name the command in argparse-style messages ("part: argument --size: invalid int value")."""
    if name and message.startswith(_ARGPARSE):
        return f"{name}: {message}"
    return message


_PASSWORD_COMMANDS = ("rootpw", "sshpw")
_SECRET_OPTION = re.compile(r"pa?s+w|pass|pw|phrase|secret", re.I)
# Options named like a password's whose values are yes/no words: those are shown in messages.
_NOT_SECRET = {("sshd", "--password-auth"): ("yes", "no", "on", "off", "true", "false", "0", "1")}


def secret_words(args: list[str]) -> list[str]:
    """Words of a command line that may be passwords or passphrases, misspelt options included."""
    words: list[str] = []
    expect_value = False
    public: tuple[str, ...] = ()
    for token in args[1:]:
        name, eq, value = token.partition("=")
        if expect_value:
            if token not in public:
                words.append(token)
            expect_value = False
        elif token.startswith("-") and _SECRET_OPTION.search(name):
            public = _NOT_SECRET.get((args[0], name), ())
            if value in public:
                continue
            if eq:
                words.append(value)
            else:
                expect_value = True
        elif not token.startswith("--") and args[0] in _PASSWORD_COMMANDS:
            words.append(token)
    return [w for w in words if w]


def scrub(message: str, secrets: list[str]) -> str:
    """message without the secrets and without URL passwords; linear in the message and the secrets."""
    return redact_urls(redact(message, secrets))


# Option destinations (pykickstart's names) whose values are secrets, in every command that has them:
# user/bootloader/iscsi/rdp --password, bootloader --md5pass, iscsi --reverse-password, part/logvol/raid/
# autopart --passphrase and --hw-passphrase, network --wpakey/--wepkey.
SECRET_DESTS = frozenset({"password", "passphrase", "hw_passphrase", "_md5pass", "password_in", "wepkey", "wpakey"})
# Commands whose positional words are the password.
POSITIONAL_SECRETS = frozenset({"rootpw", "sshpw"})


@dataclass
class Stripped:
    """A command line without its secrets: the remaining words, the options taken out, the secrets."""

    args: list[str]
    removed: list[str]
    secrets: list[str]


def _action(actions: dict, opt: str):
    """The argparse action `opt` names, exactly or as an unambiguous abbreviation (argparse's rule)."""
    action = actions.get(opt)
    if action is None and opt.startswith("--"):
        matches = {id(a): a for s, a in actions.items() if s.startswith(opt)}
        action = next(iter(matches.values())) if len(matches) == 1 else None
    return action


def strip_secrets(handler, args: list[str]) -> Stripped:
    """The words of a command line with every secret taken out, by the command's own option parser.

    Options are resolved as pykickstart resolves them (abbreviations, `--opt val` and `--opt=val`);
    rootpw's and sshpw's positional words are the password; a URL keeps its user but not its password.
    An option no parser knows is judged by its name (a misspelt --pasword is still a secret).
    """
    name, words = args[0], args[1:]
    cmd = handler.commands.get(name) if handler is not None else None
    actions = getattr(getattr(cmd, "op", None), "_option_string_actions", {})
    out, removed, secrets = [name], [], []

    def keep(word: str) -> None:
        password = url_password(word)
        if password:
            secrets.append(password)
            word = redact_urls(word)
        out.append(word)

    i, positional_only = 0, False
    while i < len(words):
        word = words[i]
        i += 1
        if positional_only or not word.startswith("-") or word == "-":
            if name in POSITIONAL_SECRETS:
                secrets.append(word)
                removed.append("password")
            else:
                keep(word)
            continue
        if word == "--":
            positional_only = True
            out.append(word)
            continue
        opt, eq, value = word.partition("=")
        action = _action(actions, opt)
        takes_value = action.nargs != 0 if action is not None else bool(eq) or (
            i < len(words) and not words[i].startswith("-"))
        secret = (action.dest in SECRET_DESTS) if action is not None else bool(_SECRET_OPTION.search(opt))
        if not eq and takes_value and i < len(words) and (
                action is None or action.nargs is None or not words[i].startswith("-")):
            value, eq = words[i], "="
            i += 1
            separate = True
        else:
            separate = False
        if secret and takes_value:
            removed.append(action.option_strings[0] if action is not None and action.option_strings else opt)
            if eq:
                secrets.append(value)
            continue
        if separate:
            out.append(opt)
            keep(value)
        elif eq:
            password = url_password(value)
            if password:
                secrets.append(password)
            out.append(opt + "=" + redact_urls(value))
        else:
            out.append(word)
    return Stripped(out, list(dict.fromkeys(removed)), [s for s in secrets if s])


def hostname_only(args: list[str]) -> bool:
    """`network --hostname=NAME` alone: names the system, configures no device."""
    return {t.split("=", 1)[0] for t in args[1:] if t.startswith("--")} <= {"--hostname"}


class AzlParser(KickstartParser):
    """KickstartParser that records the line of every command and section and never stops at the first error."""

    def __init__(self, handler, parsed: Parsed):
        self.parsed = parsed
        self._iter: _CountingIterator | None = None
        self._context: str | None = None
        self._secrets: list[str] = []  # values on the current line that may be passwords
        self._args: list[str] = []  # the words of the command line being handled
        self._errors = 0
        super().__init__(handler, followIncludes=False, errorsAreFatal=False)

    # -- bookkeeping

    @property
    def current_line(self) -> int:
        return self._iter.count if self._iter is not None else 0

    def _diag(self, message: str, lineno: int | None, severity: str = "error") -> None:
        message = scrub(message, self._secrets)
        self.parsed.diagnostics.append(Diagnostic(message, self.parsed.origin(lineno), severity))
        if severity == "error":
            if self._context:
                self.parsed.refused.append((self._context, lineno or 0))
            self._errors += 1
            if self._errors >= MAX_ERRORS:
                raise TooMuchInput(f"too many errors ({MAX_ERRORS}); stopped reading here")

    def _blanked(self, stripped: str) -> None:
        """A command line dropped before pykickstart saw it: its area's whole-plan checks are skipped."""
        self.parsed.unsplit.add(self.current_line)
        self.parsed.refused.append((stripped.split(None, 1)[0], self.current_line))

    def _vet(self, line: str) -> str:
        """Blank out, with an error naming the line, command lines pykickstart would stop at.

        Too long to split in reasonable time, no closing quote, or an empty command name (`''`):
        pykickstart would raise out of its loop (an IndexError for the last) and read no further.
        Script and %packages lines are left alone, except a section's own %-lines.
        """
        stripped = line.lstrip()
        if not stripped or stripped.startswith("#"):
            return line
        in_commands = self._state == "commands"
        if in_commands and len(line) > MAX_COMMAND_LINE:
            self._blanked(stripped)
            self._diag(f"line is too long ({len(line.rstrip(chr(13) + chr(10)))} characters; "
                       f"the limit is {MAX_COMMAND_LINE})",
                       self.current_line)
            return "\n"
        if not (in_commands or (stripped.startswith("%") and self._section_line(stripped))):
            return line
        if not any(c in line for c in "'\"\\"):
            return line  # nothing shlex could stumble on
        try:
            args = shlex.split(line, comments=in_commands)
        except ValueError as exc:
            self._blanked(stripped)
            self._diag(f"cannot split the line into words: {exc}", self.current_line)
            return "\n"
        if args and not args[0]:
            self._diag("a command name cannot be empty", self.current_line)
            return "\n"
        return line

    def _section_line(self, stripped: str) -> bool:
        """A %-line inside a section that pykickstart splits itself (%end, %include, a section header)."""
        word = stripped.split()[0]
        return word in ("%end", "%include") or self._validState(word)

    def _warnings(self, caught: list, lineno: int | None) -> None:
        for w in caught:
            message = clean_message(str(w.message))
            if self._expected(message):
                continue
            if "ntpservers" in message or "nontp" in message:
                message = ("timezone --ntpservers/--nontp are deprecated; azl-install honours them, "
                           "but prefer 'timesource --ntp-server' / 'timesource --ntp-disable'")
            self._diag(message, lineno, "warning")

    def _expected(self, message: str) -> bool:
        """pykickstart warnings about things azl-install supports on purpose."""
        if message.startswith("An ssh user with the name"):
            return True  # several keys for one user all go to authorized_keys
        if message.startswith("A network device with the name ") and self._vlan_beside_parent():
            return True  # a VLAN and its parent each have a line: installer.validate.network checks the pair
        if message == "A network device with the name has already been defined.":
            # `network --hostname=NAME` is a device-less line too; it only names the system.
            unnamed = [r for r in self.parsed.records if r.name == "network" and r.obj is not None
                       and not getattr(r.obj, "device", "")]
            configured = [r for r in unnamed if not hostname_only(r.args)]
            return len(configured) <= 1
        return False

    def _vlan_beside_parent(self) -> bool:
        """The current network line and the earlier ones for its device: all but at most one are VLANs."""
        def device(args):
            return next((a.split("=", 1)[1] for a in args if a.startswith("--device=")), None)

        def vlan(args):
            return any(a.startswith("--vlanid") for a in args)

        name = device(self._args)
        lines = [r.args for r in self.parsed.records if r.name == "network" and device(r.args) == name]
        if not lines or lines[-1] is not self._args and lines[-1] != self._args:
            lines.append(self._args)  # pykickstart warns before this line is recorded
        return name is not None and sum(not vlan(a) for a in lines) <= 1

    def readKickstartFromString(self, s, reset=True):
        if reset:
            self._reset()
        self._iter = _CountingIterator(s.splitlines(True) + [""], self._vet)
        self._stateMachine(self._iter)

    def _tryFunc(self, fn):
        lineno = self.current_line
        self._context = None
        self._secrets = []
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                fn()
            except TooMuchInput:
                raise
            except KickstartError as exc:
                self.errorsCount += 1
                self._diag(with_context(clean_message(exc.message or str(exc)), self._context), lineno)
            except Exception as exc:  # pykickstart raises plain exceptions on odd input too
                self.errorsCount += 1
                message = clean_message(str(exc)) if str(exc) else type(exc).__name__
                self._diag(with_context(message, self._context), lineno)
        self._warnings(caught, lineno)

    # -- commands

    def handleCommand(self, lineno, args):
        name = args[0]
        self._context = name
        self._args = list(args)
        self.parsed.commands[lineno] = list(args)
        self._secrets = secret_words(args) + strip_secrets(self.handler, args).secrets
        commands = self.handler.commands
        if name in compat.REMOVED and name in commands:
            self._diag(f"'{name}' {compat.REMOVED[name]}", lineno)
            return None
        rule = compat.command(name)
        if name in commands and (rule is None or rule.rule.status == compat.REFUSED):
            self._diag(compat.refusal(name, rule.rule if rule else compat.refuse(compat.NOT_IMPLEMENTED)), lineno)
            return None
        refused = False
        for opt, opt_rule in self._option_rules(name, args):
            if opt_rule.status == compat.REFUSED:
                self._diag(compat.refusal(f"{name} {opt}", opt_rule), lineno)
                refused = True
            elif opt_rule.status == compat.WARNING:
                self._diag(compat.warning(f"{name} {opt}", opt_rule), lineno, "warning")
        if refused:
            return None
        if len(self.parsed.records) >= MAX_COMMANDS:
            raise TooMuchInput(f"too many commands (more than {MAX_COMMANDS}); stopped reading here")
        obj = super().handleCommand(lineno, args)  # raises on syntax errors: _tryFunc reports them
        if rule is not None and rule.rule.status == compat.WARNING:
            self._diag(compat.warning(name, rule.rule), lineno, "warning")
        prev = self.parsed.last(*ALIASES.get(name, (name,)))
        single = obj is not None and obj is commands.get(name)
        if single and prev is not None:
            self._diag(f"'{name}' was already given at {self.parsed.origin(prev.lineno)}; this line replaces it",
                       lineno, "warning")
        self.parsed.records.append(Record(name, lineno, list(args), obj))
        return obj

    def _option_rules(self, name: str, args: list[str]) -> list[tuple[str, compat.Rule]]:
        """The options on this line, as written, that azl-install refuses or warns about."""
        cmd = self.handler.commands.get(name)
        op = getattr(cmd, "op", None)
        if compat.command(name) is None or op is None:
            return []
        found: list[tuple[str, compat.Rule]] = []
        actions = getattr(op, "_option_string_actions", {})
        for token in args[1:]:
            if not token.startswith("--"):
                continue
            opt = token.split("=", 1)[0]
            action = actions.get(opt)
            if action is None:
                matches = {actions[s] for s in actions if s.startswith(opt)}
                action = matches.pop() if len(matches) == 1 else None
            if action is None or action.dest == "help" or any(opt == o for o, _ in found):
                continue
            rule = compat.option_rule(name, action.dest)
            if rule.status in (compat.REFUSED, compat.WARNING):
                found.append((opt, rule))
        return found

    # -- sections

    def setupSections(self):
        super().setupSections()
        for name, section in list(self._sections.items()):
            self._watch(name, section)

    def _watch(self, name: str, section) -> None:
        original_header = section.handleHeader

        def handle_header(lineno, args, _orig=original_header, _name=name):
            self._context = args[0] if args else _name
            self.parsed.sections.append((_name, lineno, list(args)))
            rule = compat.SECTIONS.get(_name)
            label = _name
            if _name == "%addon":
                label, rule = compat.addon_rule(args)
            if rule is not None and rule.status == compat.REFUSED:
                self._diag(compat.refusal(label, rule), lineno)
            elif rule is not None and rule.status == compat.WARNING:
                self._diag(compat.warning(label, rule), lineno, "warning")
            return _orig(lineno, args)

        section.handleHeader = handle_header
        if name == "%packages":
            self._watch_packages(section)

    def _watch_packages(self, section) -> None:
        """Record each %packages line and hand plain package lines to pykickstart in batches.

        pykickstart re-sorts the whole list for every line it is given, which is quadratic. A batch
        gives the same result as line by line as long as no name occurs twice in it, so a batch is
        handed over before a repeated name, and around every group or environment line.
        """
        original_finalize = section.finalize
        batch: list[str] = []
        names: set[str] = set()

        def add(lines: list[str]) -> None:
            try:
                self.handler.packages.add(lines)
            except KickstartError as exc:  # one bad entry must not end the parse
                self._diag(f"%packages: {clean_message(exc.message or str(exc))}", self.current_line)

        def flush() -> None:
            if batch:
                add(list(batch))
                batch.clear()
                names.clear()

        def handle_line(line):
            if len(self.parsed.package_lines) >= MAX_PACKAGE_LINES:
                raise TooMuchInput(f"too many %packages lines (more than {MAX_PACKAGE_LINES}); "
                                   "stopped reading here")
            entry = line.partition("#")[0].strip()
            self.parsed.package_lines.append((self.current_line, entry))
            if not entry:
                return
            name = entry[1:] if entry.startswith("-") else entry
            if name.startswith("@"):
                flush()
                add([entry])
                return
            if name in names:
                flush()
            batch.append(entry)
            names.add(name)

        def finalize():
            flush()
            return original_finalize()

        section.handleLine = handle_line
        section.finalize = finalize


# azl-install's additions to kickstart syntax: GPG settings per repository (--nogpgcheck, --gpgkey)
# and the `sshd` command for the SSH server's policy.
EXTENDED_COMMANDS = ("url", "repo")


class AZL_Sshd(KickstartCommand):
    """`sshd [--enabled|--disabled] [--password-auth=yes|no] [--root-login=POLICY]`.

    The class name's part after the underscore names the handler attribute (handler.sshd),
    as for pykickstart's own versioned command classes.
    """

    def __init__(self, writePriority=0, *args, **kwargs):
        super().__init__(writePriority, *args, **kwargs)
        self.op = self._getParser()
        self.enabled: bool | None = None
        self.password_auth: str | None = None
        self.root_login: str | None = None

    def _getParser(self):
        op = KSOptionParser(prog="sshd", version=DEVEL, description="""
                            azl-install: the SSH server's policy on the installed system.""")
        op.add_argument("--enabled", "--enable", dest="enabled", action="store_true", default=None,
                        version=DEVEL, help="Start sshd at boot (the default).")
        op.add_argument("--disabled", "--disable", dest="enabled", action="store_false", default=None,
                        version=DEVEL, help="Do not start sshd at boot.")
        op.add_argument("--password-auth", dest="password_auth", choices=("yes", "no"), default=None,
                        version=DEVEL, help="PasswordAuthentication in sshd's configuration.")
        op.add_argument("--root-login", dest="root_login", choices=ROOT_LOGIN, default=None, version=DEVEL,
                        help="PermitRootLogin in sshd's configuration (rootpw --allow-ssh means yes).")
        return op

    def parse(self, args):
        given = {a.split("=", 1)[0] for a in args}
        if given & {"--enabled", "--enable"} and given & {"--disabled", "--disable"}:
            raise KickstartParseError("sshd: --enabled and --disabled cannot be used together",
                                      lineno=self.lineno)
        ns = self.op.parse_args(args=args, lineno=self.lineno)
        # every option, given or not: a second `sshd` line replaces the first, as the warning says
        self.enabled, self.password_auth, self.root_login = ns.enabled, ns.password_auth, ns.root_login
        return self

    def __str__(self):
        return ""  # azl-install writes kickstarts itself (installer.kickstart.write)


def _add_extensions(handler) -> None:
    for name in EXTENDED_COMMANDS:
        op = getattr(handler.commands.get(name), "op", None)
        if op is None:
            continue
        op.add_argument("--nogpgcheck", action="store_true", default=False, version=DEVEL,
                        help="azl-install: install from this repository without checking GPG signatures.")
        op.add_argument("--gpgkey", default=None, version=DEVEL,
                        help="azl-install: comma-separated URLs of the keys that sign this repository.")
    handler.registerCommand("sshd", AZL_Sshd)


@functools.lru_cache(maxsize=4)
def _prototype(version_name: str):
    handler = makeVersion(version_name)
    _add_extensions(handler)
    return handler


def make_handler(version_name: str):
    """A fresh handler; copying a prototype takes about half the time of building one (its option parsers)."""
    return copy.deepcopy(_prototype(version_name))


_SECTION_AREAS = {"%packages": "payload", "%pre": "scripts", "%pre-install": "scripts", "%post": "scripts",
                  "%onerror": "scripts", "%traceback": "scripts"}


ALL_AREAS = frozenset({rule.area for rule in compat.COMMANDS.values()} | set(_SECTION_AREAS.values()))


def partial_areas(parsed: Parsed) -> frozenset[str]:
    """The plan areas that lost a refused line (see KickstartResult.partial)."""
    if parsed.stopped:
        return ALL_AREAS
    areas = set()
    for name, _line in parsed.refused:
        rule = compat.command(name)
        area = rule.area if rule is not None else _SECTION_AREAS.get(name)
        if area:
            areas.add(area)
    return frozenset(areas)


def run(source: Source, version_name: str) -> Parsed:
    """Parse expanded kickstart text; syntax errors become Diagnostics, parsing goes on where it can."""
    try:
        handler = make_handler(version_name)
    except KickstartError as exc:
        parsed = Parsed(handler=None, source=source)
        parsed.diagnostics.append(Diagnostic(f"kickstart syntax {version_name} is unknown to pykickstart: "
                                             f"{clean_message(exc.message)}", source.origin(None)))
        return parsed
    parsed = Parsed(handler=handler, source=source)
    parser = AzlParser(handler, parsed)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            try:
                parser.readKickstartFromString(source.text)
            except Exception:
                parsed.stopped = True
                raise
            parsed.complete = True
        except TooMuchInput as exc:
            parsed.diagnostics.append(Diagnostic(str(exc), source.origin(parser.current_line)))
        except KickstartError as exc:
            line = exc.lineno if isinstance(exc.lineno, int) and exc.lineno > 0 else parser.current_line
            message = clean_message(exc.message or str(exc))
            unterminated = re.match(r"^Section (%\S+) does not end with %end\.?$", message)
            if unterminated:
                name = unterminated.group(1)
                line = next((ln for sec, ln, _ in reversed(parsed.sections) if sec == name), line)
                message = f"'{name}' section has no %end"
            parsed.diagnostics.append(Diagnostic(message, source.origin(line)))
        except ValueError as exc:  # shlex: "No closing quotation", "No escaped character"
            parsed.diagnostics.append(Diagnostic(f"cannot split the line into words: {exc}",
                                                 source.origin(parser.current_line)))
        except RecursionError:
            parsed.diagnostics.append(Diagnostic("kickstart is nested too deeply", source.origin(parser.current_line)))
        except Exception as exc:  # last line of defence: a message with the line, never a traceback
            parsed.diagnostics.append(Diagnostic(f"cannot parse: {type(exc).__name__}: {exc}",
                                                 source.origin(parser.current_line)))
    for w in caught:
        parsed.diagnostics.append(Diagnostic(clean_message(str(w.message)), source.origin(parser.current_line),
                                             "warning"))
    if not parsed.complete:
        parsed.stopped_at = parser.current_line
    return parsed

