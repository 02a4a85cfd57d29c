"""Chapter 5's explorer: Adam against GD on a landscape, and Adam's per-coordinate gain."""
from __future__ import annotations

import numpy as np

from .. import plots
from ..optimizers import adam, gd, stacked
from ..problems import PROBLEMS
from ..run import run
from .controls import dropdown, log_slider, slider
from .explorer import LandscapeBase, clip_log, problem_info, run_summary


def gain(opt, state):
    """Adam's per-coordinate gain 1/(sqrt(v_hat_t) + eps) after each step of a recorded run.

    ``state`` is the state that ``run(..., record_state=True)`` recorded for the Adam
    optimizer ``opt`` (an ``AdamState`` whose fields are stacked over the steps);
    beta2 and eps are ``opt``'s. Adam's step is the learning rate times this gain
    times m_hat_t, where GD's is the learning rate times the gradient: GD's gain is 1.
    """
    # 1 - beta2**t in Python floats, as Adam's step computes it: numpy's vectorised
    # power may round the last bit differently on some CPUs
    bias = np.array([1 - opt.beta2 ** int(t) for t in state.t])
    v_hat = state.v / bias.reshape((-1,) + (1,) * (state.v.ndim - 1))
    with np.errstate(all="ignore"):  # a diverged run's v is infinite or NaN: drawn, not raised
        return 1.0 / (np.sqrt(v_hat) + opt.eps)


ADAM_PROBLEMS = ["ravine", "rotated_ravine", "rosenbrock", "saddle", "plateau", "cliff", "bowl"]


class AdamExplorer(LandscapeBase):
    """Chapter 5: Adam against GD (same learning rate) on a chosen landscape.

    Controls: ``problem``, ``lr`` (log scale), ``beta1``, ``beta2``, ``eps`` (log
    scale). The third panel shows Adam's per-coordinate gain 1/(sqrt(v_hat) + eps),
    read from the state the run recorded; GD's gain is 1.
    """

    name = "adam"
    title = "Adam against gradient descent"
    figsize = (11.0, 3.6)
    steps = 100
    problems = ADAM_PROBLEMS

    def _make_controls(self):
        return {
            "problem": dropdown("problem", [(PROBLEMS[k][0], k) for k in ADAM_PROBLEMS], "ravine"),
            "lr": log_slider("learning rate γ", 0.05, 1e-4, 10.0),
            "beta1": slider("β1", 0.9, 0.0, 0.999, 0.001),
            "beta2": slider("β2", 0.999, 0.0, 0.9999, 0.0001),
            "eps": log_slider("ε", 1e-8, 1e-12, 1.0, 0.1),
        }

    def _build_figure(self):
        self._build_axes(3, [1.05, 1, 1])
        self.ax_gain = self.figure.axes[2]
        self._series_artists(["Adam", "GD"])
        (self.start,) = self.ax_map.plot([], [], marker="o", markersize=9, markerfacecolor="white",
                                         markeredgecolor="k", linestyle="none")
        self._animate(self.start)
        self.ax_loss.legend(loc="lower left", fontsize=8)
        self.ax_loss.set_title("loss gap (log scale)")
        self.gains = []
        for i, label in enumerate([r"$\theta_1$", r"$\theta_2$"]):
            sty = plots.series_style(i + 2)
            (g,) = self.ax_gain.plot([], [], color=sty["color"], linestyle=sty["linestyle"],
                                     linewidth=1.6, label=label)
            self.gains.append(self._animate(g))
        self.ax_gain.axhline(1.0, color="0.4", linewidth=1, linestyle=":", label="GD (gain 1)")
        self.ax_gain.set_yscale("log")
        self.ax_gain.set_ylim(1e-3, 1e4)
        self.ax_gain.set_xlim(0, self.steps)
        self.ax_gain.set_xlabel("step $t$")
        self.ax_gain.set_ylabel(r"$1/(\sqrt{\hat v_t}+\epsilon)$")
        self.ax_gain.set_title("Adam's per-coordinate gain")
        self.ax_gain.legend(loc="upper left", fontsize=8)

    def _compute(self, v):
        info = problem_info(v["problem"])
        opt = stacked([adam(lr=v["lr"], beta1=v["beta1"], beta2=v["beta2"], eps=v["eps"]),
                        gd(lr=v["lr"])])
        theta0 = np.tile(info["start"], (2, 1)).astype(float)
        traj = run(opt, info["problem"], theta0, self.steps, record_state=True)
        return traj, gain(opt.optimizers[0], traj.states[0])[:, 0]   # Adam's block has one row

    def _draw(self, v, result):
        traj, adam_gain = result
        info = problem_info(v["problem"])
        for i in range(2):
            self.lines[i].set_data(traj.thetas[:, i, 0], traj.thetas[:, i, 1])
            gap = clip_log(traj.losses[:, i] - info["f_star"], *info["ylim"])
            self.curves[i].set_data(np.arange(len(gap)), gap)
        self.start.set_data([info["start"][0]], [info["start"][1]])
        steps = np.arange(1, len(adam_gain) + 1)
        for i in range(2):
            self.gains[i].set_data(steps, clip_log(adam_gain[:, i], 1e-3, 1e4))
        p = info["problem"]
        parts, diverged = [], False
        for row, label in ((0, f"Adam (γ = {v['lr']:.3g})"), (1, "GD (same γ)")):
            text, bad = run_summary(traj, row, info["f_star"], p, traj.steps, label)
            parts.append(text)
            diverged |= bad
        last = adam_gain[np.all(np.isfinite(adam_gain), axis=1)]
        if len(last):
            parts.append(f"Adam's final per-coordinate gain 1/(√v̂+ε): θ1 {last[-1, 0]:.3g}, "
                         f"θ2 {last[-1, 1]:.3g}")
        bad = [name for row, name in ((0, "Adam"), (1, "GD")) if np.ravel(traj.diverged_at)[row] >= 0]
        self.note.set_text(" and ".join(bad) + " diverged" if bad else f"{traj.steps} steps")
        return ". ".join(parts) + ".", diverged


def adam_explorer(**values):
    """Chapter 5's explorer: see :class:`AdamExplorer`."""
    return AdamExplorer(**values)

