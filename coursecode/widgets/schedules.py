"""Chapter 11's explorer: a learning-rate schedule, and what it does to Adam on a noisy quadratic.

Left, the schedule gamma_t over 1,000 steps; right, the noise-free loss of Adam with that
schedule (mean of a few seeded runs), next to Schedule-Free AdamW with the same peak
learning rate and warm-up, which has no horizon. Both runs go on past the horizon, so
one sees what a schedule planned for T steps does when training stops early or goes on.
"""
from __future__ import annotations

import numpy as np

from .. import plots
from ..learning import schedule_runs
from ..optimizers import adam, schedule_free_adamw
from .. import schedules
from .controls import dropdown, log_slider, slider
from .explorer import Explorer, clip_log

STEPS = 1000          # every run's length: the longest horizon the slider offers
# (a redraw makes STEPS sequential steps of both optimizers, about 30 us each: 1,000 fit the
# book's 50 ms redraw budget, the 2,000 of the chapter's sweeps took 65 ms)
SEEDS = 8             # noisy runs averaged in the loss panel
NOISE_SEED = 11       # the same gradient noise for every setting (so curves differ by the setting only)
SHAPES = [("constant", "constant"), ("step (x0.1 every T/3)", "step"), ("cosine", "cosine"),
          ("warmup-stable-decay", "wsd")]
_STEP_NUMBERS = np.arange(1.0, STEPS + 1.0)


def schedule_of(shape, lr, horizon, warmup):
    """The schedule the explorer draws: ``shape`` with peak ``lr``, horizon and linear warm-up (steps)."""
    base = schedule_runs.SCHEDULE_MAKERS[shape](lr, float(horizon))
    return schedules.warmup(base, steps=warmup) if warmup > 0 else base


def schedule_values(shape, lr, horizon, warmup):
    """gamma_1 .. gamma_STEPS of :func:`schedule_of`, from one call of the schedule on every step at once."""
    sched = schedule_of(shape, lr, horizon, warmup)
    return np.broadcast_to(np.asarray(sched(_STEP_NUMBERS), dtype=float), (STEPS,)).copy()


def mean_losses(adam_opt, free_opt=None):
    """Noise-free losses, t = 0 .. STEPS, each the mean of ``SEEDS`` noisy runs on the noisy quadratic.

    One loop runs ``adam_opt`` (rows 0 .. SEEDS-1 of the batch) and, when given,
    ``free_opt``, a Schedule-Free AdamW (rows SEEDS .. 2 SEEDS-1, scored at its average
    ``x``). The gradient noise comes from one generator seeded with ``NOISE_SEED`` and
    drawn for the whole batch at every step, so each half of it sees the same noise
    whether or not the other half is stepped: a run computed alone equals the same
    run computed together with the other. Returns ``(adam_losses, free_losses or None)``;
    the loss is evaluated once, on every recorded point.
    """
    f = schedule_runs.noisy_quadratic(seed=NOISE_SEED)
    theta = np.broadcast_to(schedule_runs.start(), (2 * SEEDS, schedule_runs.start().size)).copy()
    a, y = theta[:SEEDS], theta[SEEDS:]
    s_a = adam_opt.init(a)
    s_f = free_opt.init(y) if free_opt is not None else None
    adam_points, free_points = [a], [y]
    with np.errstate(all="ignore"):
        for _ in range(STEPS):
            g = f.grad(np.concatenate([a, y]))         # y stays at the start when free_opt is None
            a, s_a = adam_opt.step(a, g[:SEEDS], s_a)
            adam_points.append(a)
            if free_opt is not None:
                y, s_f = free_opt.step(y, g[SEEDS:], s_f)
                free_points.append(s_f.x)
        adam_losses = f.value(np.stack(adam_points)).mean(axis=1)
        free_losses = f.value(np.stack(free_points)).mean(axis=1) if free_opt is not None else None
    return adam_losses, free_losses


