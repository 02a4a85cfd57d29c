"""Homework that checks itself: exercises that give immediate, specific feedback.

Every exercise has an ``id`` that starts with its chapter (``"ch1-ravine-condition"``)
or with ``appx`` for the appendix, a ``prompt``, a ``check(answer)`` that returns
:class:`Feedback` (``correct``, ``message``) and a ``widget()`` for notebooks (an
answer field, a Check button and the feedback)::

    from coursecode import exercises
    ex = exercises.registry()["ch1-ravine-condition"]
    ex.check("5").correct          # True
    ex.check("0.2").message        # says what 0.2 is and why it is not kappa
    exercises.grade({"ch1-ravine-condition": "5", "appx-radam-warmup": "5"})
    ex                             # a cell ending with it shows the widget
    exercises.export(chapter="ch1")  # every answer checked so far -> answers-ch1.json

Where things are (modules of this package):

* ``answers``: :class:`Feedback` and :func:`parse_number` (reading a number
  from anything a student types, without evaluating it);
* ``kinds``: :class:`Exercise` and the kinds :class:`NumericExercise` (a number
  within a tolerance), :class:`ChoiceExercise` (multiple choice) and
  :class:`SliderTask` ("set the sliders of an explorer so that ...", checked on
  the controls' values);
* ``update``: :class:`UpdateExercise` ("write the update": the student's
  function is compared with coursecode on fixed inputs) and :func:`until_written`
  (a chapter's own check of that function says "not run yet" while it is a template);
* ``sandbox``: :func:`run_student_function`, a student's function in a child
  process with a time limit;
* ``record``: every ``check`` records the answer and its feedback in the kernel
  (the last one per exercise id); :func:`export` writes them to a JSON file to
  hand in (functions as their source text, never pickled);
* ``isolate``: :func:`run_student_source`, for grading: a function's source text
  compiled and called in a fresh child process with time, memory and output
  limits (``python -m coursecode.grade`` uses it);
* ``registry``: :func:`registry`, :func:`check` and :func:`grade` over every
  exercise of the book. The exercises themselves live in
  :mod:`coursecode.homework` (one module per chapter, and the appendix), which
  the registry finds by name.

Safety and robustness:

* ``check`` never raises: any answer (empty, text, NaN, a list, a dict, code,
  None, a huge number) gets a message.
* Nothing a student types is run as code: numbers are read with ``float`` on the
  stripped text, and "a/b" with a small parser of two numbers.
* A student's function runs in a separate process with a time limit (fork, on
  Linux: Colab, Binder, CI) or in a thread elsewhere; an exception, an endless loop
  or a crash each gets its own message.
* Every check is recorded, and :func:`export` writes the record; nothing in it
  is evaluated on the student's side, and the grader compiles code answers only
  in a confined child process.
* Checking and grading need numpy only: ipywidgets, matplotlib and the explorers
  are imported when a widget is built, never by ``registry``, ``check`` or ``grade``.
"""
from .answers import Feedback, parse_number
from .isolate import run_student_source
from .kinds import ChoiceExercise, Exercise, NumericExercise, SliderTask
from .record import export
from .registry import check, grade, registry
from .sandbox import run_student_function
from .update import UpdateExercise, until_written

__all__ = ["Feedback", "parse_number", "Exercise", "NumericExercise", "ChoiceExercise", "SliderTask",
           "UpdateExercise", "run_student_function", "run_student_source", "registry", "check", "grade",
           "export", "until_written"]
