"""Chapter 13's explorer: the loss of each token-frequency bucket under gradient descent and Adam.

Each setting draws the chapter's data set (:func:`coursecode.learning.imbalance.zipf_pairs`,
128 tokens, seed 0) at the chosen Zipf exponent and trains the bigram model for 300 full-batch
steps with gradient descent (left) and Adam or sign descent (right). The data set and the right
panel's run depend only on the exponent (a stop of its slider) and the menu: each is made once,
so that a move of any control costs at most one gradient-descent run and a redraw (the runs of the
right panel at every stop are made when the explorer is built).
"""
from __future__ import annotations

import numpy as np

from .. import plots
from ..learning.imbalance import OPTIMIZERS, Bigram, train, zipf_pairs
from .controls import dropdown, log_slider, slider
from .explorer import Explorer

IMBALANCE_STEPS = 300
#: the steps at which the explorer records the buckets (about 40, log-spaced)
IMBALANCE_RECORD = np.unique(np.concatenate([[0], np.geomspace(1, IMBALANCE_STEPS, 40).astype(int)]))
#: the learning rates the chapter tuned (Zipf exponent 1); the right panel's optimizer uses them
IMBALANCE_LR = {"Adam": 1.0, "sign descent": 10 ** -1.5}


class ImbalanceExplorer(Explorer):
    """Chapter 13: gradient descent (left) against Adam or sign descent (right) on the bigram model.

    Controls: ``exponent`` (the Zipf exponent s of the next tokens, 0 to 1.5), ``lr`` (gradient
    descent's learning rate, 10 to 3000) and ``other`` (the right panel's optimizer, at the
    learning rate the chapter tuned). Each panel shows the training loss of the four frequency
    buckets (most frequent tokens first) against the step, and dotted, the floor of each.
    """

    name = "imbalance"
    title = "The loss of each token-frequency bucket"
    figsize = (10.0, 3.6)

    def __init__(self, **values):
        # the data sets by exponent, the right panel's runs by (exponent, optimizer), GD's by (exponent, lr)
        self._models, self._other_runs, self._gd_runs = {}, {}, {}
        super().__init__(**values)

    def _make_controls(self):
        return {
            "exponent": slider("Zipf exponent s", 1.0, 0.0, 1.5, 0.25),
            "lr": log_slider("GD learning rate", 10 ** 2.5, 10.0, 3000.0, step=0.25),
            "other": dropdown("right panel", ["Adam", "sign descent"], "Adam"),
        }

    def _build_figure(self):
        self.axes = self.figure.subplots(1, 2, sharey=True)
        self.lines, self.floors = [], []
        labels = ["most frequent", "2nd", "3rd", "rarest"]
        for ax in self.axes:
            row, frow = [], []
            for b, label in enumerate(labels):
                sty = plots.series_style(b)
                (ln,) = ax.plot([], [], color=sty["color"], linestyle=sty["linestyle"], linewidth=1.6,
                                label=f"{label} tokens")
                (fl,) = ax.plot([], [], color=sty["color"], linestyle=(0, (1, 4)), linewidth=1.0, alpha=0.7)
                row.append(self._animate(ln))
                frow.append(self._animate(fl))
            self.lines.append(row)
            self.floors.append(frow)
            ax.set_xscale("log")
            ax.set_xlim(1, IMBALANCE_STEPS)
            ax.set_ylim(0.5, 5.5)
            ax.set_xlabel("step $t$")
        self.axes[0].set_ylabel("training loss of the bucket")
        self.axes[0].legend(loc="lower left", fontsize=7)
        self.axes[0].set_title("gradient descent")
        # the final loss of each panel: a short moving text (the titles are static, one scene per optimizer)
        self.finals = [self._animate(ax.text(1.0, 1.015, "", transform=ax.transAxes, ha="right", va="bottom",
                                             fontsize=8)) for ax in self.axes]

    def _scene_key(self, v):
        return v["other"]

    def _scene_keys(self):
        return list(IMBALANCE_LR)

    def _apply_scene(self, key):
        self.axes[1].set_title(key)

    def _react(self, changed):
        # the exponent takes the slider's stops (0, 0.25, ..., 1.5), as the slider in a notebook does:
        # the data set and the right panel's run depend on nothing else and are made once per stop
        c = self.controls["exponent"]
        c.value = min(max(round(c.value / c.step) * c.step, c.min), c.max)

    def _prewarm(self):
        # every stop of the exponent slider, with either optimizer: made once when the explorer is built
        # (about half a second), so that no later move waits for more than one gradient-descent run
        super()._prewarm()
        c = self.controls["exponent"]
        for k in range(round((c.max - c.min) / c.step) + 1):
            for other in IMBALANCE_LR:
                self._other_run(round(c.min + k * c.step, 12), other)

    def _model(self, exponent):
        if exponent not in self._models:
            self._models[exponent] = Bigram(zipf_pairs(exponent=exponent))
        return self._models[exponent]

    def _other_run(self, exponent, other):
        key = (exponent, other)
        if key not in self._other_runs:       # independent of the GD learning rate: made once
            self._other_runs[key] = train(OPTIMIZERS[other](IMBALANCE_LR[other]), self._model(exponent),
                                          IMBALANCE_STEPS, record=IMBALANCE_RECORD)
        return self._other_runs[key]

    def _compute(self, v):
        exponent = round(float(v["exponent"]), 12)
        model = self._model(exponent)
        key = (exponent, round(float(v["lr"]), 12))
        if key not in self._gd_runs:          # independent of the menu: switching it reruns nothing
            if len(self._gd_runs) >= self.cache_size:
                self._gd_runs.pop(next(iter(self._gd_runs)))
            self._gd_runs[key] = train(OPTIMIZERS["GD"](float(v["lr"])), model, IMBALANCE_STEPS,
                                       record=IMBALANCE_RECORD)
        runs = [self._gd_runs[key], self._other_run(exponent, v["other"])]
        return model, runs

    def _draw(self, v, result):
        model, runs = result
        steps = IMBALANCE_RECORD[1:]
        gaps = []
        diverged = False
        for p, run in enumerate(runs):
            for b in range(model.n_buckets):
                self.lines[p][b].set_data(steps, np.clip(run.buckets[1:, b], 0.0, 50.0))
                self.floors[p][b].set_data([1, IMBALANCE_STEPS], [model.floor_buckets[b]] * 2)
            self.finals[p].set_text(f"loss {run.loss[-1]:.3g} at step {IMBALANCE_STEPS}")
            gaps.append(run.buckets[-1] - model.floor_buckets)
            diverged |= not np.isfinite(run.loss[-1]) or run.loss[-1] > run.loss[0]
        fmt = lambda g: ", ".join(f"{round(float(x), 3) + 0.0:.3f}" for x in g)  # noqa: E731  (never -0.000)
        msg = (f"Zipf exponent {v['exponent']:g}: after {IMBALANCE_STEPS} steps each bucket's loss minus its "
               f"floor is {fmt(gaps[0])} (gradient descent, most frequent bucket first) and {fmt(gaps[1])} "
               f"({v['other']}).")
        if min(float(np.min(g)) for g in gaps) < -5e-4:   # the floor is the whole model's optimum, not each bucket's
            msg += " A bucket can end a little below its own floor while the total loss is above the total floor."
        if diverged:
            msg = "Gradient descent diverged at this learning rate: its loss ended above where it started. " + msg
        return msg, bool(diverged)

    def alt_text(self):
        return (f"{self.title}. Two panels, training loss against the step on a logarithmic axis, one line per "
                "frequency bucket of the next token and a dotted line at each bucket's floor: gradient descent "
                f"on the left, {self.values['other']} on the right, with the final loss of each above it "
                f"({self.finals[0].get_text()}; {self.finals[1].get_text()}). {self.message}")


def imbalance_explorer(**values):
    """Chapter 13's explorer: see :class:`ImbalanceExplorer`."""
    return ImbalanceExplorer(**values)