class ScheduleExplorer(Explorer):
    """Chapter 11: a schedule's shape, peak, horizon and warm-up, and Adam's loss under it.

    Controls: ``shape`` (constant, step, cosine, wsd), ``lr`` (the peak, log scale),
    ``horizon`` (125 to 1000 steps) and ``warmup`` (0 to 250 steps). Every run lasts
    1,000 steps; the loss panel shows Adam with the schedule and Schedule-Free AdamW
    with the same peak and warm-up, each the mean of 8 seeded runs on
    :func:`coursecode.learning.schedule_runs.noisy_quadratic`.
    """

    name = "schedules"
    title = "A learning-rate schedule and Adam on a noisy quadratic"
    figsize = (10.5, 3.5)

    def _make_controls(self):
        return {
            "shape": dropdown("schedule", SHAPES, "cosine"),
            "lr": log_slider("peak learning rate γ", 0.1, 1e-3, 1.0),
            "horizon": slider("horizon T", 500, STEPS // 8, STEPS, STEPS // 8),
            "warmup": slider("warm-up W", 0, 0, STEPS // 4, STEPS // 40),
        }

    def _build_figure(self):
        self._adam, self._free = {}, {}
        self.ax_lr, self.ax_loss = self.figure.subplots(1, 2)
        t = np.arange(1, STEPS + 1)
        self.ax_lr.set_xlim(0, STEPS)
        self.ax_lr.set_ylim(0, 1.05)
        self.ax_lr.set_xlabel("step $t$")
        self.ax_lr.set_ylabel(r"$\gamma_t / \gamma$")
        self.ax_lr.set_title("the schedule")
        self.ax_loss.set_xlim(0, STEPS)
        self.ax_loss.set_yscale("log")
        self.ax_loss.set_ylim(1e-3, 300.0)
        self.ax_loss.set_xlabel("step $t$")
        self.ax_loss.set_ylabel(r"$f(\theta_t)$, mean of 8 runs")
        self.ax_loss.set_title("noisy quadratic")
        self._t = t
        (self.lr_line,) = self.ax_lr.plot([], [], color=plots.series_style(0)["color"], linewidth=1.8)
        self._animate(self.lr_line)
        self.curves = []
        for i, label in enumerate(["Adam with the schedule", "Schedule-Free AdamW (x)"]):
            sty = plots.series_style(i)
            (cv,) = self.ax_loss.plot([], [], color=sty["color"], linestyle=sty["linestyle"], linewidth=1.6,
                                      label=label)
            self.curves.append(self._animate(cv))
        self.marks = [self._animate(ax.axvline(0, color="0.4", linestyle=":", linewidth=1))
                      for ax in (self.ax_lr, self.ax_loss)]
        self.ax_loss.legend(loc="upper right", fontsize=8)

    def _compute(self, v):
        lr, T, W = float(v["lr"]), int(round(v["horizon"])), int(round(v["warmup"]))
        gamma = schedule_values(v["shape"], lr, T, W)
        # Adam's curve depends on its learning rates only (the constant schedule: not on T);
        # Schedule-Free AdamW's on the peak and the warm-up only: each is cached on what it depends on
        adam_key, free_key = gamma.tobytes(), (round(lr, 12), W)
        adam_loss, free_loss = self._adam.get(adam_key), self._free.get(free_key)
        if adam_loss is None or free_loss is None:
            table = gamma.tolist()                   # Adam reads gamma_t from the schedule's values
            new_adam, new_free = mean_losses(
                adam(lr=lambda t: table[t - 1]),
                schedule_free_adamw(lr=lr, warmup_steps=W) if free_loss is None else None)
            adam_loss = _remember(self._adam, adam_key, new_adam)
            if free_loss is None:
                free_loss = _remember(self._free, free_key, new_free)
        return gamma / lr, np.stack([adam_loss, free_loss], axis=1), T

    def _draw(self, v, result):
        gamma, losses, T = result
        self.lr_line.set_data(self._t, gamma)
        steps = np.arange(STEPS + 1)
        for i in range(2):
            self.curves[i].set_data(steps, clip_log(losses[:, i], 1e-3, 300.0))
        for m in self.marks:
            m.set_xdata([T, T])
        bad = not np.all(np.isfinite(losses))
        label = dict((value, text) for text, value in SHAPES)[v["shape"]]
        message = (f"{label} with peak γ = {v['lr']:.3g}, horizon {T}, warm-up {int(round(v['warmup']))}: "
                   f"Adam's loss {losses[T, 0]:.3g} at step T and {losses[-1, 0]:.3g} at step {STEPS}; "
                   f"Schedule-Free AdamW (same peak and warm-up, no horizon) {losses[T, 1]:.3g} and "
                   f"{losses[-1, 1]:.3g}")
        return message, bad


def _remember(cache, key, value, size=256):
    """Store ``value`` under ``key`` in the dict ``cache``, dropping the oldest entry beyond ``size``."""
    if len(cache) >= size:
        cache.pop(next(iter(cache)))
    cache[key] = value
    return value


def schedule_explorer(**values):
    """Chapter 11's explorer: see :class:`ScheduleExplorer`."""
    return ScheduleExplorer(**values)
