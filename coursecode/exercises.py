"""Homework that checks itself: exercises that give immediate, specific feedback.

Every exercise has an ``id`` with a chapter prefix (``"ch1-ravine-condition"``), a
``prompt``, a ``check(answer)`` that returns :class:`Feedback` (``correct``,
``message``) and a ``widget()`` for notebooks (an answer field, a Check button and
the feedback)::

    from coursecode import exercises
    ex = exercises.registry()["ch1-ravine-condition"]
    ex.check("5").correct          # True
    ex.check("0.2").message        # says what 0.2 is and why it is not kappa
    ex                             # a cell ending with it shows the widget

Kinds: :class:`NumericExercise` (a number within a tolerance),
:class:`ChoiceExercise` (multiple choice), :class:`SliderTask` ("set the sliders
of an explorer so that ...", checked on the controls' values) and
:class:`UpdateExercise` ("write the update": the student's function is compared
with coursecode on fixed inputs).

Safety and robustness:

* ``check`` never raises: any answer (empty, text, NaN, a list, a dict, code,
  None, a huge number) gets a message.
* Nothing a student types is run as code: numbers are read with ``float`` on the
  stripped text, and "a/b" with a small parser of two numbers.
* A student's function runs in a separate process with a time limit (fork, on
  Linux: Colab, Binder, CI) or in a thread elsewhere; an exception, an endless loop
  or a crash each gets its own message.
"""
from __future__ import annotations

import copy
import html
import importlib
import io
import math
import multiprocessing
import numbers
import pickle
import pkgutil
import re
import sys
import threading
import traceback
import warnings
from dataclasses import dataclass

import numpy as np

from . import optimizers, problems
from .run import run

MAX_CHARS = 60  # longer text is not a number anyone means
STATIC_NOTE = ("The Check button works when the notebook runs (Jupyter, Binder or Colab: the "
               "launch buttons at the top of the page).")


# -- feedback --------------------------------------------------------------------------

@dataclass(frozen=True)
class Feedback:
    """The result of a check: ``correct`` and a ``message`` that says why."""

    correct: bool
    message: str

    def to_html(self):
        colour, mark = ("#009E73", "\u2714 Correct.") if self.correct else ("#D55E00", "\u2718 Not yet.")
        return (f'<div role="status" style="border-left:4px solid {colour};padding:0.2em 0.6em;'
                f'margin:0.3em 0"><b>{mark}</b> {html.escape(self.message, quote=False)}</div>')

    def _repr_html_(self):
        return self.to_html()


def _short(answer, n=40):
    text = repr(answer) if not isinstance(answer, str) else answer
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "\u2026"


# -- reading numbers without evaluating anything ----------------------------------------

_NUMBER = r"(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_FRACTION = re.compile(rf"^([+-]?{_NUMBER})\s*/\s*({_NUMBER})$")


