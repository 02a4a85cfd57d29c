"""The kinds of exercise: the base :class:`Exercise`, numbers, multiple choice and slider tasks.

Each kind reads an answer (``check`` never raises) and shows itself: a widget in a
running notebook, static HTML in the book. Checking needs numpy only; ipywidgets
(and, for a slider task, :mod:`coursecode.widgets`) are imported by the methods that
build the widget, so that grading in a plain script loads no plotting library.
"Write the update" exercises are in ``coursecode.exercises.update``.
"""
from __future__ import annotations

import html
import re

import numpy as np

from . import record
from .answers import Feedback, parse_number, short

STATIC_NOTE = ("The Check button works when the notebook runs (Jupyter, Binder or Colab: the "
               "launch buttons at the top of the page).")


class Exercise:
    """An exercise: ``check(answer) -> Feedback`` and ``widget()`` for notebooks.

    ``lookup`` is the code that reaches the exercise's registry; the static page
    shows ``lookup["id"].check(...)``. It is ``coursecode.exercises.registry()``
    unless a homework module sets another (the appendix names its own view).
    """

    kind = "exercise"
    lookup = "coursecode.exercises.registry()"

    def __init__(self, id, title, prompt, explanation=""):
        self.id = id
        self.title = title
        self.prompt = prompt
        self.explanation = explanation

    @property
    def chapter(self):
        """The chapter number from the id's prefix (``"ch1-..."`` -> 1; None for the appendix)."""
        match = re.match(r"ch(\d+)-", self.id)
        return int(match.group(1)) if match else None

    def check(self, answer):
        """Feedback on ``answer``; never raises. The answer and the feedback are recorded
        (module ``coursecode.exercises.record``), for :func:`coursecode.exercises.export`."""
        try:
            feedback = self._check(answer)
        except Exception as exc:  # an answer must never end in a traceback
            feedback = Feedback(False, f"Could not check this answer ({type(exc).__name__}: "
                                       f"{short(str(exc), 80)}). Try a plain answer of the kind asked for.")
        record.note(self, answer, feedback)
        return feedback

    def _check(self, answer):  # pragma: no cover - abstract
        raise NotImplementedError

    # -- notebook display: ipywidgets is imported here only --------------------------
    def widget(self):
        """An ipywidgets box: the prompt, an answer field, a Check button, the feedback."""
        import ipywidgets as W

        field = self._answer_field()
        feedback = W.HTML(value="")
        button = W.Button(description="Check", button_style="primary", tooltip="Check my answer")

        def on_click(_):
            feedback.value = self.check(self._read_field(field)).to_html()

        button.on_click(on_click)
        box = W.VBox([self._prompt_widget(), field, W.HBox([button]), feedback])
        box.check_button, box.feedback, box.answer_field = button, feedback, field  # for tests
        return box

    def _prompt_html(self):
        return f"<p><b>{html.escape(self.title)}</b> ({html.escape(self.id)})</p><p>{html.escape(self.prompt)}</p>"

    def _prompt_widget(self):
        import ipywidgets as W

        return W.HTML(value=self._prompt_html())

    def _answer_field(self):
        import ipywidgets as W

        return W.Text(value="", placeholder="your answer", description="Answer:")

    def _read_field(self, field):
        return field.value

    def static_html(self):
        """What the static book shows: the question and how to check an answer."""
        return (f'<div class="cc-exercise-static"><p><b>{html.escape(self.title)}</b> '
                f"(<code>{html.escape(self.id)}</code>)</p><p>{html.escape(self.prompt)}</p>"
                f"{self._static_extra()}<p><em>{html.escape(STATIC_NOTE)} In code: "
                f"<code>{html.escape(self.lookup)}[\"{html.escape(self.id)}\"]"
                f".check({html.escape(self.answer_hint)})</code>.</em></p></div>")

    answer_hint = "answer"

    def _static_extra(self):
        return ""

    def _repr_mimebundle_(self, include=None, exclude=None):
        box = self.widget()
        return {"application/vnd.jupyter.widget-view+json": {"version_major": 2, "version_minor": 0,
                                                             "model_id": box.model_id},
                "text/html": self.static_html(),
                "text/plain": f"Exercise {self.id}: {self.title}. {STATIC_NOTE}"}

    def __repr__(self):
        return f"<{self.kind} {self.id}: {self.title}>"


# -- numbers -----------------------------------------------------------------------------

class NumericExercise(Exercise):
    """A number, right within ``rtol`` (relative) or ``atol`` (absolute).

    ``hints`` are ``(value, message)`` pairs for common wrong answers (matched within
    the same tolerance) or callables ``x -> message or None``; ``too_high`` and
    ``too_low`` are the messages for other wrong answers.
    """

    kind = "numeric exercise"
    answer_hint = '"your number"'   # a placeholder that can never be read as a hint

    def __init__(self, id, title, prompt, answer, rtol=1e-2, atol=0.0, hints=(), explanation="",
                 too_high="", too_low=""):
        super().__init__(id, title, prompt, explanation)
        self.answer = float(answer)
        self.rtol, self.atol = float(rtol), float(atol)
        self.hints = list(hints)
        self.too_high, self.too_low = too_high, too_low

    def _close(self, x, target):
        return abs(x - target) <= max(self.atol, self.rtol * abs(target))

    def _check(self, answer):
        x, why = parse_number(answer)
        if x is None:
            return Feedback(False, why)
        if self._close(x, self.answer):
            return Feedback(True, self.explanation or f"{x:g} is right.")
        for hint in self.hints:
            if callable(hint):
                message = hint(x)
                if message:
                    return Feedback(False, message)
            elif self._close(x, float(hint[0])):
                return Feedback(False, hint[1])
        if x > self.answer and self.too_high:
            return Feedback(False, f"{x:g} is too large. {self.too_high}")
        if x < self.answer and self.too_low:
            return Feedback(False, f"{x:g} is too small. {self.too_low}")
        return Feedback(False, f"{x:g} is not it; check your computation.")


