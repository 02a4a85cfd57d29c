"""What a student typed and what the book says back: :class:`Feedback` and :func:`parse_number`.

Every kind of exercise reads its answer with these and answers with a
:class:`Feedback`. Nothing a student types is evaluated: numbers are read with
``float`` on the stripped text, and "a/b" with a small parser of two numbers.
"""
from __future__ import annotations

import html
import math
import numbers
import re
from dataclasses import dataclass

import numpy as np

MAX_CHARS = 60  # longer text is not a number anyone means


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


def short(answer, n=40):
    """``answer`` as one line of at most ``n`` characters, for quoting it in a message.

    >>> short("a   very\\nlong answer", 10)
    'a very lo…'
    """
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
                return None, (f"“{short(text)}” is not a number. Type digits such as 5, 0.2, 2e-1 or "
                              "1/5; formulas and code are not evaluated.")
    else:
        return None, f"Give a number, not a {type(answer).__name__}."
    if math.isnan(value):
        return None, "NaN is not an answer: type a number."
    if math.isinf(value):
        return None, "That is infinite (or too large to be the answer): type a finite number."
    return value, ""
