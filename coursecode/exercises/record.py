"""What a student answered: every check is recorded in the kernel, and :func:`export` hands it in.

Each call of an exercise's ``check`` (the Check button calls it too) records the
answer, the verdict and the feedback message, under the exercise's id; a later
check of the same exercise replaces the earlier one. :func:`export` writes all of
them to a JSON file that ``python -m coursecode.grade`` reads::

    from coursecode import exercises
    exercises.export(chapter="ch5")      # writes answers-ch5.json, prints how many answers

What is stored, for each exercise id (``"answers"`` in the file):

* ``type`` and ``answer``: ``"text"`` (a string as typed), ``"bytes"`` (UTF-8 bytes, as
  text), ``"number"`` (an int or a float; ``"nan"``, ``"inf"`` and ``"-inf"`` as strings,
  which JSON lacks), ``"bool"``,
  ``"none"``, ``"settings"`` (a slider task's control values, a dict), ``"code"`` (the
  source text of a function, see below), ``"missing"`` (the widget named a function
  that did not exist) or ``"other"`` (anything else: its type and a short repr);
* ``correct`` and ``message``: what the check said at the time; ``checked_utc``.

A function (the answer to a "write the update" exercise) is stored as its source
text, from :func:`inspect.getsource`, never pickled: ``function`` is its name and
``context`` the source of what it uses from the notebook (imports, numbers, helper
functions), so that the grader can compile it again in a child process. When the
source cannot be found (a function made by ``exec``, a builtin), ``answer`` is
None and ``notes`` says why. Nothing is evaluated here: the answer is only read.
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import inspect
import json
import math
import numbers
import os
import re
import sys
import tempfile
import textwrap
import threading
import types
from pathlib import Path

import numpy as np

from .answers import short

SCHEMA = "coursecode-answers"
SCHEMA_VERSION = 1
MAX_TEXT = 100_000          # characters of a text or source kept
MAX_HELPERS = 20            # helper functions whose source is kept with a code answer

_LOG: dict[str, dict] = {}
_PAUSED = [0]
_PAUSE_LOCK = threading.Lock()


def _now():
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- the log -------------------------------------------------------------------------------

def note(exercise, answer, feedback):
    """Record ``answer`` and its ``feedback`` for ``exercise`` (the last check wins); never raises."""
    if _PAUSED[0]:
        return
    try:
        entry = {"kind": _kind(exercise), **encode(answer), "correct": bool(feedback.correct),
                 "message": str(feedback.message), "checked_utc": _now()}
    except Exception as exc:  # a record must never break a check
        entry = {"kind": _kind(exercise), "type": "other", "answer": None, "python_type": type(answer).__name__,
                 "notes": [f"the answer could not be recorded ({type(exc).__name__})"],
                 "correct": bool(getattr(feedback, "correct", False)),
                 "message": str(getattr(feedback, "message", "")), "checked_utc": _now()}
    _LOG.pop(str(exercise.id), None)
    _LOG[str(exercise.id)] = entry


def _kind(exercise):
    return {"NumericExercise": "numeric", "ChoiceExercise": "choice", "SliderTask": "slider",
            "UpdateExercise": "update"}.get(type(exercise).__name__, getattr(exercise, "kind", "exercise"))


def answers():
    """A copy of what is recorded: ``{exercise id: entry}`` in the order of the last checks."""
    return json.loads(json.dumps(_LOG))


def clear():
    """Forget every recorded answer (a fresh start in the same kernel)."""
    _LOG.clear()


@contextlib.contextmanager
def paused():
    """Checks made inside ``with paused():`` are not recorded (the grader checks this way)."""
    with _PAUSE_LOCK:
        _PAUSED[0] += 1
    try:
        yield
    finally:
        with _PAUSE_LOCK:
            _PAUSED[0] -= 1


# -- answers as JSON -----------------------------------------------------------------------

def _number(x):
    if isinstance(x, float) and not math.isfinite(x):
        return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
    return x


def _scalar(value):
    """A JSON scalar for a setting's value, or raises TypeError."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int) and abs(value) < 2**63:
        return value
    if isinstance(value, float):
        return _number(value)
    raise TypeError(type(value).__name__)


