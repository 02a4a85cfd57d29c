"""What grading writes: the gradebook CSV, one feedback page per student, the class summary and its figure.

The CSV (UTF-8, comma-separated, one header row) has a row per student and the
columns ``student``, one per exercise id (``1`` right, ``0`` wrong, empty when not
answered), ``total`` (the number right), ``possible`` (the number of exercise
columns), ``percent`` and ``notes`` (what was wrong with the submission itself).
Moodle's gradebook imports it as it is (Grades > Import > CSV file: identify users
by mapping ``student`` to their username, map ``total`` or ``percent``, or each
exercise, to a grade item, and ``notes`` to that item's feedback).

matplotlib is imported only by :func:`write_figure`.
"""
from __future__ import annotations

import csv
import html
import re
from pathlib import Path

GREEN, ORANGE, GREY = "#009E73", "#D55E00", "#BBBBBB"


def totals(results, ids):
    """(total right, possible) for one student's results."""
    return sum(1 for key in ids if results[key].correct), len(ids)


def changed(results, ids):
    """Exercise ids whose verdict now differs from the verdict in the notebook."""
    return [k for k in ids if results[k].then is not None and results[k].correct is not None
            and results[k].then != results[k].correct]


def csv_notes(sub, results, ids):
    notes = list(sub.notes) + list(sub.private)
    moved = changed(results, ids)
    if moved:
        notes.append("graded differently than when checked in the notebook: " + ", ".join(moved))
    return " | ".join(" ".join(n.split()) for n in notes)


def write_csv(path, subs, results, ids):
    """The gradebook: see the module's docstring for the columns."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["student", *ids, "total", "possible", "percent", "notes"])
        for sub in subs:
            mine = results[sub.student]
            cells = ["" if mine[k].correct is None else int(mine[k].correct) for k in ids]
            total, possible = totals(mine, ids)
            percent = f"{100 * total / possible:.1f}" if possible else ""
            out.writerow([sub.student, *cells, total, possible, percent, csv_notes(sub, mine, ids)])


def file_name(student, taken):
    """A safe, unique file name for a student's page."""
    base = re.sub(r"[^A-Za-z0-9._@-]+", "_", student).strip("._") or "student"
    name, i = base, 2
    while name.lower() in taken:
        name, i = f"{base}-{i}", i + 1
    taken.add(name.lower())
    return f"{name}.html"


STYLE = ("body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}"
         "table{border-collapse:collapse;width:100%}th,td{border:1px solid #bbb;padding:.4rem;vertical-align:top;"
         "text-align:left}pre{white-space:pre-wrap;margin:0;font-size:.85rem}.ok{color:#00704f}.no{color:#a23b00}"
         ".na{color:#555}caption{text-align:left;font-weight:bold;margin:.5rem 0}")


def _verdict(result):
    if result.correct is None:
        return '<span class="na">not answered</span>'
    return ('<span class="ok">\u2714 right</span>' if result.correct
            else '<span class="no">\u2718 not right</span>')


def page(sub, results, exercises, graded_with):
    """One student's feedback page (self-contained HTML)."""
    ids = list(exercises)
    total, possible = totals(results, ids)
    e = html.escape
    rows = []
    for key in ids:
        r = results[key]
        answer = f"<pre><code>{e(r.answer)}</code></pre>" if r.answer else ""
        extra = ""
        if r.then is not None and r.correct is not None and r.then != r.correct:
            extra += (f"<p><em>When you checked it in the notebook it was marked "
                      f"{'right' if r.then else 'not right'}; graded again it is "
                      f"{'right' if r.correct else 'not right'}.</em></p>")
        if r.printed:
            extra += (f"<details><summary>What your code printed (the start)</summary><pre>{e(r.printed)}</pre>"
                      "</details>")
        rows.append(f'<tr><th scope="row">{e(key)}<br><small>{e(exercises[key].title)}</small></th>'
                    f"<td>{answer}</td><td>{_verdict(r)}</td><td>{e(r.message)}{extra}</td></tr>")
    notes = "".join(f"<li>{e(n)}</li>" for n in sub.notes)
    notes = f"<h2>About your submission</h2><ul>{notes}</ul>" if notes else ""
    files = ", ".join(e(f) for f in sub.files) or "none"
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" '
            f'content="width=device-width, initial-scale=1"><title>Feedback for {e(sub.student)}</title>'
            f"<style>{STYLE}</style></head><body><main><h1>Feedback for {e(sub.student)}</h1>"
            f"<p><strong>{total} of {possible}</strong> exercises right. Files read: {files}. "
            f"Graded with {e(graded_with)}.</p>{notes}"
            f"<table><caption>Each exercise: your answer, the result and the feedback</caption><thead><tr>"
            f'<th scope="col">Exercise</th><th scope="col">Your answer</th><th scope="col">Result</th>'
            f'<th scope="col">Feedback</th></tr></thead><tbody>{"".join(rows)}</tbody></table></main></body></html>\n')


