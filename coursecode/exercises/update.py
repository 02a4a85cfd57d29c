""""Write the update" exercises: a student's function, run in the sandbox, compared with coursecode.

The student passes a function object (never text: nothing typed is run as code).
It runs in ``coursecode.exercises.sandbox`` on fixed inputs; the results are
compared with a reference, typical mistakes are recognized by their results, and
changing an input in place is caught.
"""
from __future__ import annotations

import contextlib

import html
import sys
from dataclasses import dataclass

import numpy as np

from . import record
from .answers import Feedback, short
from .kinds import Exercise
from .sandbox import Unpicklable, run_student_function


@dataclass
class _Missing:
    """The widget's field names no function of the notebook: the reason, given as feedback."""

    name: str
    why: str


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
        if isinstance(value, Unpicklable):
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
                return None, f"returned {short(part)} for {name}, which is not an array of numbers"
            arrays.append(arr)
        return tuple(arrays), ""

    def _matches(self, got, expected):
        expected = expected if isinstance(expected, tuple) else (expected,)
        return all(g.shape == np.shape(e) and np.allclose(g, e, rtol=self.rtol, atol=self.atol)
                   for g, e in zip(got, expected))

    def check(self, answer):
        if isinstance(answer, _Missing):  # from the widget: no function to run
            feedback = Feedback(False, answer.why)
            record.note(self, answer, feedback)
            return feedback
        return super().check(answer)

    def _check(self, answer):
        if isinstance(answer, (str, bytes)):
            return Feedback(False, f"Pass your function itself, e.g. check({self.function_name}), not text: "
                                   "nothing you type is run as code. Define the function in a code cell first.")
        if isinstance(answer, type) or not callable(answer):
            kind = "a class" if isinstance(answer, type) else f"a {type(answer).__name__}"
            return Feedback(False, f"Pass a function {self.signature}, not {kind}.")
        return self.judge(run_student_function(answer, self.cases, self.timeout))

    def judge(self, status):
        """Feedback from what running the student's code gave: a status of
        :func:`~coursecode.exercises.run_student_function` or, for code graded from
        its source text, of :func:`~coursecode.exercises.run_student_source`."""
        kind = status[0]
        if kind == "timeout":
            return Feedback(False, f"Your function took longer than {status[1]:g} s on small inputs and was "
                                   "stopped: is there a loop that never ends?")
        if kind == "crashed":
            return Feedback(False, f"Your function could not be run to the end ({status[1]}).")
        if kind == "syntax":
            return Feedback(False, f"{status[1][:1].upper()}{status[1][1:]}.")
        if kind == "definition":
            _, what, name, msg, line = status
            at = f" at {line}" if line else ""
            return Feedback(False, f"Running {what}, before any call, raised {name}{at}: {msg}")
        if kind == "missing":
            _, name, defined, why = status
            if why:
                return Feedback(False, f"There is no code to run: {why}.")
            found = f" (it defines {', '.join(defined[:8])})" if defined else " (it defines no function)"
            return Feedback(False, f"Your code has no function named {short(name)!s}{found}: the function must "
                                   f"be called {self.function_name}, or hand in the function you checked.")
        if kind == "flood":
            return Feedback(False, f"Your function printed {status[1]:,} characters, more than the grader keeps, "
                                   "and was stopped: remove the print calls (or print less) and check again.")
        if kind == "memory":
            return Feedback(False, f"Your code used more memory than the grader allows ({status[1]:g} MB) and was "
                                   "stopped: does it build a huge array or a list that keeps growing?")
        notes = []
        for case, result in zip(self.cases, status[1]):
            where = self._describe(case)
            if result[0] == "raised":
                _, name, msg, line = result
                at = f" at {line}" if line else ""
                if name == "NotImplementedError":  # the exercise's template, not yet replaced
                    return Feedback(False, f"Your {self.function_name} is not written yet: its cell still raises "
                                           "NotImplementedError. Replace that line with your code, run the cell, "
                                           "then check again.")
                if name == "MemoryError":
                    return Feedback(False, f"For {where}, your function ran out of memory{at}: it asked for more "
                                           "than the limit allows. Does it build a huge array?")
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

    # -- notebook display ----------------------------------------------------------------
    def _prompt_html(self):
        return (super()._prompt_html() + f"<p>Define <code>{html.escape(self.signature)}</code> in a code "
                                         "cell, run it, then press Check.</p>")

    def _answer_field(self):
        import ipywidgets as W

        return W.Text(value=self.function_name, description="Function:",
                      placeholder="the name of your function")

    def _read_field(self, field):
        """The notebook's function of that name (looked up, never evaluated)."""
        name = field.value.strip()
        if not name.isidentifier():
            return _Missing(name, f"“{short(name)}” is not a function name: type just the name, e.g. "
                                  f"{self.function_name}.")
        main = sys.modules.get("__main__")
        if main is None or not hasattr(main, name):
            return _Missing(name, f"There is no function {name!r} in this notebook yet: define it in a code "
                                  "cell and run that cell first.")
        return getattr(main, name)

    def _static_extra(self):
        return f"<p>Define <code>{html.escape(self.signature)}</code> in a code cell.</p>"


@contextlib.contextmanager
def until_written():
    """Run code that calls a function the student writes; while that function is still its
    template (it raises ``NotImplementedError``), print that message instead of stopping the
    notebook, so that Run All reaches the rest of the chapter.

    >>> def step(theta):
    ...     raise NotImplementedError("step is not written yet")
    >>> with until_written():
    ...     step(1.0)
    Not run yet: step is not written yet
    """
    try:
        yield
    except NotImplementedError as exc:
        print(f"Not run yet: {exc}")
