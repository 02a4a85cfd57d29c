"""Chapter 8's explorer: Adam with L2 (coupled) against AdamW (decoupled weight decay)."""
from __future__ import annotations

import numpy as np

from .. import plots
from ..optimizers import adam_l2, adamw, stacked
from ..problems import quadratic
from ..run import run
from .adam import gain
from .controls import log_slider, slider
from .explorer import LandscapeBase, clip_log


class AdamWExplorer(LandscapeBase):
    """Chapter 8: Adam with L2 (coupled) against AdamW (decoupled weight decay).

    f(theta) = (100 (theta1 - 1)^2 + (theta2 - 1)^2) / 2: theta1 sees gradients 100 times
    larger than theta2. Controls: ``lr`` (log scale) and ``weight_decay`` (lambda).
    Adam+L2 converges to the minimizer of f + lambda/2 ||theta||^2 (a diamond), where
    the high-gradient theta1 is hardly shrunk; AdamW shrinks both coordinates alike.
    The right panel shows the factor that multiplies lambda theta in each step,
    relative to AdamW's gamma lambda: Adam+L2's per-coordinate gain 1/(sqrt(v_hat) + eps)
    (read from the state its run recorded), 1 for AdamW.
    """

    name = "adamw"
    title = "Adam + L2 against AdamW"
    figsize = (9.0, 3.8)
    steps = 120
    h = np.array([100.0, 1.0])
    center = np.array([1.0, 1.0])

    def _make_controls(self):
        return {
            "lr": log_slider("learning rate γ", 0.05, 1e-3, 1.0),
            "weight_decay": slider("weight decay λ", 0.5, 0.0, 5.0, 0.01),
        }

    def _build_figure(self):
        self.problem = quadratic(self.h, center=self.center, name="f = (100(θ1−1)² + (θ2−1)²)/2",
                                 window=((-0.15, 1.25), (-0.15, 1.25)))
        self._build_axes(2, [1, 1.1])
        self.ax_decay = self.ax_loss
        self._contour_scene("adamw", problem=self.problem)
        self.ax_map.set_title("high-gradient θ1, low-gradient θ2")
        self._series_artists(["Adam + L2", "AdamW"], curves=False, markevery=10)
        (self.l2_opt,) = self.ax_map.plot([], [], marker="D", markersize=8, color="#E69F00",
                                          markeredgecolor="k", linestyle="none",
                                          label="minimizer of f + λ/2‖θ‖²")
        self._animate(self.l2_opt)
        self.ax_map.legend(loc="lower right", fontsize=7)
        ax = self.ax_decay
        ax.set_ylabel("decay factor ÷ (γλ)")
        ax.set_ylim(1e-3, 1e3)
        ax.set_xlim(0, self.steps)
        ax.set_title("how strongly λθ acts, per coordinate")
        self.decays = []
        for i, label in enumerate(["Adam + L2, θ1 (high gradient)", "Adam + L2, θ2 (low gradient)"]):
            sty = plots.series_style(i + 2)
            (d,) = ax.plot([], [], color=sty["color"], linestyle=sty["linestyle"], linewidth=1.6,
                           label=label)
            self.decays.append(self._animate(d))
        ax.axhline(1.0, color=plots.PALETTE[1], linestyle=plots.LINESTYLES[1], linewidth=1.6,
                   label="AdamW, both coordinates")
        ax.legend(loc="lower right", fontsize=7)

    def _compute(self, v):
        opt = stacked([adam_l2(lr=v["lr"], weight_decay=v["weight_decay"]),
                        adamw(lr=v["lr"], weight_decay=v["weight_decay"])])
        traj = run(opt, self.problem, np.zeros((2, 2)), self.steps, record_state=True)
        # Adam+L2 preconditions g + lambda theta: its gain is how strongly lambda theta acts
        return traj, gain(opt.optimizers[0], traj.states[0])[:, 0]   # Adam+L2's block has one row

    def _draw(self, v, result):
        traj, decay = result
        lam = v["weight_decay"]
        for i in range(2):
            self.lines[i].set_data(traj.thetas[:, i, 0], traj.thetas[:, i, 1])
        sol = self.h * self.center / (self.h + lam)
        self.l2_opt.set_data([sol[0]], [sol[1]])
        steps = np.arange(1, len(decay) + 1)
        for i in range(2):
            self.decays[i].set_data(steps, clip_log(decay[:, i], 1e-3, 1e3))
        diverged = bool(np.any(np.ravel(traj.diverged_at) >= 0))
        parts = []
        for row, label in ((0, "Adam + L2"), (1, "AdamW")):
            d = int(np.ravel(traj.diverged_at)[row])
            if d >= 0:
                parts.append(f"{label} diverged at step {d} ({traj.reasons[0]})")
                continue
            end = traj.thetas[-1, row]
            shrink = 100 * (1 - end / self.center)
            parts.append(f"{label} ends at ({end[0]:.3f}, {end[1]:.3f}), shrunk by {shrink[0]:.0f}% and "
                         f"{shrink[1]:.0f}%")
        if lam == 0:
            parts.append("with λ = 0 both are plain Adam")
        elif diverged and v["lr"] * lam > 2:
            parts.append(f"γλ = {v['lr'] * lam:.3g} > 2, so AdamW's factor 1 − γλ flips and grows θ")
        self.note.set_text("diverged" if diverged else f"λ = {lam:.3g}")
        msg = (f"{'; '.join(parts)}. The minimizer of f + λ/2‖θ‖² is ({sol[0]:.3f}, {sol[1]:.3f}), "
               "where Adam + L2 goes: the high-gradient θ1 is hardly regularized.")
        return msg, diverged

    def alt_text(self):
        traj, _ = self._cached(self.values)
        runs = {"Adam + L2": traj.thetas[:, 0], "AdamW": traj.thetas[:, 1]}
        return (plots.alt_text(self.problem, runs, self.title) + " Right: the decay factor per coordinate "
                f"on a log scale. {self.message}")


def adamw_explorer(**values):
    """Chapter 8's explorer: see :class:`AdamWExplorer`."""
    return AdamWExplorer(**values)

