"""Console-safe widgets: masked inputs, ASCII radio buttons, a CP437 progress meter."""

from __future__ import annotations

from rich.segment import Segment
from rich.text import Text
from textual.content import Content
from textual.reactive import reactive
from textual.strip import Strip
from textual.widgets import Button, Checkbox, Input, RadioButton, SelectionList, Static
from textual.widgets import OptionList

from screens.console import key_display


class TitleBar(Static):
    """The top line: product, the current screen, and DRY RUN when nothing will be written."""

    def __init__(self, title: str, **kwargs):
        super().__init__(**kwargs)
        self.screen_title = title

    def render(self) -> Text:
        app = self.app
        left = f"{getattr(app, 'product_name', 'Azure Linux')} installation - {self.screen_title}"
        right = "DRY RUN" if getattr(app, "dry_run", False) else ""
        width = max(self.size.width - 2, len(left) + len(right) + 1)
        return Text(left + " " * (width - len(left) - len(right)) + right, no_wrap=True, overflow="crop")


class MaskedInput(Input):
    """A password field that shows '*' (the console font has no bullet) and never suggests."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("password", True)
        super().__init__(*args, **kwargs)

    @property
    def _value(self) -> Text:
        if self.password:
            return Text("*" * len(self.value), no_wrap=True, overflow="ignore", end="")
        return super()._value


class Radio(RadioButton):
    """A radio button drawn `(*)` / `( )`: readable without colour, on a serial line too."""

    @property
    def _button(self) -> Content:
        return Content.assemble(("(*)" if self.value else "( )", self.get_visual_style("toggle--button")))


class Check(Checkbox):
    """A checkbox drawn `[X]` / `[ ]`."""

    @property
    def _button(self) -> Content:
        return Content.assemble(("[X]" if self.value else "[ ]", self.get_visual_style("toggle--button")))


class CheckList(SelectionList):
    """A SelectionList whose marks are `[X]`, `[ ]` and `[-]` (disabled), not colour-only blocks."""

    def _get_left_gutter_width(self) -> int:
        return 4

    def render_line(self, y: int) -> Strip:
        line = OptionList.render_line(self, y)
        _, scroll_y = self.scroll_offset
        index = scroll_y + y
        try:
            option = self.get_option_at_index(index)
        except Exception:
            return line
        if option.disabled:
            mark = "[-]"
        else:
            mark = "[X]" if option.value in self._selected else "[ ]"
        style = next(iter(line)).style if len(line) else None
        return Strip([Segment(mark + " ", style), *line])


class GatedButton(Button):
    """A button that says when it cannot be pressed yet: dim text alone does not show on the
    Linux console or a serial line, so the label itself changes."""

    def __init__(self, label: str, *, waiting: str, **kwargs):
        self.ready_label = label
        self.waiting = waiting
        disabled = kwargs.get("disabled", False)
        super().__init__(self.label_for(disabled), **kwargs)

    def label_for(self, disabled: bool) -> str:
        return f"{self.ready_label} ({self.waiting})" if disabled else self.ready_label

    def watch_disabled(self, disabled: bool) -> None:
        super().watch_disabled(disabled)
        self.label = self.label_for(disabled)
        # Button does not re-measure itself when its label changes; the new label has a new width
        self.refresh(layout=True)


class StatusLine(Static):
    """A one-line message under a form: errors name the field they concern."""

    def show(self, message: str, kind: str = "info") -> None:
        self.set_classes({"-error"} if kind == "error" else ({"-ok"} if kind == "ok" else set()))
        self.update(Text(message))

    def clear(self) -> None:
        self.show("")


class ProgressMeter(Static):
    """A progress bar drawn with CP437 blocks: `label [#####.....]  45%`."""

    fraction: reactive[float] = reactive(0.0)
    label: reactive[str] = reactive("")

    def __init__(self, label: str = "", label_width: int = 10, **kwargs):
        super().__init__(**kwargs)
        self.label = label
        self.label_width = label_width

    def render(self) -> Text:
        width = max(self.size.width, 20)
        label = self.label[: self.label_width].ljust(self.label_width)
        pct = f" {int(self.fraction * 100):3d}%"
        bar_width = max(width - len(label) - len(pct) - 2, 4)
        filled = int(round(bar_width * max(0.0, min(1.0, self.fraction))))
        text = Text(label + " ")
        text.append("\u2588" * filled, style="bold")
        text.append("\u2591" * (bar_width - filled))
        text.append(pct)
        return text


def keys_hint(*pairs: tuple[str, str]) -> str:
    return "  ".join(f"{key_display(k)} {what}" for k, what in pairs)
