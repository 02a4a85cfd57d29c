"""Chapter 7's explorer: Adam and AMSGrad on Reddi et al.'s counterexample, over a pre-computed grid."""
from __future__ import annotations

import functools
import math

import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.patches import Rectangle

from .. import plots
from ..online import reddi_cycle
from ..optimizers import adam, amsgrad, stacked
from ..run import run
from .controls import slider
from .explorer import Explorer


AMSGRAD_GRID = {"C": np.round(np.arange(2.5, 10.01, 0.5), 2), "beta1": np.round(np.arange(0, 0.91, 0.1), 2),
                "beta2": np.round(np.arange(0, 0.981, 0.02), 2)}
AMSGRAD_STEPS = 300
AMSGRAD_ALPHA = 0.5


@functools.cache
def amsgrad_grid():
    """Adam and AMSGrad on every (C, beta1, beta2) of the grid, computed once per process.

    lr_t = 0.5/sqrt(t) (Reddi et al.'s schedule), eps = 1e-8, x_0 = 0, T = 300, on
    :func:`coursecode.reddi_cycle`: one run per C (each C is its own online problem),
    batched over (beta1, beta2) and stacking the two optimizers. Returns x_t
    (2, T+1, nC, nb1, nb2) and the average regret R_t / t (2, T, nC, nb1, nb2) as
    float32, Adam first.
    """
    B1, B2 = np.meshgrid(AMSGRAD_GRID["beta1"], AMSGRAD_GRID["beta2"], indexing="ij")
    col = lambda a: a.reshape(-1, 1)  # noqa: E731
    schedule = lambda t: AMSGRAD_ALPHA / np.sqrt(t)  # noqa: E731
    opt = stacked([adam(lr=schedule, beta1=col(B1), beta2=col(B2), eps=1e-8),
                   amsgrad(lr=schedule, beta1=col(B1), beta2=col(B2), eps=1e-8)])
    t = np.arange(1, AMSGRAD_STEPS + 1)[:, None, None]
    x, avg = [], []
    for C in AMSGRAD_GRID["C"]:
        traj = run(opt, reddi_cycle(float(C)), np.zeros((2, B1.size, 1)), AMSGRAD_STEPS, record_grads=False)
        x.append(traj.thetas[..., 0])                  # (T+1, 2, nb1 * nb2)
        avg.append(traj.regret() / t)                  # (T, 2, nb1 * nb2)
    shape = (len(AMSGRAD_GRID["C"]),) + B1.shape
    return (np.moveaxis(np.stack(x, axis=2), 1, 0).reshape((2, AMSGRAD_STEPS + 1) + shape).astype(np.float32),
            np.moveaxis(np.stack(avg, axis=2), 1, 0).reshape((2, AMSGRAD_STEPS) + shape).astype(np.float32))


def _nearest(grid, value):
    return int(np.argmin(np.abs(grid - value)))