def encode(answer):
    """The answer as JSON: ``{"type": ..., "answer": ...}`` (and more for code); see the module."""
    if type(answer).__name__ == "_Missing" and hasattr(answer, "why"):  # the widget found no function
        return {"type": "missing", "answer": short(answer.name, 80)}
    if answer is None:
        return {"type": "none", "answer": None}
    if isinstance(answer, (bool, np.bool_)):
        return {"type": "bool", "answer": bool(answer)}
    if isinstance(answer, str):
        text = answer if len(answer) <= MAX_TEXT else answer[:MAX_TEXT]
        entry = {"type": "text", "answer": text}
        if len(answer) > MAX_TEXT:
            entry["notes"] = [f"only the first {MAX_TEXT:,} of {len(answer):,} characters are kept"]
        return entry
    if isinstance(answer, bytes):  # kept as text, so that the grader can give check the same bytes
        try:
            return {"type": "bytes", "answer": answer[:MAX_TEXT].decode("utf-8")}
        except UnicodeDecodeError:
            return {"type": "other", "answer": short(answer, 200), "python_type": "bytes"}
    if isinstance(answer, (np.integer, np.floating)):
        answer = answer.item()
    if isinstance(answer, int) and abs(answer) < 2**63:
        return {"type": "number", "answer": answer}
    if isinstance(answer, numbers.Real) and not isinstance(answer, int):
        return {"type": "number", "answer": _number(float(answer))}
    controls = getattr(answer, "controls", None)
    if isinstance(controls, dict):  # an explorer: its controls' values, as a slider task reads them
        answer = {name: getattr(c, "value", None) for name, c in controls.items()}
    if isinstance(answer, dict) and all(isinstance(k, str) for k in answer):
        try:
            return {"type": "settings", "answer": {k: _scalar(v) for k, v in answer.items()}}
        except TypeError:
            pass
    if callable(answer) and not isinstance(answer, type):
        return code_record(answer)
    return {"type": "other", "answer": short(answer, 200), "python_type": type(answer).__name__}


# -- code answers: the source text and what it uses -------------------------------------------

def _source(obj):
    """(source text, None) or (None, why not)."""
    try:
        text = inspect.getsource(obj)
    except (OSError, TypeError) as exc:
        return None, (f"the source of {getattr(obj, '__name__', type(obj).__name__)} is not available "
                      f"({short(str(exc), 80)}): define the function with def in a notebook cell or a .py file")
    return textwrap.dedent(text), None


def _lambda_text(text, code):
    """The lambda expression in ``text`` that compiles to ``code`` (compiled, never run), else None."""
    import ast

    def same(segment):
        try:
            outer = compile(segment, "<lambda>", "eval")
        except (SyntaxError, ValueError):
            return False
        inner = [c for c in outer.co_consts if isinstance(c, types.CodeType)]
        return bool(inner) and inner[0].co_code == code.co_code and inner[0].co_varnames == code.co_varnames

    for candidate in (text, f"(\n{text}\n)"):  # the whole statement, when it parses
        try:
            tree = ast.parse(candidate)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Lambda) and same(segment := ast.get_source_segment(candidate, node)):
                return segment
    for start in (m.start() for m in re.finditer(r"\blambda\b", text)):  # a lambda inside a partial statement
        for end in range(len(text), start, -1):
            piece = text[start:end].strip()
            try:
                body = ast.parse(piece, mode="eval").body
            except SyntaxError:
                continue
            if isinstance(body, ast.Lambda) and same(piece):
                return piece
    return None


