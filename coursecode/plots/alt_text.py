"""Alt text drafted from the data: what a figure shows, in sentences.

Alt text is set where the figure is shown (myst-nb cell metadata), since it
describes what the figure shows in that chapter; :func:`alt_text` and
:func:`curves_alt_text` write a first draft of it from the data.
"""
from __future__ import annotations

import numpy as np


def _fmt(x, digits=3):
    """A number for a sentence: 3 significant digits, no numpy repr."""
    x = float(x)
    if not np.isfinite(x):
        return "infinite" if np.isinf(x) else "undefined"
    return f"{x:.{digits}g}"


def _point(p):
    return "(" + ", ".join(_fmt(v) for v in np.ravel(p)[:2]) + ")"


def alt_text(problem, runs, title=None):
    """A descriptive alt text for a :func:`trajectories` figure of ``runs`` on ``problem``.

    Says what the axes and colours show, where the minimizer and the start are, and
    for each run where it ended (or at which step it diverged) and its final loss.
    Chapters paste it into the cell's alt text or pass it to :func:`image_html`.

    Parameters
    ----------
    problem : a 2-D problem from :mod:`coursecode.problems`
    runs : dict label -> Trajectory (or an array of points of shape (n, 2))
    title : str, optional
        What the figure is about, put first.

    Examples
    --------
    >>> import coursecode as cc
    >>> from coursecode import plots
    >>> text = plots.alt_text(cc.ravine(), {"GD": cc.run(cc.gd(0.1), cc.ravine(), [1.0, 1.0], 50)})
    >>> text.startswith("Contour plot of the ravine")
    True
    """
    (x0, x1), (y0, y1) = problem.window
    name = getattr(problem, "name", "the problem")
    parts = [f"{title}." if title else "",
             f"Contour plot of the {name} loss over θ1 from {_fmt(x0)} to {_fmt(x1)} (horizontal) "
             f"and θ2 from {_fmt(y0)} to {_fmt(y1)} (vertical); darker colours are lower loss."]
    minimizer = getattr(problem, "minimizer", None)
    f_star = None
    if minimizer is not None:
        parts.append(f"A star marks the minimizer at {_point(minimizer)}.")
        try:
            f_star = float(problem.value(np.asarray(minimizer, dtype=float)))
        except Exception:  # a problem without a value function still gets a description
            f_star = None
    if runs:
        first = next(iter(runs.values()))
        start = np.asarray(getattr(first, "thetas", first))[0]
        parts.append(f"{len(runs)} run{'s' if len(runs) > 1 else ''} start at {_point(start)} "
                     "(open circle):")
        items = []
        for label, traj in runs.items():
            pts = np.asarray(getattr(traj, "thetas", traj), dtype=float)
            diverged_at = np.asarray(getattr(traj, "diverged_at", -1))
            if diverged_at.size == 1 and int(diverged_at) >= 0:
                items.append(f"{label} diverges at step {int(diverged_at)}, leaving the plot")
                continue
            finite = pts[np.all(np.isfinite(pts), axis=-1)]
            end = finite[-1] if len(finite) else pts[0]
            text = f"{label} ends at {_point(end)} after {len(pts) - 1} steps"
            if f_star is not None and hasattr(problem, "value"):
                gap = float(problem.value(end)) - f_star
                text += f" with f − f* = {_fmt(gap, 2)}"
            items.append(text)
        parts.append("; ".join(items) + ".")
    return " ".join(p for p in parts if p)


def curves_alt_text(series, what="loss", xlabel="step", log=True):
    """A descriptive alt text for a :func:`curves` figure: per series, first and last value.

    >>> from coursecode import plots
    >>> plots.curves_alt_text({"GD": [1.0, 0.5, 0.25]})
    'Line plot of loss against step on a logarithmic vertical axis. GD falls from 1 to 0.25 over 2 steps.'
    """
    scale = "a logarithmic" if log else "a linear"
    items = []
    for label, y in series.items():
        y = np.asarray(y, dtype=float)
        finite = np.flatnonzero(np.isfinite(y))
        if finite.size == 0:
            items.append(f"{label} has no finite values")
            continue
        a, b = y[finite[0]], y[finite[-1]]
        trend = "falls" if b < a else "rises" if b > a else "stays"
        text = f"{label} {trend} from {_fmt(a)} to {_fmt(b)} over {len(y) - 1} {xlabel}s"
        if finite[-1] < len(y) - 1:
            text += f" (undefined after {xlabel} {int(finite[-1])})"
        items.append(text)
    return (f"Line plot of {what} against {xlabel} on {scale} vertical axis. "
            + "; ".join(items) + ".")

