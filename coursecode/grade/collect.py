"""Reading SUBMISSIONS: one answers file per student, or one folder per student; every problem becomes a note.

Nothing here raises for what is in the folder: a file that is not UTF-8, not JSON
or not an answers file, an unknown exercise id, an answer in a form the grader
does not read, a submission from another coursecode version, two submissions for
one student, an empty folder, a notebook handed in instead of its answers file:
each gives one line in the student's ``notes`` (and in the log), and the other
students are read. Files are opened for reading only; symbolic links are not
followed.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..exercises.answers import short
from ..exercises.record import SCHEMA, SCHEMA_VERSION

MAX_BYTES = 20 << 20       # a larger file is not read
TYPES = {"text", "bytes", "number", "bool", "none", "settings", "code", "missing", "other"}


@dataclass
class Submission:
    """One student: ``answers`` (exercise id -> entry, as :mod:`coursecode.exercises.record` writes)."""

    student: str
    files: list = field(default_factory=list)       # paths relative to SUBMISSIONS
    answers: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)       # shown to the student too
    private: list = field(default_factory=list)     # for the instructor only (the CSV and the log)
    chapters: set = field(default_factory=set)
    digests: list = field(default_factory=list)


def _quote(text, n=40):
    """Text from a file, quoted for a note: one line, shortened, never read as a formula by a spreadsheet."""
    return repr(short(str(text), n))


def read_file(path, known, coursecode_version):
    """(answers, chapters, notes, digest) of one file; ``known`` is the set of exercise ids."""
    name = path.name
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            return {}, set(), [f"{name} is too large to be an answers file ({size / 2**20:.0f} MB): not read"], None
        raw = path.read_bytes()
    except OSError as exc:
        return {}, set(), [f"{name} could not be read ({type(exc).__name__}: {short(str(exc), 60)})"], None
    if not raw.strip():
        return {}, set(), [f"{name} is empty"], None
    digest = hashlib.sha256(raw).hexdigest()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return {}, set(), [f"{name} is not UTF-8 text (byte 0x{raw[exc.start]:02x} at position {exc.start}): "
                           "not read"], digest
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return {}, set(), [f"{name} is not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}): not read"], digest
    except (ValueError, RecursionError) as exc:
        return {}, set(), [f"{name} could not be read as JSON ({type(exc).__name__}): not read"], digest
    return (*_answers_of(name, data, known, coursecode_version), digest)


def _answers_of(name, data, known, coursecode_version):
    notes, chapters = [], set()
    if not isinstance(data, dict):
        return {}, chapters, [f"{name} is JSON but not an answers file (a {type(data).__name__}): not read"]
    if "nbformat" in data and "cells" in data:
        return {}, chapters, [f"{name} is a notebook, not the answers file that its last cell writes: not read"]
    if data.get("schema") == SCHEMA:
        version = data.get("schema_version")
        if not isinstance(version, int) or version > SCHEMA_VERSION:
            shown = version if isinstance(version, int) else _quote(version)
            notes.append(f"{name} has answers format version {shown}; this grader knows version "
                         f"{SCHEMA_VERSION} and reads it as such")
        theirs = data.get("coursecode_version")
        if theirs != coursecode_version:
            notes.append(f"{name} was written by coursecode {_quote(theirs, 20)}; graded with "
                         f"{coursecode_version}")
        if isinstance(data.get("chapter"), str) and re.fullmatch(r"[A-Za-z0-9_-]{1,40}", data["chapter"]):
            chapters.add(data["chapter"])
        raw = data.get("answers")
        if not isinstance(raw, dict):
            return {}, chapters, notes + [f"{name} has no \"answers\" object: nothing to grade"]
        plain = False
    else:
        raw, plain = data, True  # a hand-written {id: answer} file
        notes.append(f"{name} is a plain {{id: answer}} file (not written by exercises.export): read as typed "
                     "answers")
    answers, unknown = {}, []
    for key, entry in raw.items():
        if key not in known:
            unknown.append(key)
            continue
        if plain:
            entry = _plain_entry(entry)
        elif not isinstance(entry, dict):
            entry = {"type": "malformed", "answer": None, "why": f"a {type(entry).__name__} instead of an entry"}
        else:
            entry = dict(entry)
            if entry.get("type") not in TYPES:
                entry = {"type": "malformed", "answer": None,
                         "why": f"an answer of unknown type {_quote(entry.get('type'), 20)}"}
        entry["file"] = name
        answers[key] = entry
        chapters.add(key.split("-", 1)[0])
    if unknown:
        shown = ", ".join(_quote(k, 30) for k in unknown[:5]) + (", ..." if len(unknown) > 5 else "")
        notes.append(f"{name}: {len(unknown)} unknown exercise id{'s' if len(unknown) > 1 else ''} ignored ({shown})")
    return answers, chapters, notes


def _plain_entry(value):
    """An entry for an answer typed into a hand-written {id: answer} file."""
    if value is None:
        return {"type": "none", "answer": None}
    if isinstance(value, bool):
        return {"type": "bool", "answer": value}
    if isinstance(value, str):
        return {"type": "text", "answer": value}
    if isinstance(value, (int, float)):
        return {"type": "number", "answer": value}
    if isinstance(value, dict):
        if value.get("type") in TYPES:  # an entry as export writes it
            return dict(value)
        return {"type": "settings", "answer": value}
    return {"type": "other", "answer": short(value, 200), "python_type": type(value).__name__}


def _student_of(name, pattern):
    if pattern is None:
        return name, None
    match = re.search(pattern, name)
    if match is None:
        return name, f"the name {_quote(name)} does not match --student-pattern: kept whole"
    return (match.group(1) if match.groups() else match.group(0)), None


def _merge(sub, answers):
    for key, entry in answers.items():
        old = sub.answers.get(key)
        if old is None:
            sub.answers[key] = entry
            continue
        newer = str(entry.get("checked_utc", "")) >= str(old.get("checked_utc", ""))
        kept = entry if newer else old
        sub.notes.append(f"{key} is answered in {old['file']} and in {entry['file']}: the later check "
                         f"({kept['file']}) is graded")
        sub.answers[key] = kept


def collect(root, known, coursecode_version, student_pattern=None):
    """Every student's :class:`Submission` in folder ``root`` (sorted by student), and log lines for the rest."""
    root = Path(root)
    subs, log = {}, []

    def submission(name):
        student, why = _student_of(name, student_pattern)
        sub = subs.setdefault(student, Submission(student))
        if why:
            sub.notes.append(why)
        return sub

    for entry in sorted(root.iterdir(), key=lambda p: p.name):
        name = entry.name
        if name.startswith(".") or name == "__MACOSX":
            log.append(f"skipped {name} (a hidden file or folder)")
            continue
        if entry.is_symlink():
            log.append(f"skipped {name} (a symbolic link: not followed)")
            continue
        if entry.is_dir():
            sub = submission(name)
            if sub.files:
                sub.notes.append(f"two submissions for {sub.student}: {', '.join(sub.files)} and {name}/ "
                                 "(both read)")
            files = sorted(p for p in entry.rglob("*") if p.is_file() and not p.is_symlink()
                           and not any(part.startswith(".") for part in p.relative_to(entry).parts))
            answers_files = [p for p in files if p.suffix.lower() == ".json"]
            for p in files:
                if p.suffix.lower() == ".ipynb":
                    sub.notes.append(f"{p.name} is a notebook: hand in the answers file its last cell writes")
                elif p.suffix.lower() != ".json":
                    sub.notes.append(f"{name}/{p.relative_to(entry)} ignored (not a .json file)")
            if not answers_files:
                sub.notes.append(f"no answers file in {name}/ (an empty folder, or no .json file in it)")
            for p in answers_files:
                _read_into(sub, p, f"{name}/{p.relative_to(entry)}", known, coursecode_version)
        elif not entry.is_file():
            log.append(f"skipped {name} (not a regular file)")
        elif entry.suffix.lower() == ".json":
            sub = submission(entry.stem)
            if sub.files:
                sub.notes.append(f"two submissions for {sub.student}: {', '.join(sub.files)} and {name} "
                                 "(both read)")
            _read_into(sub, entry, name, known, coursecode_version)
        elif entry.suffix.lower() == ".ipynb":
            sub = submission(entry.stem)
            sub.notes.append(f"{name} is a notebook: hand in the answers file its last cell writes")
        else:
            log.append(f"skipped {name} (not a .json file or a folder)")
    _same_files(subs)
    return [subs[k] for k in sorted(subs)], log


def _read_into(sub, path, shown, known, coursecode_version):
    answers, chapters, notes, digest = read_file(path, known, coursecode_version)
    sub.files.append(shown)
    sub.notes.extend(n.replace(path.name, shown, 1) if n.startswith(path.name) else n for n in notes)
    sub.chapters |= chapters
    for entry in answers.values():
        entry["file"] = shown
    _merge(sub, answers)
    if digest:
        sub.digests.append((digest, shown))


def _same_files(subs):
    """A note when two students handed in byte-identical files (an export records its time to the second)."""
    owners = {}
    for sub in subs.values():
        for digest, shown in sub.digests:
            owners.setdefault(digest, []).append((sub.student, shown))
    for group in owners.values():
        students = sorted({s for s, _ in group})
        if len(students) > 1:
            for student, shown in group:
                others = [s for s in students if s != student]
                named = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
                subs[student].private.append(f"{shown} is byte-identical to a file of {named}")
