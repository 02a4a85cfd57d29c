"""Chapter 2's explorer: momentum on the ravine, against GD, over the predicted-rate map.

The optimal pair and the rate of any pair are Polyak's closed forms from
:mod:`coursecode.theory`.
"""
from __future__ import annotations

import math

import ipywidgets as W
import matplotlib as mpl
import numpy as np
from matplotlib.colors import Normalize

from ..optimizers import momentum
from ..problems import ravine
from ..run import run
from ..theory import momentum_optimum, momentum_rate
from .controls import log_slider, slider
from .explorer import LandscapeBase, clip_log, problem_info, run_summary


class MomentumExplorer(LandscapeBase):
    """Chapter 2: momentum on the ravine x² + 5y² (eigenvalues mu = 2, L = 10).

    Controls: ``lr`` (log scale), ``beta``, and ``snap``, a checkbox that sets the
    optimal pair (moving lr or beta afterwards clears it; a front end's echo of the
    pair rounded to the sliders' steps does not: see ``_at_optimum``).

    ``form="ema"`` (default) is the lecture's and :func:`coursecode.momentum`'s form,
    v <- beta v + (1 - beta) g, theta <- theta - lr v; it equals the heavy ball
    theta <- theta - alpha g + beta (theta - theta_prev) with alpha = lr (1 - beta), so
    the optimal lr is alpha*/(1 - beta*) = 0.224 on the ravine. ``form="heavy_ball"``
    uses the slider as alpha itself (optimal 0.191). The figure compares against GD at
    its best learning rate 2/(mu + L) and maps the predicted rate over (beta, lr).
    """

    name = "momentum"
    title = "Momentum on the ravine"
    figsize = (11.0, 3.6)

    def __init__(self, form="ema", **values):
        if form not in ("ema", "heavy_ball"):
            raise ValueError(f"Invalid form: {form!r} (must be 'ema' or 'heavy_ball')")
        self.form = form
        self.problem = ravine()
        self.mu, self.L = (float(x) for x in self.problem.eigenvalues[[0, -1]])
        alpha, self.beta_opt, self.rate_opt = momentum_optimum(self.mu, self.L)
        self.lr_opt = alpha / (1 - self.beta_opt) if form == "ema" else alpha
        self.lr_gd = 2.0 / (self.mu + self.L)
        super().__init__(**values)

    def _alpha(self, lr, beta):
        return lr * (1 - beta) if self.form == "ema" else lr

    def _make_controls(self):
        return {
            "lr": log_slider("learning rate γ", 1.0, 1e-3, 10.0),
            "beta": slider("momentum β", 0.9, 0.0, 0.999, 0.001),
            "snap": W.Checkbox(value=False, description="snap to the optimal (γ*, β*)", indent=False),
        }

    def _build_figure(self):
        self._build_axes(3, [1.05, 1, 1.1])
        self.ax_rate = self.figure.axes[2]
        self._contour_scene("ravine", steps=80, ylim=problem_info("ravine")["ylim"])
        self.ax_map.set_title("ravine x²+5y²")
        self._series_artists(["momentum", "GD, best lr 2/(μ+L)"])
        self.ax_loss.legend(loc="lower left", fontsize=8)
        self.ax_loss.set_title("loss gap (log scale)")
        # the phase diagram: predicted rate over (beta, lr), drawn once
        betas = np.linspace(0, 0.999, 160)
        lrs = np.geomspace(1e-3, 10.0, 160)
        B, LR = np.meshgrid(betas, lrs)
        rate = momentum_rate(self._alpha(LR, B), B, [self.mu, self.L])
        shown = np.ma.masked_where(rate >= 1, rate)
        cmap = mpl.colormaps["viridis"].with_extremes(bad="#e6e6e6")
        mesh = self.ax_rate.pcolormesh(B, LR, shown, cmap=cmap, norm=Normalize(0.3, 1.0), shading="auto")
        self.ax_rate.set_yscale("log")
        self.ax_rate.set_xlabel("momentum β")
        self.ax_rate.set_ylabel("learning rate γ")
        self.ax_rate.set_title("predicted rate per step (grey: diverges)")
        self.figure.colorbar(mesh, ax=self.ax_rate, label="rate (lower is faster)")
        self.ax_rate.plot([self.beta_opt], [self.lr_opt], marker="*", color="w", markeredgecolor="k",
                          markersize=13, linestyle="none")
        (self.here,) = self.ax_rate.plot([], [], marker="o", markersize=8, markerfacecolor="none",
                                         markeredgecolor="#D55E00", markeredgewidth=2, linestyle="none")
        self._animate(self.here)

    def _at_optimum(self):
        """Whether both sliders are within half a step of the optimal pair.

        A live front end shows a slider on its step grid and sends the rounded value
        back (0.146 for beta* = 0.1459..., 10**-0.65 for lr* = 0.2236...): that echo is
        still the optimum, not a move away from it. A log slider's step is in log10.
        """
        lr, beta = self.controls["lr"], self.controls["beta"]
        if not (lr.value > 0 and beta.step and lr.step):
            return False
        tol = 0.5 + 1e-6  # half a step, and a little for the round trip through JSON
        return (abs(math.log10(lr.value) - math.log10(self.lr_opt)) <= tol * lr.step
                and abs(beta.value - self.beta_opt) <= tol * beta.step)

    @property
    def values(self):
        """The controls' values; while ``snap`` is on and the sliders show the optimum
        (to their step), ``lr`` and ``beta`` are the exact optimal pair."""
        v = super().values
        if v["snap"] and self._at_optimum():
            v["lr"], v["beta"] = self.lr_opt, self.beta_opt
        return v

    def _react(self, changed):
        snap = self.controls["snap"]
        if "snap" in changed and snap.value:
            self.controls["lr"].value = self.lr_opt
            self.controls["beta"].value = self.beta_opt
        elif snap.value and changed & {"lr", "beta"} and not self._at_optimum():
            snap.value = False

    def _compute(self, v):
        lr = np.array([[v["lr"]], [self.lr_gd]])
        beta = np.array([[v["beta"]], [0.0]])
        theta0 = np.tile([-1.0, 0.8], (2, 1))
        return run(momentum(lr=lr, beta=beta, form=self.form), self.problem, theta0, 80)

    def _draw(self, v, traj):
        ylim = problem_info("ravine")["ylim"]
        for i in range(2):
            self.lines[i].set_data(traj.thetas[:, i, 0], traj.thetas[:, i, 1])
            gap = clip_log(traj.losses[:, i], *ylim)
            self.curves[i].set_data(np.arange(len(gap)), gap)
        self.here.set_data([v["beta"]], [v["lr"]])
        alpha = self._alpha(v["lr"], v["beta"])
        rate = float(momentum_rate(alpha, v["beta"], [self.mu, self.L]))
        text, diverged = run_summary(traj, 0, 0.0, self.problem, traj.steps,
                                      f"Momentum (γ = {v['lr']:.3g}, β = {v['beta']:.3g})")
        form = ("EMA form v ← βv + (1−β)g, θ ← θ − γv: heavy-ball step α = γ(1−β) = "
                f"{alpha:.3g}" if self.form == "ema" else "heavy-ball form θ ← θ − γg + β(θ − θprev)")
        verdict = "diverges" if rate >= 1 else f"predicted rate {rate:.3f} per step"
        self.note.set_text("momentum diverged" if diverged else f"rate {rate:.3f} (best {self.rate_opt:.3f})")
        msg = (f"{text}. {form}; {verdict}. Optimal: γ* = {self.lr_opt:.3f}, β* = {self.beta_opt:.3f} "
               f"(rate {self.rate_opt:.3f}); GD at its best lr 2/(μ+L) = {self.lr_gd:.3f} has rate "
               f"{(self.L - self.mu) / (self.L + self.mu):.3f}.")
        return msg, diverged


def momentum_explorer(form="ema", **values):
    """Chapter 2's explorer: see :class:`MomentumExplorer`."""
    return MomentumExplorer(form=form, **values)

