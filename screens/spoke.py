"""Base class of the hub's spokes: a title, a scrolling form, a status line, the footer.

Esc is "Done": the spoke checks its form, writes it into the plan (origin TUI)
and returns to the hub, or stays and names the field that is wrong.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Checkbox, Footer, Input, RadioSet, SelectionList

from screens.widgets import StatusLine, TitleBar


class FieldError(Exception):
    """A form value the spoke cannot accept; `widget_id` is focused so the user can fix it."""

    def __init__(self, message: str, widget_id: str | None = None):
        super().__init__(message)
        self.widget_id = widget_id


class Spoke(Screen):
    TITLE_TEXT = ""
    BINDINGS = [Binding("escape", "done", "Done"), Binding("ctrl+x", "cancel", "Cancel")]

    def compose(self) -> ComposeResult:
        yield TitleBar(self.TITLE_TEXT)
        with VerticalScroll(classes="body", id="body"):
            yield from self.compose_body()
        yield StatusLine(id="status")
        yield Footer()

    def compose_body(self) -> ComposeResult:
        return iter(())

    @property
    def plan(self):
        return self.app.plan

    @property
    def machine(self):
        return self.app.machine

    @property
    def product(self):
        return self.app.product

    @on(Input.Changed)
    @on(Checkbox.Changed)
    @on(RadioSet.Changed)
    @on(SelectionList.SelectedChanged)
    def clear_stale_error(self) -> None:
        """An error names a value that was wrong when Done was pressed: once the form changes it is
        stale, so it goes (Done checks again and shows it again if it still holds)."""
        status = self.query_one(StatusLine)
        if status.has_class("-error"):
            status.clear()

    def apply(self) -> None:
        """Write the form into the plan; raise FieldError when a value is wrong."""

    def action_cancel(self) -> None:
        """Leave without writing the form: the plan keeps what it had when the spoke opened."""
        self.dismiss()

    def action_done(self) -> None:
        try:
            self.apply()
        except FieldError as exc:
            self.query_one(StatusLine).show(str(exc), "error")
            if exc.widget_id:
                try:
                    self.query_one(f"#{exc.widget_id}").focus()
                except Exception:
                    pass
            return
        self.app.plan_changed()
        self.dismiss()