def parse_number(answer):
    """Read one finite real number from ``answer``: ``(value, "")`` or ``(None, why_not)``.

    Accepts ints, floats, numpy scalars, and text such as ``" 0.2 "``, ``"2e-1"``,
    ``"1/5"`` (two plain numbers around a slash) or ``"−0.5"`` (a Unicode minus).
    Nothing is evaluated.

    >>> parse_number(" 1/5 ")
    (0.2, '')
    >>> parse_number("__import__('os')")[0] is None
    True
    """
    if answer is None:
        return None, "No answer yet: type a number, e.g. 0.25 or 1/4."
    if isinstance(answer, (bool, np.bool_)):
        return None, "True or False is not a number: type a number, e.g. 0.25 or 1/4."
    if isinstance(answer, (complex, np.complexfloating)):
        return None, "Give a real number, not a complex one."
    if isinstance(answer, (list, tuple, set, frozenset, dict, np.ndarray)):
        return None, f"Give one number, not a {type(answer).__name__} of values."
    if isinstance(answer, (numbers.Real, np.integer, np.floating)):
        try:
            value = float(answer)
        except (OverflowError, ValueError, TypeError):
            return None, "That number is too large to be the answer: check your computation."
    elif isinstance(answer, (str, bytes)):
        if isinstance(answer, bytes):
            try:
                answer = answer.decode("utf-8")
            except UnicodeDecodeError:
                return None, "That is not text: type a number."
        text = answer.strip().replace("\u2212", "-")
        if not text:
            return None, "The answer is empty: type a number, e.g. 0.25 or 1/4."
        if len(text) > MAX_CHARS:
            return None, ("That is too long to be a number. Type just the number (e.g. 0.25 or 1/4); "
                          "formulas and code are not evaluated.")
        match = _FRACTION.match(text)
        if match:
            num, den = float(match.group(1)), float(match.group(2))
            if den == 0:
                return None, "That fraction divides by zero."
            value = num / den
        else:
            try:
                value = float(text)
            except ValueError:
                return None, (f"“{_short(text)}” is not a number. Type digits such as 5, 0.2, 2e-1 or "
                              "1/5; formulas and code are not evaluated.")
    else:
        return None, f"Give a number, not a {type(answer).__name__}."
    if math.isnan(value):
        return None, "NaN is not an answer: type a number."
    if math.isinf(value):
        return None, "That is infinite (or too large to be the answer): type a finite number."
    return value, ""


# -- the base class ----------------------------------------------------------------------

class Exercise:
    """An exercise: ``check(answer) -> Feedback`` and ``widget()`` for notebooks."""

    kind = "exercise"

    def __init__(self, id, title, prompt, explanation=""):
        self.id = id
        self.title = title
        self.prompt = prompt
        self.explanation = explanation

    @property
    def chapter(self):
        """The chapter number from the id's prefix (``"ch1-..."`` -> 1)."""
        match = re.match(r"ch(\d+)-", self.id)
        return int(match.group(1)) if match else None

    def check(self, answer):
        """Feedback on ``answer``; never raises."""
        try:
            return self._check(answer)
        except Exception as exc:  # an answer must never end in a traceback
            return Feedback(False, f"Could not check this answer ({type(exc).__name__}: "
                                   f"{_short(str(exc), 80)}). Try a plain answer of the kind asked for.")

    def _check(self, answer):  # pragma: no cover - abstract
        raise NotImplementedError

    # -- notebook display ------------------------------------------------------------
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

    def _prompt_widget(self):
        import ipywidgets as W

        return W.HTML(value=f"<p><b>{html.escape(self.title)}</b> ({html.escape(self.id)})</p>"
                            f"<p>{html.escape(self.prompt)}</p>")

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
                f"<code>coursecode.exercises.registry()[\"{html.escape(self.id)}\"]"
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
    answer_hint = '"0.25"'

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
    answer_hint = '"b"'

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
        return None, f"“{_short(answer)}” is not one of the options: give a letter ({', '.join(self.letters)})."

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
    control values; ``condition(values) -> Feedback`` decides. ``controls`` names the
    controls read: ``"number"`` or a list of allowed options. ``widget()`` shows a
    fresh explorer (``explorer`` from :func:`coursecode.widgets.registry`, with
    ``start`` values) and a button that checks its current settings. ``solution``
    (optional) is one setting that passes, for tests and instructors.
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
                    return None, f"{name} must be one of {', '.join(map(str, kind))}; got {_short(value)}."
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

        from . import widgets

        ex = explorer if explorer is not None else widgets.build(self.explorer, **self.start)
        feedback = W.HTML(value="")
        button = W.Button(description="Check my settings", button_style="primary")
        button.on_click(lambda _: setattr(feedback, "value", self.check(ex).to_html()))
        box = W.VBox([self._prompt_widget(), ex.widget, W.HBox([button]), feedback])
        box.check_button, box.feedback, box.explorer = button, feedback, ex
        return box


# -- "write the update" ------------------------------------------------------------------------

def _can_fork():
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