class AMSGradExplorer(Explorer):
    """Chapter 7: Adam and AMSGrad on the online problem f_t(x) = C x, -x, -x, ... on [-1, 1].

    Controls: ``C`` (2.5 to 10), ``beta1`` (0 to 0.9) and ``beta2`` (0 to 0.98), on
    the grid of a pre-computed batch (:func:`amsgrad_grid`, made on first use).
    The learning rate is 0.5/sqrt(t). Left: x_t (the optimum is x = -1); middle:
    the average regret R_T/T on log-log axes; right: Adam's final R_T/T over
    (beta2, C) for the current beta1, with the region where beta1 < sqrt(beta2)
    (the condition of Reddi et al.'s Theorem 2) left of the dashed line unshaded.
    """

    name = "amsgrad"
    title = "Adam and AMSGrad on the C, −1, −1 counterexample"
    figsize = (11.0, 3.6)

    def _make_controls(self):
        return {
            "C": slider("C", 3.0, 2.5, 10.0, 0.5),
            "beta1": slider("β1", 0.0, 0.0, 0.9, 0.1),
            "beta2": slider("β2", 0.1, 0.0, 0.98, 0.02),
        }

    def _build_figure(self):
        self.x, self.avg = amsgrad_grid()
        ax_x, ax_r, ax_h = self.figure.subplots(1, 3, gridspec_kw={"width_ratios": [1, 1, 1.1]})
        self.ax_h = ax_h
        T = AMSGRAD_STEPS
        self.paths, self.regrets = [], []
        for i, label in enumerate(["Adam", "AMSGrad"]):
            sty = plots.series_style(i)
            (p,) = ax_x.plot([], [], color=sty["color"], linestyle=sty["linestyle"], linewidth=1.4,
                             label=label)
            (r,) = ax_r.plot([], [], color=sty["color"], linestyle=sty["linestyle"], linewidth=1.6,
                             label=label)
            self.paths.append(self._animate(p))
            self.regrets.append(self._animate(r))
        ax_x.axhline(-1.0, color="k", linewidth=1, linestyle=":", label="optimum x* = −1")
        ax_x.set_xlim(0, T)
        ax_x.set_ylim(-1.1, 1.1)
        ax_x.set_xlabel("step $t$")
        ax_x.set_ylabel("$x_t$")
        ax_x.set_title("iterates on [−1, 1]")
        ax_x.legend(loc="center right", fontsize=8)
        ax_r.set_xscale("log")
        ax_r.set_yscale("log")
        ax_r.set_xlim(1, T)
        ax_r.set_ylim(1e-2, 20)
        ax_r.set_xlabel("$T$")
        ax_r.set_ylabel("$R_T / T$")
        ax_r.set_title("average regret (log-log)")
        ax_r.legend(loc="lower left", fontsize=8)
        b2, C = AMSGRAD_GRID["beta2"], AMSGRAD_GRID["C"]
        extent = (b2[0] - 0.01, b2[-1] + 0.01, C[0] - 0.25, C[-1] + 0.25)
        self.heat = ax_h.imshow(self.avg[0, -1, :, 0, :], origin="lower", aspect="auto", extent=extent,
                                norm=LogNorm(1e-2, 10), cmap="viridis", interpolation="nearest")
        self._animate(self.heat)
        self.figure.colorbar(self.heat, ax=ax_h, label="Adam's $R_T/T$ at $T$ = 300")
        self.fails = self._animate(ax_h.add_patch(Rectangle(
            (extent[0], 0), 0, 1, transform=ax_h.get_xaxis_transform(), facecolor="white", alpha=0.6,
            hatch="//", edgecolor="0.3", linewidth=0)))
        self.edge = self._animate(ax_h.axvline(0, color="k", linestyle="--", linewidth=1.2))
        (self.here,) = ax_h.plot([], [], marker="o", markersize=8, markerfacecolor="none",
                                 markeredgecolor="#D55E00", markeredgewidth=2, linestyle="none")
        self._animate(self.here)
        ax_h.set_xlim(extent[0], extent[1])
        ax_h.set_ylim(extent[2], extent[3])
        ax_h.set_xlabel("β2")
        ax_h.set_ylabel("C")
        ax_h.set_title("Adam's regret; hatched: β1 ≥ √β2")

    def _compute(self, v):
        return (_nearest(AMSGRAD_GRID["C"], v["C"]), _nearest(AMSGRAD_GRID["beta1"], v["beta1"]),
                _nearest(AMSGRAD_GRID["beta2"], v["beta2"]))

    def _draw(self, v, idx):
        i, j, k = idx
        T = AMSGRAD_STEPS
        for o in range(2):
            self.paths[o].set_data(np.arange(T + 1), self.x[o, :, i, j, k])
            self.regrets[o].set_data(np.arange(1, T + 1), np.clip(self.avg[o, :, i, j, k], 1e-3, None))
        self.heat.set_data(self.avg[0, -1, :, j, :])
        b1 = float(AMSGRAD_GRID["beta1"][j])
        edge = b1 ** 2  # beta1 < sqrt(beta2)  <=>  beta2 > beta1^2
        self.edge.set_xdata([edge, edge])
        self.fails.set_width(max(edge - self.fails.get_x(), 0.0))
        self.here.set_data([AMSGRAD_GRID["beta2"][k]], [AMSGRAD_GRID["C"][i]])
        C, b2 = float(AMSGRAD_GRID["C"][i]), float(AMSGRAD_GRID["beta2"][k])
        holds = b1 < math.sqrt(b2)
        cond = (f"β1 = {b1:.2g} < √β2 = {math.sqrt(b2):.3g}: the condition of Reddi et al.'s Theorem 2 "
                "holds (some convex problem makes Adam's average regret stay away from 0)"
                if holds else f"β1 = {b1:.2g} ≥ √β2 = {math.sqrt(b2):.3g}: Theorem 2's condition fails")
        xa, xm = float(self.x[0, -1, i, j, k]), float(self.x[1, -1, i, j, k])
        ra, rm = float(self.avg[0, -1, i, j, k]), float(self.avg[1, -1, i, j, k])
        wrong = " (the wrong end)" if xa > 0 else ""
        shown = ""
        if any(abs(float(v[n]) - float(AMSGRAD_GRID[n][q])) > 1e-9 for n, q in (("C", i), ("beta1", j),
                                                                                  ("beta2", k))):
            shown = f" Shown at the nearest grid point C = {C:g}, β1 = {b1:g}, β2 = {b2:g}."
        msg = (f"C = {C:g}, β2 = {b2:g}. {cond}. After T = {T} steps Adam is at x = {xa:+.2f}{wrong} with "
               f"R_T/T = {ra:.3g}; AMSGrad is at x = {xm:+.2f} with R_T/T = {rm:.3g}.{shown}")
        return msg, False

    def alt_text(self):
        return (f"{self.title}. Left: x_t against t for Adam and AMSGrad, with the optimum x = −1 dotted. "
                "Middle: average regret R_T/T on log-log axes. Right: a heat map of Adam's R_T/T over "
                f"β2 (horizontal) and C (vertical), with a circle at the current setting. {self.message}")


def amsgrad_explorer(**values):
    """Chapter 7's explorer: see :class:`AMSGradExplorer`."""
    return AMSGradExplorer(**values)

