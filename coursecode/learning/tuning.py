r"""Comparing optimizers as Wilson et al. (2017) did: tune on validation data, then test with fresh seeds.

The protocol of chapter 10, in three steps that each run many networks in one
batched call of :func:`~coursecode.learning.train`:

1. :func:`sweep` trains every optimizer at every learning rate of a logarithmic
   grid (AdamW also at every weight decay of its grid), from a few seeds, and
   records the validation error and loss at the end (and the test error, which is
   never used to choose).
2. :func:`tune` picks, for each optimizer, the setting with the lowest mean
   validation error (ties: the lower validation loss). When that learning rate is
   at an end of its grid, the grid is extended by one more point on that side and
   the choice made again, as Wilson et al. did, so that the best value lies inside.
3. :func:`final_runs` trains each chosen setting from seeds not used in tuning and
   records the training loss and the errors after every epoch.

:func:`compare` does all three and returns a :class:`Comparison`. Every run uses
the same schedule, :func:`linear_decay`: the learning rate falls linearly from its
tuned value to zero over the run.

References
----------
A. C. Wilson, R. Roelofs, M. Stern, N. Srebro, B. Recht (2017), The marginal value
of adaptive gradient methods in machine learning. NeurIPS.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import _checks
from ..optimizers import adam, adamw, amsgrad, gd, momentum, stacked
from .training import train

#: The optimizers compared, name -> factory ``(lr, weight_decay) -> optimizer`` (only AdamW uses the decay).
OPTIMIZERS = {
    "SGD": lambda lr, wd: gd(lr=lr),
    "Momentum": lambda lr, wd: momentum(lr=lr, beta=0.9),
    "Adam": lambda lr, wd: adam(lr=lr),
    "AMSGrad": lambda lr, wd: amsgrad(lr=lr),
    "AdamW": lambda lr, wd: adamw(lr=lr, weight_decay=wd),
}
#: The learning-rate grids: nine values a factor sqrt(10) apart, 10^-2.5 .. 10^1.5 for SGD and momentum,
#: 10^-4.5 .. 10^-0.5 for the adaptive methods (Adam's default 1e-3 in the lower middle).
GRIDS = {"SGD": 10.0 ** np.arange(-2.5, 1.6, 0.5), "Momentum": 10.0 ** np.arange(-2.5, 1.6, 0.5),
         "Adam": 10.0 ** np.arange(-4.5, -0.4, 0.5), "AMSGrad": 10.0 ** np.arange(-4.5, -0.4, 0.5),
         "AdamW": 10.0 ** np.arange(-4.5, -0.4, 0.5)}
#: AdamW's weight decays (PyTorch's lambda, multiplied by the learning rate at each step).
WEIGHT_DECAYS = (0.01, 0.1, 1.0)


def linear_decay(lr, steps):
    r"""The schedule :math:`\gamma_t = \gamma\,(1 - (t-1)/T)`: ``lr`` at step 1, ``lr / steps`` at step ``steps``.

    ``lr`` may be an array (a grid of runs); the schedule returns the same shape.

    >>> schedule = linear_decay(0.1, steps=4)
    >>> [round(float(schedule(t)), 4) for t in (1, 2, 3, 4)]
    [0.1, 0.075, 0.05, 0.025]
    """
    lr = _checks.nonnegative("lr", lr)
    steps = _checks.integer("steps", steps, minimum=1)

    def schedule(t):
        return lr * (1.0 - (t - 1) / steps)

    return schedule


def _optimizer(name, lr, weight_decay, steps):
    if name not in OPTIMIZERS:
        raise ValueError(f"Invalid optimizer: {name!r} (must be one of {', '.join(OPTIMIZERS)})")
    return OPTIMIZERS[name](linear_decay(lr, steps), weight_decay)


@dataclass
class Sweep:
    """A grid of settings, each trained from the same seeds: errors and losses at the end.

    ``settings[i]`` is ``(name, lr, weight_decay)``; row ``i`` of each array holds its
    runs, one column per seed. Errors are fractions of the part's points.
    """

    settings: list
    val_error: np.ndarray
    val_loss: np.ndarray
    test_error: np.ndarray
    train_loss: np.ndarray

    def rows(self, name, weight_decay=None):
        """Indices of ``name``'s settings (at one weight decay, if given), by increasing learning rate."""
        idx = [i for i, (n, _, wd) in enumerate(self.settings)
               if n == name and (weight_decay is None or wd == weight_decay)]
        return sorted(idx, key=lambda i: self.settings[i][1])

    def best(self, name):
        """Index of ``name``'s setting with the lowest mean validation error (ties: lower validation loss)."""
        idx = self.rows(name)
        if not idx:
            raise ValueError(f"the sweep has no setting of {name!r}")
        err, loss = self.val_error[idx].mean(axis=1), self.val_loss[idx].mean(axis=1)
        loss = np.where(np.isfinite(loss), loss, np.inf)            # a diverged run never wins a tie
        return idx[int(np.lexsort((loss, err))[0])]

    def edge(self, name):
        """``"low"`` or ``"high"`` when the best learning rate of ``name`` is at that end of its grid, else None."""
        i = self.best(name)
        row = self.rows(name, self.settings[i][2])
        return "low" if i == row[0] else "high" if i == row[-1] else None

    def merged(self, other):
        """This sweep and another one (more settings, the same seeds) as one."""
        return Sweep(self.settings + other.settings,
                     *(np.concatenate([getattr(self, f), getattr(other, f)])
                       for f in ("val_error", "val_loss", "test_error", "train_loss")))