def _student_line(exc):
    """'line N: code' of the innermost frame outside coursecode, when there is one."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "coursecode" not in (f.filename or "")]
    if not frames:
        return ""
    f = frames[-1]
    return f"line {f.lineno}: {f.line.strip()}" if f.line else f"line {f.lineno}"


def _same(a, b):
    try:
        return bool(np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True))
    except Exception:
        return a is b


def _portable(out):
    """The returned value, or a stand-in when it cannot cross a process boundary."""
    try:
        pickle.dumps(out)
        return out
    except Exception:
        return _Unpicklable(type(out).__name__, _short(repr(out), 60))


@dataclass
class _Unpicklable:
    type_name: str
    text: str


def _evaluate(func, cases):
    """Call ``func(*case)`` for each case: ("ok", value, mutated) or ("raised", type, msg, line)."""
    results = []
    for case in cases:
        args = copy.deepcopy(case)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # overflow in a student's wrong step is not our error
                with np.errstate(all="ignore"):
                    out = func(*args)
            mutated = [i for i, (a, b) in enumerate(zip(args, case)) if not _same(a, b)]
            results.append(("ok", _portable(out), mutated))
        except BaseException as exc:  # noqa: B036 - SystemExit, KeyboardInterrupt from a student too
            results.append(("raised", type(exc).__name__, _short(str(exc), 120), _student_line(exc)))
    return results


def _child(func, cases, conn):  # pragma: no cover - runs in the forked process
    sys.stdout = sys.stderr = io.StringIO()  # a student's print must not reach the parent's streams
    try:
        conn.send(("done", _evaluate(func, cases)))
    except BaseException as exc:  # noqa: B036
        try:
            conn.send(("crashed", f"{type(exc).__name__}: {_short(str(exc), 120)}"))
        except Exception:
            pass
    finally:
        conn.close()


def run_student_function(func, cases, timeout=2.0):
    """Call ``func`` on each case under a time limit.

    Returns ``("done", results)`` (see ``_evaluate``), ``("timeout", seconds)`` or
    ``("crashed", why)``. On Linux the calls run in a forked child that is killed at
    the time limit; elsewhere in a daemon thread (which cannot be killed: it is
    abandoned and the message says so).
    """
    if _can_fork():
        ctx = multiprocessing.get_context("fork")
        receive, send = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_child, args=(func, cases, send), daemon=True)
        with warnings.catch_warnings():
            # Python >= 3.12 warns that forking a multi-threaded process (a Jupyter
            # kernel) may deadlock; the child only runs the student's function under
            # the time limit, so a deadlock is reported as a timeout.
            warnings.simplefilter("ignore", DeprecationWarning)
            proc.start()
        send.close()
        try:
            if receive.poll(timeout):
                try:
                    return receive.recv()
                except (EOFError, OSError):
                    return ("crashed", "the process running your function stopped without a result")
            return ("timeout", timeout)
        finally:
            if proc.is_alive():
                proc.kill()
            proc.join(2)
            receive.close()
    box = {}
    worker = threading.Thread(target=lambda: box.setdefault("r", _evaluate(func, cases)), daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        return ("timeout", timeout)
    return ("done", box["r"])


class UpdateExercise(Exercise):
    """Write an optimizer's update as a function; it is compared with coursecode.

    Parameters
    ----------
    signature : str, e.g. ``"step(theta, g, lr)"``; the function's name is the
        default the widget looks up in the notebook.
    cases : list of tuples of arguments (numpy arrays and floats)
    reference : callable ``*case -> expected`` (an array, or a tuple of arrays)
    diagnoses : list of ``(callable *case -> a typical wrong result, message)``
    accept : list of ``(callable *case -> another accepted result, note)``
    outputs : names of the returned values, for messages (``["theta"]``)
    """

    kind = "update exercise"
    answer_hint = "step"
    rtol, atol = 1e-6, 1e-9

    def __init__(self, id, title, prompt, signature, cases, reference, outputs, diagnoses=(),
                 accept=(), explanation="", timeout=2.0):
        super().__init__(id, title, prompt, explanation)
        self.signature = signature
        self.function_name = signature.split("(")[0].strip()
        self.arg_names = [a.strip() for a in signature.split("(")[1].rstrip(")").split(",")]
        self.cases = [tuple(c) for c in cases]
        self.reference = reference
        self.outputs = list(outputs)
        self.diagnoses = list(diagnoses)
        self.accept = list(accept)
        self.timeout = float(timeout)
        self.answer_hint = self.function_name

    def _describe(self, case):
        parts = []
        for name, value in zip(self.arg_names, case):
            arr = np.asarray(value)
            parts.append(f"{name} = {np.array2string(arr, precision=4, separator=', ')}"
                         if arr.ndim else f"{name} = {float(arr):g}")
        return ", ".join(parts)

    def _as_outputs(self, value):
        """The result as a tuple of float arrays, or a message saying why it is not one."""
        n = len(self.outputs)
        if isinstance(value, _Unpicklable):
            return None, f"returned a {value.type_name} ({value.text}), which is not an array"
        if value is None:
            return None, "returned None (is the return statement missing?)"
        parts = value if n > 1 else (value,)
        if n > 1 and (not isinstance(value, (tuple, list)) or len(value) != n):
            return None, f"should return {n} values ({', '.join(self.outputs)}) as a tuple"
        arrays = []
        for name, part in zip(self.outputs, parts):
            try:
                arr = np.asarray(part, dtype=float)
            except (TypeError, ValueError):
                return None, f"returned {_short(part)} for {name}, which is not an array of numbers"
            arrays.append(arr)
        return tuple(arrays), ""

    def _matches(self, got, expected):
        expected = expected if isinstance(expected, tuple) else (expected,)
        return all(g.shape == np.shape(e) and np.allclose(g, e, rtol=self.rtol, atol=self.atol)
                   for g, e in zip(got, expected))

    def _check(self, answer):
        if isinstance(answer, (str, bytes)):
            return Feedback(False, f"Pass your function itself, e.g. check({self.function_name}), not text: "
                                   "nothing you type is run as code. Define the function in a code cell first.")
        if isinstance(answer, type) or not callable(answer):
            kind = "a class" if isinstance(answer, type) else f"a {type(answer).__name__}"
            return Feedback(False, f"Pass a function {self.signature}, not {kind}.")
        status = run_student_function(answer, self.cases, self.timeout)
        if status[0] == "timeout":
            return Feedback(False, f"Your function took longer than {status[1]:g} s on small inputs and was "
                                   "stopped: is there a loop that never ends?")
        if status[0] == "crashed":
            return Feedback(False, f"Your function could not be run to the end ({status[1]}).")
        notes = []
        for case, result in zip(self.cases, status[1]):
            where = self._describe(case)
            if result[0] == "raised":
                _, name, msg, line = result
                at = f" at {line}" if line else ""
                return Feedback(False, f"For {where}, your function raised {name}{at}: {msg}")
            _, value, mutated = result
            got, why = self._as_outputs(value)
            if got is None:
                return Feedback(False, f"For {where}, your function {why}.")
            expected = self.reference(*case)
            if not self._matches(got, expected):
                accepted = [note for alt, note in self.accept if self._matches(got, alt(*case))]
                if accepted:
                    notes.append(accepted[0])
                else:
                    return Feedback(False, self._mismatch(case, got, expected, where))
            if mutated:
                names = ", ".join(self.arg_names[i] for i in mutated)
                return Feedback(False, f"The values are right, but your function changed its input {names} in "
                                       "place (e.g. theta -= ...). Return new arrays instead (theta = theta - "
                                       "...): an optimizer's step must not modify its inputs.")
        message = f"Your {self.function_name} agrees with coursecode on all {len(self.cases)} test inputs."
        if notes:
            message += " " + notes[0]
        if self.explanation:
            message += " " + self.explanation
        return Feedback(True, message)

    def _mismatch(self, case, got, expected, where):
        for diagnose, message in self.diagnoses:
            try:
                if self._matches(got, diagnose(*case)):
                    return message
            except Exception:  # a diagnosis that does not apply to this input
                continue
        expected = expected if isinstance(expected, tuple) else (expected,)
        for name, g, e in zip(self.outputs, got, expected):
            if g.shape != np.shape(e):
                return (f"For {where}, your {name} has shape {g.shape}; it should have shape "
                        f"{np.shape(e)} (the shape of theta).")
            if not np.allclose(g, e, rtol=self.rtol, atol=self.atol):
                fmt = lambda a: np.array2string(np.asarray(a), precision=5, separator=", ")  # noqa: E731
                return f"For {where}, your {name} is {fmt(g)}; it should be {fmt(e)}."
        return f"For {where}, your result differs from coursecode's."

    def _prompt_widget(self):
        import ipywidgets as W

        return W.HTML(value=f"<p><b>{html.escape(self.title)}</b> ({html.escape(self.id)})</p>"
                            f"<p>{html.escape(self.prompt)}</p><p>Define <code>{html.escape(self.signature)}"
                            "</code> in a code cell, run it, then press Check.</p>")

    def _answer_field(self):
        import ipywidgets as W

        return W.Text(value=self.function_name, description="Function:",
                      placeholder="the name of your function")

    def _read_field(self, field):
        """The notebook's function of that name (looked up, never evaluated)."""
        name = field.value.strip()
        if not name.isidentifier():
            return _Missing(name, f"“{_short(name)}” is not a function name: type just the name, e.g. "
                                  f"{self.function_name}.")
        main = sys.modules.get("__main__")
        if main is None or not hasattr(main, name):
            return _Missing(name, f"There is no function {name!r} in this notebook yet: define it in a code "
                                  "cell and run that cell first.")
        return getattr(main, name)

    def _check_missing(self, answer):
        return Feedback(False, answer.why)

    def check(self, answer):
        if isinstance(answer, _Missing):
            return self._check_missing(answer)
        return super().check(answer)

    def _static_extra(self):
        return f"<p>Define <code>{html.escape(self.signature)}</code> in a code cell.</p>"


