"""A diagnostic is one FILE:LINE line: what the input smuggles into its message (a newline joined
in by a trailing backslash, a terminal escape) is shown escaped."""
import contextlib
import io

from installer.cli import main
from installer.model.diagnostics import Diagnostic
from installer.model.plan import Origin


def test_control_characters_in_a_message_are_escaped():
    d = Diagnostic("physical volume pv.1\n x\x1b[2J\tend", Origin.kickstart("a.ks", 2))
    assert str(d) == "a.ks:2: physical volume pv.1\\n x\\x1b[2J\\tend"


def test_a_backslash_joined_name_gives_single_line_diagnostics(tmp_path):
    ks = tmp_path / "joined.ks"
    ks.write_text("part pv.1 --size=100\nvolgroup vg pv.1\\\nx\npart / --size=1000\n")
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        rc = main(["validate", str(ks)])
    assert rc == 1
    lines = out.getvalue().splitlines()
    assert lines and all(line.startswith(f"{ks}:") for line in lines), lines
    assert any("pv.1\\n" in line for line in lines), lines