def _names(code):
    """Global names a code object (and the code nested in it) reads."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _names(const)
    return names


def _literal(value):
    """Python source for a plain value (number, text, tuple/list of them, small array) or None."""
    if isinstance(value, np.ndarray):
        if value.size > 10_000 or value.dtype.kind not in "biuf" or not np.all(np.isfinite(value)):
            return None
        return f"__import__('numpy').asarray({value.tolist()!r}, dtype={str(value.dtype)!r})"
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, (bool, int, str)):
        return repr(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else f"float({str(value)!r})"
    if isinstance(value, (tuple, list)) and len(value) <= 1000:
        parts = [_literal(v) for v in value]
        if any(p is None for p in parts):
            return None
        inner = ", ".join(parts) + ("," if isinstance(value, tuple) and len(parts) == 1 else "")
        return f"({inner})" if isinstance(value, tuple) else f"[{inner}]"
    return None


def _context(func, notes):
    """Source lines that define what ``func`` uses from its module: imports, plain values, helpers."""
    imports, values, helpers, seen = [], [], [], {id(func)}
    queue = [func]
    while queue:
        f = queue.pop(0)
        code, env = getattr(f, "__code__", None), getattr(f, "__globals__", None)
        if code is None or env is None:
            continue
        if getattr(f, "__closure__", None):
            notes.append(f"{f.__name__} uses variables of an enclosing function, which are not recorded")
        for name in sorted(_names(code)):
            if name not in env:
                continue  # a builtin, or a name that does not exist (the check reports it)
            obj = env[name]
            if isinstance(obj, types.ModuleType):
                mod = obj.__name__
                imports.append(f"import {mod}" if mod == name else f"import {mod} as {name}")
            elif inspect.isfunction(obj) and obj.__module__ == f.__module__:
                if id(obj) not in seen and len(helpers) < MAX_HELPERS:
                    seen.add(id(obj))
                    text, why = _source(obj)
                    if text is None:
                        notes.append(why)
                    else:
                        helpers.append(text)
                        queue.append(obj)
            elif (literal := _literal(obj)) is not None:
                values.append(f"{name} = {literal}")
            elif _importable(obj):
                imports.append(f"from {obj.__module__} import {obj.__name__}"
                               + ("" if obj.__name__ == name else f" as {name}"))
            else:
                notes.append(f"the global {name!r} ({type(obj).__name__}) that {f.__name__} uses is not recorded")
    lines = list(dict.fromkeys(imports)) + list(dict.fromkeys(values))
    return "\n".join(lines + [h.rstrip("\n") for h in helpers]) + ("\n" if lines or helpers else "")


def _importable(obj):
    module, name = getattr(obj, "__module__", None), getattr(obj, "__name__", None)
    if not isinstance(module, str) or not isinstance(name, str) or module == "__main__":
        return False
    mod = sys.modules.get(module)
    return mod is not None and getattr(mod, name, None) is obj


def code_record(func):
    """A function as source text: ``{"type": "code", "answer", "function", "context", "notes"}``."""
    name = getattr(func, "__name__", None)
    notes = []
    text, why = _source(func)
    if text is not None and name == "<lambda>":
        lam = _lambda_text(text, func.__code__) if hasattr(func, "__code__") else None
        if lam is None:
            notes.append("a lambda that shares its line with other code cannot be cut out: define the "
                         "function with def")
        text = lam
    if text is None and why:
        notes.append(why)
    if text is not None and len(text) > MAX_TEXT:
        text = text[:MAX_TEXT]
        notes.append(f"only the first {MAX_TEXT:,} characters of the source are kept")
    entry = {"type": "code", "answer": text, "function": name if isinstance(name, str) else None,
             "context": _context(func, notes) if text is not None else ""}
    if notes:
        entry["notes"] = notes
    return entry


# -- the file a student hands in ---------------------------------------------------------------

def _prefix(exercise_id):
    return exercise_id.split("-", 1)[0]


def _chapter(chapter, ids):
    if chapter is None:
        prefixes = sorted({_prefix(i) for i in ids})
        return prefixes[0] if len(prefixes) == 1 else ("none" if not prefixes else "mixed")
    if isinstance(chapter, numbers.Integral) and not isinstance(chapter, bool):
        return f"ch{int(chapter)}"
    if isinstance(chapter, str) and re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,40}", chapter):
        return chapter
    raise ValueError(f"chapter must be a chapter id such as 'ch5' or 'appx' (letters, digits, '-', '_'), "
                     f"not {short(chapter)!r}")


def _order(ids):
    from .registry import registry  # the book's order; a registry error must not stop a hand-in

    try:
        index = {key: i for i, key in enumerate(registry())}
    except Exception:
        index = {}
    return sorted(ids, key=lambda key: (index.get(key, len(index)), key))


def document(chapter=None):
    """The export as a dict (what :func:`export` writes)."""
    import coursecode  # the package is loaded already: this only reads its version

    entries = answers()
    return {"schema": SCHEMA, "schema_version": SCHEMA_VERSION, "chapter": _chapter(chapter, entries),
            "coursecode_version": coursecode.__version__, "created_utc": _now(),
            "answers": {key: entries[key] for key in _order(entries)}}


def _in_colab():
    try:
        import google.colab  # noqa: F401
    except Exception:
        return False
    return True


def export(path=None, *, chapter=None):
    """Write every answer checked in this kernel to a JSON file; returns its path.

    ``chapter`` (``"ch5"``, ``"appx"``, or an int) names the file and is stored in it;
    without it the chapter is read from the ids of the answers. ``path`` is a file
    or a folder; the default is ``answers-<chapter>.json`` in the working directory
    (the notebook's folder). On Colab the file is also downloaded. What is printed
    names the file and counts the answers, and is the same on every run.

    >>> import os, tempfile
    >>> from coursecode import exercises
    >>> clear()                                   # a fresh start: forget earlier checks
    >>> _ = exercises.check("ch1-ravine-condition", "5")
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = export(os.path.join(folder, "hw.json"), chapter="ch1")
    ...     saved = json.loads(Path(path).read_text())
    wrote .../hw.json: 1 answer (1 correct when checked)
    >>> saved["chapter"], saved["answers"]["ch1-ravine-condition"]["answer"]
    ('ch1', '5')
    """
    data = document(chapter)
    target = Path(path) if path is not None else Path(f"answers-{data['chapter']}.json")
    if target.is_dir():
        target = target / f"answers-{data['chapter']}.json"
    text = json.dumps(data, indent=1, ensure_ascii=False) + "\n"
    folder = target.parent if str(target.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=".answers-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    n = len(data["answers"])
    right = sum(1 for e in data["answers"].values() if e.get("correct"))
    counts = f"{n} answer{'' if n == 1 else 's'}" + (f" ({right} correct when checked)" if n else "")
    print(f"wrote {target}: {counts}")
    if _in_colab():
        try:
            from google.colab import files

            files.download(str(target))
            print("your browser downloads the file; hand it in as your instructor asked")
        except Exception as exc:  # a download the browser blocked: the file is still there
            print(f"the download did not start ({type(exc).__name__}); find {target.name} in the Files panel")
    return str(target)