@dataclass
class _Missing:
    name: str
    why: str


# -- chapter 1: the landscape ---------------------------------------------------------------

def _landscape_values(values, problem, optimizer):
    """A message when the explorer is not on the asked problem/optimizer, else None."""
    if values["problem"] != problem:
        return Feedback(False, f"The explorer shows the {values['problem']!r} problem: choose {problem!r} in "
                               "the problem menu.")
    if values["optimizer"] != optimizer:
        return Feedback(False, f"The optimizer is {values['optimizer']!r}: choose {optimizer!r} in the "
                               "optimizer menu.")
    return None


def _ravine_largest_lr(values):
    wrong = _landscape_values(values, "ravine", "gd")
    if wrong:
        return wrong
    lr = values["lr"]
    if lr >= 0.2:
        factor = abs(1 - 10 * lr)
        what = "oscillates forever without converging" if math.isclose(lr, 0.2, rel_tol=1e-9) else "diverges"
        return Feedback(False, f"At lr = {lr:.3g} GD on the ravine {what}: along y the curvature is 10, and "
                               f"each step multiplies the y-error by 1 − 10·lr = {1 - 10 * lr:.3g} "
                               f"(|·| = {factor:.3g} ≥ 1). Move the slider left.")
    if lr < 0.18:
        return Feedback(False, f"GD converges at lr = {lr:.3g}, but a larger learning rate still converges: "
                               "move the slider right until the run is about to blow up.")
    return Feedback(True, f"lr = {lr:.3g} still converges, just below the limit 2/λmax = 2/10 = 0.2: the "
                          f"y-error is multiplied by 1 − 10·lr = {1 - 10 * lr:.2f} per step, so it flips sign "
                          "and shrinks slowly (the zigzag). Past 0.2 the zigzag grows instead.")


