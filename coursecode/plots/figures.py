"""The book's figure style and the figures themselves: contours, runs, curves, histograms.

Every series differs by colour (Okabe & Ito's palette) *and* by line style and
marker, so figures read in grey scale and for colour-blind readers. Figures have
an opaque white background, which keeps them readable in the theme's dark mode.
"""
from __future__ import annotations

import itertools

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import LogNorm

# Okabe & Ito's palette (2008): documented as coursecode.plots.PALETTE
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]
LINESTYLES = ["-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1)), (0, (1, 1)), (0, (8, 2))]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]

STYLE = {
    "figure.figsize": (6.4, 4.2),
    "figure.dpi": 80,
    "savefig.dpi": 80,
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "savefig.facecolor": "white",
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": mpl.cycler(color=PALETTE),
    "font.size": 10,
    "axes.titlesize": 11,
    "legend.fontsize": 9,
    "legend.framealpha": 0.9,
    "image.cmap": "viridis",
    "animation.embed_limit": 8.0,
}


def use_style():
    """Apply the book's style to matplotlib (chapters call it once)."""
    mpl.rcParams.update(STYLE)


def series_style(i):
    """Colour, line style and marker of the i-th series: all three differ."""
    return {"color": PALETTE[i % len(PALETTE)], "linestyle": LINESTYLES[i % len(LINESTYLES)],
            "marker": MARKERS[i % len(MARKERS)]}


def cycle(iterable):
    """Pair each item with its series style (for hand-made figures)."""
    return zip(iterable, (series_style(i) for i in itertools.count()))


def _axes(ax, **subplot_kw):
    if ax is None:
        _, ax = plt.subplots(**subplot_kw)
    return ax


def contour(problem, ax=None, levels=25, window=None, n=200, log=None):
    """Filled contours of a 2-D problem with its minimizer marked.

    ``log=True`` spaces the levels geometrically (the default when the values span
    more than three decades, as on Rosenbrock).
    """
    ax = _axes(ax)
    X, Y, Z = problem.grid(n, window)
    Zs = Z - np.nanmin(Z)
    if log is None:
        positive = Zs[Zs > 0]
        log = positive.size and positive.max() / np.percentile(positive, 5) > 1e3
    if log:
        lo = max(np.percentile(Zs[Zs > 0], 1), 1e-12)
        lv = np.geomspace(lo, Zs.max(), levels)
        ax.contourf(X, Y, Zs + lo * 1e-3, levels=lv, norm=LogNorm(), alpha=0.55)
        ax.contour(X, Y, Zs + lo * 1e-3, levels=lv, norm=LogNorm(), colors="k", linewidths=0.3, alpha=0.5)
    else:
        ax.contourf(X, Y, Zs, levels=levels, alpha=0.55)
        ax.contour(X, Y, Zs, levels=levels, colors="k", linewidths=0.3, alpha=0.5)
    if getattr(problem, "minimizer", None) is not None:
        ax.plot(*problem.minimizer[:2], marker="*", color="k", markersize=14, linestyle="none",
                label="minimizer", zorder=5)
    (x0, x1), (y0, y1) = window or problem.window
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel(r"$\theta_1$ ($x$)")
    ax.set_ylabel(r"$\theta_2$ ($y$)")
    ax.set_aspect("equal", adjustable="box")
    return ax


def trajectories(problem, runs, ax=None, title=None, window=None, every=1, legend=True):
    """Contours of ``problem`` with several runs drawn on it.

    Parameters
    ----------
    runs : dict label -> Trajectory (or an array of points of shape (n, 2))
    every : int
        Draw a marker every ``every`` points (long runs stay legible).
    """
    ax = contour(problem, ax=ax, window=window)
    for i, (label, traj) in enumerate(runs.items()):
        pts = np.asarray(getattr(traj, "thetas", traj))
        sty = series_style(i)
        msg = ""
        if getattr(traj, "diverged", False):
            msg = f" (diverged at step {int(np.max(traj.diverged_at))})"
        ax.plot(pts[:, 0], pts[:, 1], color=sty["color"], linestyle=sty["linestyle"], linewidth=1.6,
                marker=sty["marker"], markevery=every, markersize=4, label=label + msg)
    if len(runs):
        start = np.asarray(getattr(next(iter(runs.values())), "thetas", next(iter(runs.values()))))[0]
        ax.plot(*start[:2], marker="o", markersize=9, markerfacecolor="white", markeredgecolor="k",
                linestyle="none", label="start", zorder=6)
    if title:
        ax.set_title(title)
    if legend:
        ax.legend(loc="best")
    return ax


def curves(series, ax=None, xlabel="step $t$", ylabel="loss", title=None, logy=True, logx=False,
           every=None):
    """Several 1-D series (label -> values) on shared axes, log scale by default."""
    ax = _axes(ax)
    for i, (label, y) in enumerate(series.items()):
        y = np.asarray(y, dtype=float)
        x = np.arange(len(y))
        sty = series_style(i)
        ax.plot(x, y, label=label, color=sty["color"], linestyle=sty["linestyle"], marker=sty["marker"],
                markevery=every or max(1, len(y) // 10), markersize=4, linewidth=1.6)
    if logy:
        ax.set_yscale("log")
    if logx:
        ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.legend(loc="best")
    return ax


def loss_curves(runs, ax=None, title=None, gap_to=None):
    """f(theta_t) (minus ``gap_to``, e.g. the minimum) for each Trajectory, log y-axis."""
    series = {}
    for label, traj in runs.items():
        y = np.asarray(traj.losses, dtype=float)
        series[label] = y - gap_to if gap_to is not None else y
    ylabel = r"$f(\theta_t) - f^\star$" if gap_to is not None else r"$f(\theta_t)$"
    return curves(series, ax=ax, ylabel=ylabel, title=title)


def regret_curves(runs, ax=None, title=None):
    """Average regret R_T / T for online runs (label -> Trajectory), log-log axes."""
    series = {}
    for label, traj in runs.items():
        R = traj.regret()
        series[label] = R / np.arange(1, len(R) + 1)
    ax = curves(series, ax=ax, xlabel="$T$", ylabel="$R_T / T$", title=title, logy=True, logx=True)
    return ax


def step_sizes(steps, ax=None, title=None, labels=None):
    """Per-coordinate effective step sizes over time: ``steps`` has shape (n, d)."""
    steps = np.asarray(steps)
    labels = labels or [rf"$\theta_{{{i + 1}}}$" for i in range(steps.shape[1])]
    return curves({lab: steps[:, i] for i, lab in enumerate(labels)}, ax=ax,
                  ylabel="effective step size", title=title)


def histogram(values, ax=None, bins=40, xlabel="value", title=None, labels=None):
    """One or several histograms (a list of arrays) with distinct hatches."""
    ax = _axes(ax)
    values = values if isinstance(values, (list, tuple)) else [values]
    hatches = ["", "//", "..", "xx"]
    for i, v in enumerate(values):
        ax.hist(np.ravel(v), bins=bins, alpha=0.6, color=PALETTE[i % len(PALETTE)],
                hatch=hatches[i % len(hatches)], edgecolor="k", linewidth=0.3,
                label=None if labels is None else labels[i])
    ax.set_xlabel(xlabel)
    ax.set_ylabel("count")
    if title:
        ax.set_title(title)
    if labels:
        ax.legend(loc="best")
    return ax