# -- multiple choice -----------------------------------------------------------------------

class ChoiceExercise(Exercise):
    """Multiple choice: ``options`` is a list of ``(text, correct, feedback)``.

    ``check`` accepts a letter (``"b"``, ``"(B)"``), the option's text, or its
    0-based index (an int).
    """

    kind = "multiple-choice exercise"
    answer_hint = '"your letter"'   # never a real option: a static page must not hint at the answer

    def __init__(self, id, title, prompt, options, explanation=""):
        super().__init__(id, title, prompt, explanation)
        self.options = [(str(text), bool(ok), str(fb)) for text, ok, fb in options]
        if sum(ok for _, ok, _ in self.options) != 1:
            raise ValueError(f"{id}: exactly one option must be correct")
        self.letters = "abcdefghij"[: len(self.options)]

    def labels(self):
        return [f"({letter}) {text}" for letter, (text, _, _) in zip(self.letters, self.options)]

    def _index(self, answer):
        if answer is None:
            return None, "No option chosen yet."
        if isinstance(answer, (bool, np.bool_)):
            return None, f"Choose one of the options {', '.join(self.letters)}."
        if isinstance(answer, (int, np.integer)):
            if 0 <= int(answer) < len(self.options):
                return int(answer), ""
            return None, (f"There is no option number {int(answer)}: the options are numbered 0 to "
                          f"{len(self.options) - 1}, or give the letter.")
        if not isinstance(answer, str):
            return None, f"Give the letter of one option ({', '.join(self.letters)}), not a {type(answer).__name__}."
        text = " ".join(answer.split()).lower()
        if not text:
            return None, "No option chosen yet."
        bare = text.strip("()[]. ")
        if len(bare) == 1 and bare in self.letters:
            return self.letters.index(bare), ""
        for i, label in enumerate(self.labels()):
            if text in (label.lower(), " ".join(self.options[i][0].split()).lower()):
                return i, ""
        return None, f"“{short(answer)}” is not one of the options: give a letter ({', '.join(self.letters)})."

    def _check(self, answer):
        i, why = self._index(answer)
        if i is None:
            return Feedback(False, why)
        _, ok, fb = self.options[i]
        return Feedback(ok, fb)

    def _answer_field(self):
        import ipywidgets as W

        return W.RadioButtons(options=self.labels(), value=None, layout=W.Layout(width="auto"))

    def _static_extra(self):
        items = "".join(f"<li>{html.escape(label)}</li>" for label in self.labels())
        return f'<ul style="list-style:none">{items}</ul>'


# -- "set the sliders so that ..." ------------------------------------------------------------

class SliderTask(Exercise):
    """Set an explorer's controls so that a condition holds.

    ``check`` takes the explorer (its controls' values are read) or a dict of
    control values; ``condition(values) -> Feedback`` decides, from the values
    alone (no figure is built). ``controls`` names the controls read: ``"number"``
    or a list of allowed options. ``widget()`` shows a fresh explorer (``explorer``
    from :func:`coursecode.widgets.registry`, with ``start`` values) and a button
    that checks its current settings. ``solution`` (optional) is one setting that
    passes, for tests and instructors.
    """

    kind = "slider task"
    answer_hint = "explorer"

    def __init__(self, id, title, prompt, explorer, condition, controls, start=None, explanation="",
                 solution=None):
        super().__init__(id, title, prompt, explanation)
        self.explorer = explorer
        self.condition = condition
        self.controls = dict(controls)  # name -> "number" or a list of allowed options
        self.start = dict(start or {})
        self.solution = dict(solution) if solution is not None else None

    def _values(self, answer):
        if answer is None:
            return None, "No settings given: pass the explorer (or a dict of its control values)."
        if hasattr(answer, "controls") and isinstance(getattr(answer, "controls"), dict):
            answer = {k: c.value for k, c in answer.controls.items()}
        if not isinstance(answer, dict):
            return None, (f"Pass the {self.explorer} explorer itself (or a dict of its control values), "
                          f"not a {type(answer).__name__}.")
        values = {}
        for name, kind in self.controls.items():
            if name not in answer:
                return None, f"The setting {name!r} is missing (needed: {', '.join(self.controls)})."
            value = answer[name]
            if kind == "number":
                x, why = parse_number(value)
                if x is None:
                    return None, f"{name}: {why}"
                values[name] = x
            else:
                if not isinstance(value, str) or value not in kind:
                    return None, f"{name} must be one of {', '.join(map(str, kind))}; got {short(value)}."
                values[name] = value
        return values, ""

    def _check(self, answer):
        values, why = self._values(answer)
        if values is None:
            return Feedback(False, why)
        return self.condition(values)

    def widget(self, explorer=None):
        """The explorer (a new one unless given), a Check button and the feedback."""
        import ipywidgets as W

        from .. import widgets  # the explorers draw with matplotlib: only when shown

        ex = explorer if explorer is not None else widgets.build(self.explorer, **self.start)
        feedback = W.HTML(value="")
        button = W.Button(description="Check my settings", button_style="primary")
        button.on_click(lambda _: setattr(feedback, "value", self.check(ex).to_html()))
        box = W.VBox([self._prompt_widget(), ex.widget, W.HBox([button]), feedback])
        box.check_button, box.feedback, box.explorer = button, feedback, ex
        return box