def _saddle_start(values):
    wrong = _landscape_values(values, "saddle", "gd")
    if wrong:
        return wrong
    from .widgets import PROBLEMS

    steps = PROBLEMS["saddle"][3]
    p = problems.saddle()
    traj = run(optimizers.gd(lr=values["lr"]), p, [values["x0"], values["y0"]], steps)
    if traj.diverged:
        return Feedback(False, f"GD diverged at step {int(traj.diverged_at)} with lr = {values['lr']:.3g}: "
                               "take a smaller learning rate (below 1, the limit of the x-direction).")
    end = traj.thetas[-1]
    if np.linalg.norm(end) < 0.05:
        return Feedback(True, f"Started at y0 = {values['y0']:.3g}, GD ends at the saddle point "
                              f"({end[0]:.2g}, {end[1]:.2g}): on the line y = 0 the gradient has no y-component, "
                              "so GD never leaves it. Any nonzero y0, however small, grows by (1 + 2·lr) per step "
                              "near the saddle and GD escapes to a minimum — only after a long stay.")
    if abs(end[1]) > 0.5:
        return Feedback(False, f"GD ended near the minimum (0, {np.sign(end[1]):.0f}), not at the saddle: with "
                               f"y0 = {values['y0']:.3g} the unstable direction y grows by (1 + 2·lr) per step "
                               "near the saddle. Which start makes y stay exactly where it is?")
    return Feedback(False, f"After {steps} steps GD is at ({end[0]:.2g}, {end[1]:.2g}), not yet at the saddle "
                           "point: make sure x gets there in time (a larger learning rate) and that y stays put.")


