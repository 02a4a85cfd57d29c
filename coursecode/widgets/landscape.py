"""Chapter 1's explorer: one of the lecture's optimizers on one of its landscapes."""
from __future__ import annotations

import numpy as np

from .. import plots
from ..optimizers import LECTURE
from ..problems import PROBLEMS
from ..run import run
from .controls import dropdown, log_slider, slider
from .explorer import LandscapeBase, clip_log, problem_info, run_summary


# the optimizer menu: documented as coursecode.widgets.OPTIMIZERS
OPTIMIZERS = {
    "gd": "GD", "momentum": "momentum (β=0.9)", "adagrad": "AdaGrad", "rmsprop": "RMSProp (ρ=0.99)",
    "adam": "Adam (0.9, 0.999)", "adam_l2": "Adam + L2 (λ=0.01)", "adamw": "AdamW (λ=0.01)",
    "amsgrad": "AMSGrad",
}


class LandscapeExplorer(LandscapeBase):
    """Chapter 1: one optimizer on one of the lecture's landscapes.

    Controls: ``problem`` (bowl, ravine, rotated ravine, Rosenbrock, saddle, plateau,
    cliff), ``optimizer`` (the lecture's, with their default hyperparameters),
    ``lr`` (log scale, 1e-4 to 10), and the start point ``x0``, ``y0`` (the sliders
    span the problem's window; choosing a problem moves them to its default start).
    """

    name = "landscape"
    title = "Optimizers on the loss landscape"
    problems = tuple(PROBLEMS)

    def _make_controls(self):
        start = PROBLEMS["ravine"][2]
        return {
            "problem": dropdown("problem", [(v[0], k) for k, v in PROBLEMS.items()], "ravine"),
            "optimizer": dropdown("optimizer", [(v, k) for k, v in OPTIMIZERS.items()], "gd"),
            "lr": log_slider("learning rate γ", 0.1, 1e-4, 10.0),
            "x0": slider("start θ1", start[0], -1.2, 1.2, 0.01),
            "y0": slider("start θ2", start[1], -1.2, 1.2, 0.01),
        }

    def _build_figure(self):
        self._build_axes(2, [1.15, 1])
        sty = plots.series_style(0)
        (self.path,) = self.ax_map.plot([], [], color=sty["color"], linestyle="-", marker=sty["marker"],
                                        markersize=3, linewidth=1.4, label="run")
        (self.start,) = self.ax_map.plot([], [], marker="o", markersize=9, markerfacecolor="white",
                                         markeredgecolor="k", linestyle="none", label="start")
        (self.loss,) = self.ax_loss.plot([], [], color=sty["color"], linewidth=1.6)
        for a in (self.path, self.start, self.loss):
            self._animate(a)
        self.ax_loss.set_title("loss gap (log scale)")

    def _choices_set(self, changed):
        if "problem" in changed:  # the start sliders span the new window, at its default start
            name = self.controls["problem"].value
            (x_lo, x_hi), (y_lo, y_hi) = problem_info(name)["problem"].window
            sx, sy = PROBLEMS[name][2]
            self._set_range("x0", x_lo, x_hi, sx)
            self._set_range("y0", y_lo, y_hi, sy)

    def _compute(self, v):
        info = problem_info(v["problem"])
        opt = LECTURE[v["optimizer"]](lr=v["lr"])
        return run(opt, info["problem"], [v["x0"], v["y0"]], info["steps"])

    def _draw(self, v, traj):
        info = problem_info(v["problem"])
        pts = traj.thetas
        self.path.set_data(pts[:, 0], pts[:, 1])
        self.start.set_data([pts[0, 0]], [pts[0, 1]])
        gap = clip_log(traj.losses - info["f_star"], *info["ylim"])
        self.loss.set_data(np.arange(len(gap)), gap)
        label = f"{OPTIMIZERS[v['optimizer']]} with lr = {v['lr']:.3g}"
        text, diverged = run_summary(traj, 0, info["f_star"], info["problem"], traj.steps, label)
        if diverged:
            text += f" ({traj.reasons[0]}); try a smaller learning rate"
        p = info["problem"]
        if v["optimizer"] == "gd" and hasattr(p, "eigenvalues") and p.eigenvalues[0] > 0:
            text += f". GD on this quadratic is stable only for lr < 2/λmax = {2 / p.eigenvalues[-1]:.3g}"
        self.note.set_text("diverged" if diverged else f"after {traj.steps} steps")
        return text + ".", diverged

    def alt_text(self):
        v = self.values
        info = problem_info(v["problem"])
        traj = self._cached(v)
        label = f"{OPTIMIZERS[v['optimizer']]} with lr = {v['lr']:.3g}"
        return (plots.alt_text(info["problem"], {label: traj}) + " Right: the loss gap f − f* on a "
                f"log scale against the step. {self.message}")


def landscape(**values):
    """Chapter 1's explorer: see :class:`LandscapeExplorer`."""
    return LandscapeExplorer(**values)