def write_pages(folder, subs, results, exercises, graded_with):
    """One page per student in ``folder``; returns {student: file name}."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    taken, names = set(), {}
    for sub in subs:
        names[sub.student] = file_name(sub.student, taken)
        (folder / names[sub.student]).write_text(page(sub, results[sub.student], exercises, graded_with),
                                                 encoding="utf-8")
    return names


def summary(subs, results, ids):
    """Per exercise: (id, right, answered, students)."""
    n = len(subs)
    return [(k, sum(1 for s in subs if results[s.student][k].correct),
             sum(1 for s in subs if results[s.student][k].correct is not None), n) for k in ids]


def summary_lines(rows):
    width = max([len(k) for k, *_ in rows] + [8])
    lines = [f"{'exercise':{width}s}  right  answered  share right"]
    for key, right, answered, n in rows:
        share = f"{100 * right / n:5.1f} %" if n else "    -"
        lines.append(f"{key:{width}s}  {right:5d}  {answered:8d}  {share}")
    return lines


def alt_text(rows):
    if not rows or not rows[0][3]:
        return "No students were graded."
    n = rows[0][3]
    ordered = sorted(rows, key=lambda r: (r[1], r[0]))
    hard = ", ".join(f"{k} ({100 * r / n:.0f} % right)" for k, r, _, _ in ordered[:3])
    return (f"Horizontal bars, one per exercise ({len(rows)}), each split into the share of the {n} students "
            f"who answered it right, answered it but not right, and did not answer it. The hardest: {hard}.")


def write_figure(path, rows):
    """The class summary as a figure (the file type from the suffix: png, svg, pdf). Imports matplotlib."""
    from matplotlib.figure import Figure

    n = rows[0][3] if rows else 0
    fig = Figure(figsize=(7.5, 1.2 + 0.32 * max(len(rows), 1)), layout="constrained")
    ax = fig.add_subplot()
    labels = [k for k, *_ in rows]
    y = list(range(len(rows)))[::-1]
    right = [r / n if n else 0 for _, r, _, _ in rows]
    wrong = [(a - r) / n if n else 0 for _, r, a, _ in rows]
    missing = [1 - a - b for a, b in zip(right, wrong)]
    ax.barh(y, right, color=GREEN, label="right")
    ax.barh(y, wrong, left=right, color=ORANGE, hatch="//", edgecolor="white", label="answered, not right")
    ax.barh(y, missing, left=[a + b for a, b in zip(right, wrong)], color=GREY, label="not answered")
    for yi, share in zip(y, right):
        ax.text(0.01, yi, f"{100 * share:.0f} %", va="center", ha="left", fontsize=8, color="white"
                if share > 0.08 else "black")
    ax.set_yticks(y, labels, fontsize=8)
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.set_xlim(0, 1)
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1], ["0 %", "25 %", "50 %", "75 %", "100 %"])
    ax.set_xlabel(f"share of the class ({n} students)")
    ax.set_ylabel("exercise")
    ax.set_title("Which exercises the class found hard", pad=22)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, fontsize=8, frameon=False)
    meta = {"Description": alt_text(rows)} if str(path).lower().endswith(".png") else None
    fig.savefig(path, dpi=120, metadata=meta)
    return alt_text(rows)