def _gd_reference(theta, g, lr):
    opt = optimizers.gd(lr=lr)
    return opt.step(theta, g, opt.init(theta))[0]


def _gd_cases():
    rng = np.random.default_rng(20240601)
    return [(np.array([1.0, 2.0]), np.array([10.0, 10.0]), 0.1),
            (rng.normal(size=3), rng.normal(size=3), 0.05),
            (rng.normal(size=(2, 3)), rng.normal(size=(2, 3)), 0.5),
            (np.array([0.5]), np.array([-4.0]), 1e-3)]


def chapter1():
    """Chapter 1's exercises (the loss landscape), fresh objects on every call."""
    return [
        NumericExercise(
            "ch1-ravine-condition", "Condition number of the ravine",
            "The lecture's ravine is f(x, y) = x² + 5y². What is the condition number κ = λmax / λmin of its "
            "Hessian?", answer=5.0, rtol=1e-3,
            hints=[(0.2, "You computed λmin / λmax. The condition number puts the largest eigenvalue on top, so "
                         "κ ≥ 1."),
                   (10.0, "10 is λmax: the Hessian is diag(2, 10). κ divides it by λmin."),
                   (2.0, "2 is λmin: the Hessian is diag(2, 10). κ is the ratio λmax / λmin."),
                   (25.0, "25 = 5²: κ is the ratio of the eigenvalues themselves, not of their squares."),
                   (math.sqrt(5), "√5 ≈ 2.24 is the ratio of the contour ellipses' axes (contours stretch by "
                                  "√κ); κ is the ratio of the curvatures.")],
            explanation="The Hessian is diag(2, 10), so κ = 10 / 2 = 5; the bowl x² + y² has κ = 1.",
            too_high="Write down the Hessian (the second derivatives) first.",
            too_low="Write down the Hessian (the second derivatives) first; κ ≥ 1 always."),
        NumericExercise(
            "ch1-ravine-max-lr", "The largest stable learning rate on the ravine",
            "Gradient descent θ ← θ − γ∇f on the ravine f = x² + 5y² converges from every start exactly when "
            "γ < γmax. What is γmax?", answer=0.2, rtol=1e-3,
            hints=[(1.0, "1 = 2/λmin: the flat direction (curvature 2) would tolerate γ < 1, but the steep one "
                         "(curvature 10) diverges first."),
                   (0.4, "0.4 = 2/5: the coefficient 5 is not the curvature; ∂²f/∂y² = 10."),
                   (0.1, "0.1 = 1/λmax solves the steep direction in one step; the limit is where the factor "
                         "1 − γλmax reaches −1."),
                   (1 / 6, "1/6 = 2/(λmin + λmax) is the best fixed step, not the largest stable one.")],
            explanation="Along each eigenvector the error is multiplied by 1 − γλ per step; it shrinks iff "
                        "|1 − γλ| < 1, i.e. γ < 2/λ. The steep direction (λmax = 10) binds: γ < 2/10 = 0.2.",
            too_high="There the steep direction's factor |1 − 10γ| exceeds 1, so GD diverges.",
            too_low="GD converges there, but larger steps do too: where does |1 − 10γ| reach 1?"),
        ChoiceExercise(
            "ch1-normalize-inputs", "Is normalizing the inputs enough?",
            "The lecture asks whether normalizing the input features solves differential curvature. Which "
            "statement is right?",
            [("Yes: once every input feature has mean 0 and variance 1, the loss curves equally in every "
              "direction.", False,
              "Normalization evens out the scales of the inputs x, but curvature is a property of the loss as a "
              "function of the parameters θ: correlated features, the model's structure and, in a deep network, "
              "the other layers' weights all shape it, so κ can stay large."),
             ("It helps and is good practice, but it is no cure: differential curvature is about how sensitive "
              "the loss is to each parameter θ, and normalizing the inputs x changes that only indirectly.", True,
              "Right: normalizing x can round the contours (for a linear model with uncorrelated features it "
              "does), but the problem lives in the parameters' sensitivities, which is what momentum and "
              "preconditioning address."),
             ("No: normalizing the inputs never changes the loss landscape, so it does not help gradient "
              "descent.", False,
              "It does change the landscape (for a linear model the Hessian is built from the inputs) and it is "
              "recommended; it is just not a complete fix."),
             ("Yes, provided the learning rate is also divided by the number of features.", False,
              "No single rescaled step fits directions whose curvatures differ: that needs a different step per "
              "direction (preconditioning).")]),
        ChoiceExercise(
            "ch1-saddle-hessian", "Eigenvalues at a saddle point",
            "f(x, y) = x² − y² + y⁴/2 has a critical point (∇f = 0) at (0, 0). What are the signs of the Hessian's "
            "eigenvalues there?",
            [("Both positive.", False, "Both positive would make (0, 0) a local minimum; but ∂²f/∂y² = −2 + 6y² "
                                       "= −2 at y = 0."),
             ("One positive, one negative.", True,
              "The Hessian is diag(2, −2): f curves up along x and down along y, so (0, 0) is a saddle point — the "
              "gradient vanishes but it is not an extremum. GD is repelled along y, but only slowly near y = 0."),
             ("Both negative.", False, "That would be a local maximum; along x, f = x² curves up (∂²f/∂x² = 2)."),
             ("Both zero.", False, "A zero Hessian would be a degenerate point; here the second derivatives are 2 "
                                   "and −2.")]),
        NumericExercise(
            "ch1-cliff-jump", "One step off a cliff",
            "On the cliff f = (0.1x² + y²)/2 + h·σ(k(x − 1.5)) with h = 1 and k = 50, the slope is steepest at the "
            "edge x = 1.5, where ∂f/∂x = 0.1·1.5 + h·k/4 = 12.65. How far in x does one GD step with γ = 0.3 "
            "move from there?", answer=0.3 * 12.65, rtol=0.02,
            hints=[(12.65, "12.65 is the gradient; the step is γ times the gradient."),
                   (0.3, "0.3 is the learning rate; the step is γ times the gradient."),
                   (-1.5 + 0.3 * 12.65, "That is the distance from the minimum after the step; the question asks "
                                        "how far the step moves.")],
            explanation="γ·12.65 ≈ 3.8: from x = 1.5 one step lands near x = −2.3, farther from the minimum at 0 "
                        "than where it started. A large gradient times a fixed step size is an explosion; "
                        "gradient clipping and Adam's bounded step size are the cures."),
        SliderTask(
            "ch1-ravine-largest-lr", "Find the edge of stability",
            "In the landscape explorer, choose GD on the ravine and set the learning rate as large as you can "
            "while GD still converges (within 10% of the limit).",
            explorer="landscape", condition=_ravine_largest_lr,
            controls={"problem": list(_problem_names()), "optimizer": list(optimizers.LECTURE), "lr": "number"},
            start={"problem": "bowl", "optimizer": "gd", "lr": 0.05},
            solution={"problem": "ravine", "optimizer": "gd", "lr": 0.19}),
        SliderTask(
            "ch1-saddle-start", "Stuck at a saddle",
            "In the landscape explorer, choose GD on the saddle x² − y² + y⁴/2 and find a start point from which "
            "GD ends at the saddle point (0, 0) instead of a minimum.",
            explorer="landscape", condition=_saddle_start,
            controls={"problem": list(_problem_names()), "optimizer": list(optimizers.LECTURE), "lr": "number",
                      "x0": "number", "y0": "number"},
            start={"problem": "saddle", "optimizer": "gd", "lr": 0.1},
            solution={"problem": "saddle", "optimizer": "gd", "lr": 0.1, "x0": -1.2, "y0": 0.0}),
        UpdateExercise(
            "ch1-gd-step", "Write the gradient-descent step",
            "Write a function step(theta, g, lr) that returns the parameters after one gradient-descent step, "
            "θ − γg, as a new array (do not change theta in place). theta and g are numpy arrays of the same shape.",
            signature="step(theta, g, lr)", cases=_gd_cases(), reference=_gd_reference, outputs=["theta"],
            diagnoses=[(lambda th, g, lr: th + lr * g, "Your step goes uphill: it adds lr·g. Gradient descent "
                                                       "subtracts it: θ − γg."),
                       (lambda th, g, lr: th - g, "Your step ignores the learning rate: multiply g by lr."),
                       (lambda th, g, lr: -lr * g, "You returned the change −γg; return the new parameters "
                                                   "θ − γg.")],
            explanation="This is coursecode.gd(lr).step."),
    ]