def sweep(split, model, rows, epochs, batch_size, seeds):
    """Train every setting of ``rows`` from every seed, in one batched call; a :class:`Sweep`.

    ``rows`` is a list of ``(name, weight_decay, lrs)``, all with the same number of
    learning rates; ``split`` a :class:`~coursecode.learning.Split` whose training
    part is ``model``'s data.
    """
    lrs = [np.asarray(r, dtype=float) for _, _, r in rows]
    if not rows or any(r.shape != lrs[0].shape or r.ndim != 1 for r in lrs):
        raise ValueError("Invalid rows: a list of (name, weight_decay, lrs), every lrs a 1-D array of one length")
    k, seeds = lrs[0].size, list(seeds)
    steps = epochs * (model.n // batch_size)
    opt = stacked([_optimizer(name, r[:, None, None], wd, steps) for (name, wd, _), r in zip(rows, lrs)], rows=k)
    theta0 = np.broadcast_to(model.init_weights(seeds), (len(rows) * k, len(seeds), model.dim)).copy()

    def monitor(theta):
        return {"val_error": model.error(theta, split.X_val, split.y_val),
                "val_loss": model.loss(theta, split.X_val, split.y_val),
                "test_error": model.error(theta, split.X_test, split.y_test)}

    history = train(opt, model, theta0, epochs, batch_size, seed=seeds, monitor=monitor, every=epochs)
    settings = [(name, float(lr), float(wd)) for (name, wd, _), r in zip(rows, lrs) for lr in r]
    return Sweep(settings, history.metrics["val_error"][-1], history.metrics["val_loss"][-1],
                 history.metrics["test_error"][-1], history.train_loss[-1])


def tune(split, model, grids=None, weight_decays=WEIGHT_DECAYS, epochs=20, batch_size=32, seeds=(0, 1),
         extend=3):
    """Sweep each optimizer's grid, then extend a grid whose best learning rate lies at its end.

    ``grids`` maps a name of ``OPTIMIZERS`` to its learning rates (a logarithmic
    grid; default ``GRIDS``); AdamW runs each of them at every ``weight_decays``.
    At most ``extend`` times, every optimizer whose best learning rate is the smallest
    or largest tried gets one more, a grid step further out. Returns the :class:`Sweep`
    of every setting tried; ``sweep.best(name)`` is the choice.
    """
    grids = {name: np.sort(np.asarray(g, dtype=float)) for name, g in (grids or GRIDS).items()}
    rows = [(name, float(wd), g) for name, g in grids.items()
            for wd in (weight_decays if name == "AdamW" else (0.0,))]
    result = sweep(split, model, rows, epochs, batch_size, seeds)
    for _ in range(_checks.integer("extend", extend)):
        more = []
        for name, g in grids.items():
            side = result.edge(name)
            if side:
                _, lr, wd = result.settings[result.best(name)]
                ratio = g[1] / g[0]
                more.append((name, wd, np.array([lr / ratio if side == "low" else lr * ratio])))
        if not more:
            break
        result = result.merged(sweep(split, model, more, epochs, batch_size, seeds))
    return result


def final_runs(split, model, chosen, epochs=20, batch_size=32, seeds=(2, 3, 4, 5, 6)):
    """Train each chosen setting from ``seeds``, recording after every epoch: a History.

    ``chosen`` maps a name to ``(lr, weight_decay)``. The runs have shape
    ``(optimizers, seeds)``; the history's metrics are the misclassified points on
    the ``"train"``, ``"val"`` and ``"test"`` parts (counts), its ``train_loss`` the
    training loss.
    """
    seeds = list(seeds)
    steps = epochs * (model.n // batch_size)
    opt = stacked([_optimizer(name, lr, wd, steps) for name, (lr, wd) in chosen.items()], rows=1)
    theta0 = np.broadcast_to(model.init_weights(seeds), (len(chosen), len(seeds), model.dim)).copy()
    return train(opt, model, theta0, epochs, batch_size, seed=seeds,
                 monitor=lambda theta: split.errors(model, theta), every=1)


@dataclass
class Comparison:
    """The outcome of :func:`compare`: the sweep, the chosen settings and the final runs.

    Attributes
    ----------
    names : list of str
        The optimizers, in the order of the final runs' first axis.
    sweep : Sweep
    chosen : dict name -> (lr, weight_decay)
    history : History
        The final runs, shape ``(optimizers, seeds)``.
    sizes : tuple (train, validation, test)
    """

    names: list
    sweep: Sweep
    chosen: dict
    history: object
    sizes: tuple

    def test_errors(self):
        """name -> misclassified test points after the last epoch, one count per seed."""
        last = self.history.metrics["test"][-1]
        return {name: last[k] for k, name in enumerate(self.names)}

    def record(self):
        """The numbers as plain Python (for a JSON file): chosen settings, test errors, final training loss."""
        test = self.test_errors()
        return {name: {"lr": self.chosen[name][0], "weight_decay": self.chosen[name][1],
                       "test_errors": [int(e) for e in test[name]],
                       "train_loss": [float(x) for x in self.history.train_loss[-1][k]]}
                for k, name in enumerate(self.names)}


def compare(split, hidden=(32,), grids=None, weight_decays=WEIGHT_DECAYS, epochs=20, batch_size=32,
            tune_seeds=(0, 1), final_seeds=(2, 3, 4, 5, 6), extend=3):
    """Tune every optimizer on ``split``'s validation part, then train it from fresh seeds: a :class:`Comparison`.

    ``hidden`` sets the model (:meth:`Split.mlp`; ``()`` is softmax regression).

    Examples
    --------
    >>> from coursecode.learning import digits
    >>> data = digits(seed=0)
    >>> small = {"SGD": [0.1, 1.0, 10.0], "Adam": [1e-3, 1e-2, 1e-1]}
    >>> c = compare(data, hidden=(), grids=small, epochs=2, tune_seeds=[0], final_seeds=[1, 2])
    >>> c.names, c.history.metrics["test"].shape      # 3 checkpoints, 2 optimizers, 2 seeds
    (['SGD', 'Adam'], (3, 2, 2))
    """
    model = split.mlp(hidden=hidden)
    result = tune(split, model, grids, weight_decays, epochs, batch_size, tune_seeds, extend)
    names = list(grids or GRIDS)
    chosen = {name: result.settings[result.best(name)][1:] for name in names}
    history = final_runs(split, model, chosen, epochs, batch_size, final_seeds)
    return Comparison(names, result, chosen, history, split.sizes)
