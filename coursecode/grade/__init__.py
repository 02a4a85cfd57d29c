"""Grading a class: from the answers files students hand in to a gradebook, feedback pages and a summary.

Students end each chapter with ``exercises.export(chapter="ch5")``, which writes
``answers-ch5.json`` (every answer they checked, code as source text). The
instructor collects one file per student (``alice.json``) or one folder per
student (``alice/answers-ch1.json``, ``alice/answers-ch5.json``) into a folder
and runs::

    python -m coursecode.grade SUBMISSIONS --out grades.csv --feedback feedback/ --figure class.png

* ``grades.csv``: a row per student, a column per exercise id (1, 0, or empty when
  not answered), ``total``, ``possible``, ``percent`` and ``notes``; Moodle's
  gradebook imports it (:mod:`coursecode.grade.reports`);
* ``feedback/<student>.html``: each exercise's answer, result and feedback;
* ``class.png``: the share of the class right, wrong and silent on each exercise;
* a line on standard error for every problem with a submission, and a progress line.

Every answer is graded again, not taken from the file: a typed answer with the
exercise's ``check`` (nothing is evaluated), a code answer in a confined child
process (:func:`coursecode.exercises.run_student_source`: time, memory and output
limits, an empty working directory, none of the grader's state). Bad input never
stops the grading (:mod:`coursecode.grade.collect`), and nothing in SUBMISSIONS is
changed. matplotlib is imported only for ``--figure``.

Modules: ``collect`` (reading), ``engine`` (grading), ``reports`` (writing), ``cli``.
"""
from .cli import main
from .collect import Submission, collect
from .engine import Result, grade_submissions

__all__ = ["main", "collect", "Submission", "grade_submissions", "Result"]