def _problem_names():
    from .widgets import PROBLEMS

    return PROBLEMS.keys()


def _chapter_modules():
    """coursecode.homework.ch2, ch3, ...: each chapter's exercises() (chapter 1's are here)."""
    try:
        from . import homework
    except ImportError:  # pragma: no cover - the package ships with coursecode
        return []
    names = [m.name for m in pkgutil.iter_modules(homework.__path__) if re.fullmatch(r"ch\d+", m.name)]
    names.sort(key=lambda n: int(n[2:]))
    return [importlib.import_module(f"{homework.__name__}.{name}") for name in names]


def _build():
    items = chapter1()
    for module in _chapter_modules():
        items += list(module.exercises())
    built = {}
    for ex in items:
        if not re.fullmatch(r"ch\d+-[a-z0-9-]+", ex.id):
            raise ValueError(f"Invalid exercise id {ex.id!r}: ids look like 'ch1-ravine-condition'")
        if ex.id in built:
            raise ValueError(f"Two exercises have the id {ex.id!r}")
        built[ex.id] = ex
    return built


_REGISTRY = None


def registry():
    """Exercise id -> exercise, for every chapter, in chapter order.

    Chapter 1's exercises live in this module; chapter N's in
    ``coursecode.homework.chN`` (its ``exercises()``). Ids start with the chapter
    (``"ch1-..."``) and are unique. The dict is a copy; the exercises are shared.
    """
    global _REGISTRY
    if _REGISTRY is None:
        _REGISTRY = _build()
    return dict(_REGISTRY)


def check(exercise_id, answer):
    """``registry()[exercise_id].check(answer)``; an unknown id is feedback too."""
    exercises = registry()
    if not isinstance(exercise_id, str) or exercise_id not in exercises:
        return Feedback(False, f"There is no exercise {_short(exercise_id)!s}; ids look like 'ch1-ravine-condition'.")
    return exercises[exercise_id].check(answer)


def grade(answers):
    """Check a dict ``{exercise id: answer}``: returns ``{id: Feedback}`` (for autograding)."""
    return {key: check(key, value) for key, value in dict(answers).items()}
