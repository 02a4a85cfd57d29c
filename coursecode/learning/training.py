r"""Training on part of the data: the seeded minibatch gradient that makes SGD, and epochs of it.

:func:`minibatch_grad` turns any model of :mod:`coursecode.learning.models` into
a stochastic gradient for :func:`coursecode.run`. It only draws the rows; the
gradient on them is the model's own ``loss_grad``, so a new model needs nothing here.

:func:`train` runs whole epochs (each a shuffled pass over the training data) and
records only checkpoints, a :class:`History`: what long runs of many networks at
once need (chapter 10).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import _checks


def minibatch_grad(problem, batch_size, seed=0):
    r"""A seeded stochastic gradient: the gradient on ``batch_size`` random training points.

    Returns a callable ``theta -> gradient`` for :func:`coursecode.run`. Each call
    draws ``batch_size`` distinct training points (without replacement) and returns
    the gradient of the loss on them alone, :math:`\frac1b \sum_{i \in B} \nabla \ell_i(\theta)`.
    For a batch of parameter vectors ``theta (..., d)`` every run draws its own
    points, so a batched run is a set of independent SGD runs.

    For least squares every minibatch gradient is a combination of rows of ``X``,
    :math:`\frac1b \sum_{i\in B} (x_i^\top w - y_i)\, x_i`, just like the full gradient.

    Parameters
    ----------
    problem : Model
        A model with training data and ``loss_grad(theta, X, y)``: a
        :class:`LeastSquares`, :class:`TinyMLP` or :class:`LogisticRegression`.
    batch_size : int, 1 <= batch_size <= problem.n
    seed : int or numpy.random.Generator

    Examples
    --------
    >>> import coursecode as cc
    >>> from coursecode.learning import overparameterized_least_squares
    >>> X, y, f = overparameterized_least_squares(n=10, d=30, noise=0.0, seed=1)
    >>> g = minibatch_grad(f, batch_size=10, seed=0)        # the whole data set
    >>> w = np.ones(30)
    >>> bool(np.allclose(g(w), f.grad(w)))
    True
    >>> sgd = cc.run(cc.gd(lr=0.02), minibatch_grad(f, 1, seed=0), np.zeros(30), 3000)
    >>> bool(np.allclose(sgd.final, np.linalg.pinv(X) @ y, atol=1e-6))
    True
    """
    if not callable(getattr(problem, "loss_grad", None)):
        raise ValueError(f"minibatch_grad needs a model with training data and loss_grad(theta, X, y) "
                         f"(LeastSquares, TinyMLP, LogisticRegression), got {type(problem).__name__}")
    b = _checks.integer("batch_size", batch_size, minimum=1)
    if b > problem.n:
        raise ValueError(f"Invalid batch_size: {b} (the problem has {problem.n} training points)")
    rng = _checks.generator("seed", seed)

    def grad(theta):
        theta = problem._check(theta)
        lead = theta.shape[:-1]
        idx = np.argsort(rng.random(lead + (problem.n,)), axis=-1)[..., :b]   # (..., b), distinct
        return problem.loss_grad(theta, problem.X[idx], problem.y[idx])[1]

    return grad


# ---------------------------------------------------------------------------
# Epochs of minibatch training, recorded at checkpoints
# ---------------------------------------------------------------------------

@dataclass
class History:
    """What :func:`train` recorded, at the end of epochs ``0, every, 2 every, ..., epochs``.

    Attributes
    ----------
    epochs : int array (k,)
        The epochs recorded (0 is the start).
    train_loss : array (k, ...)
        The loss on the whole training set, one value per run.
    metrics : dict of arrays (k, ...)
        What ``monitor(theta)`` returned at each recorded epoch.
    final : array (..., d)
        The parameters after the last epoch (NaN for a run that diverged).
    diverged_at : int array (...)
        The epoch in which each run diverged, -1 for runs that did not.
    steps_per_epoch : int
    """

    epochs: np.ndarray
    train_loss: np.ndarray
    metrics: dict
    final: np.ndarray
    diverged_at: np.ndarray
    steps_per_epoch: int

    @property
    def steps(self):
        """Optimizer steps taken by the end of each recorded epoch, an int array of shape (k,)."""
        return self.epochs * self.steps_per_epoch


def _orders(seed, lead, n):
    """``next_epoch()``: a fresh order of the n training points for each data stream, shape (..., n).

    An int or a Generator gives every run its own stream (shape ``lead``); a sequence
    of int seeds gives one stream per seed along the last axis of ``lead``, shared
    by the runs of the other axes (a grid of learning rates sees the same minibatches).
    """
    if isinstance(seed, (list, tuple, np.ndarray)):
        seeds = [int(_checks.integer("seed", s)) for s in np.asarray(seed).ravel().tolist()]
        if not lead or lead[-1] != len(seeds):
            raise ValueError(f"Invalid seed: {len(seeds)} seeds for runs of shape {lead} (the last axis of "
                             f"theta0's leading shape must have one run per seed)")
        # a stream apart from the one that draws the weights (MLP.init_weights uses default_rng(s))
        rngs = [np.random.default_rng([s, 1]) for s in seeds]
        return lambda: np.stack([rng.permutation(n) for rng in rngs])
    rng = _checks.generator("seed", seed)
    return lambda: np.argsort(rng.random(lead + (n,)), axis=-1)


def train(opt, model, theta0, epochs, batch_size, seed=0, monitor=None, every=1, max_abs=1e6):
    r"""Train ``model`` with ``opt`` for ``epochs`` passes over its training data, in minibatches.

    Each epoch shuffles the ``n`` training points and takes ``n // batch_size``
    steps, each on the next ``batch_size`` points of the order (the last few
    points of an epoch are left out), with the gradient ``model.loss_grad``. Unlike
    :func:`coursecode.run`, which keeps every iterate, only checkpoints are recorded:
    the training loss and ``monitor(theta)`` at the start and after every ``every``
    epochs (and after the last). That keeps long runs of many networks small.

    Parameters
    ----------
    opt : a coursecode optimizer; hyperparameters may be arrays that broadcast
        against ``theta0`` (a grid of settings in one call).
    model : a :class:`~coursecode.learning.Model` with training data (``X``, ``y``, ``n``).
    theta0 : array (..., d)
        Leading axes are a batch of independent runs.
    epochs, batch_size : int
    seed : int, numpy.random.Generator, or a sequence of ints
        The data order. An int or a Generator: every run draws its own. A sequence
        of seeds, one per run along the last leading axis of ``theta0``: runs with
        the same seed see the same minibatches, whatever their optimizer and
        hyperparameters (the order of seed ``s`` comes from ``default_rng([s, 1])``).
    monitor : callable ``theta -> dict of arrays (...)``, optional
        Anything to record at the checkpoints (validation and test errors, say).
    every : int
        Record every ``every`` epochs.
    max_abs : float
        A run whose parameters exceed this or turn NaN has diverged: it is frozen as
        NaN and reported in ``diverged_at`` (the epoch), never raised.

    Returns
    -------
    History

    Examples
    --------
    >>> import coursecode as cc
    >>> from coursecode.learning import softmax_regression
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((60, 2)); y = (X[:, 0] > 0).astype(float)
    >>> f = softmax_regression(X, y)
    >>> h = train(cc.gd(lr=np.array([[0.1], [1.0]])), f, np.zeros((2, f.dim)), epochs=20, batch_size=10)
    >>> int(h.epochs[-1]), int(h.steps[-1]), h.train_loss.shape, h.final.shape
    (20, 120, (21, 2), (2, 6))
    >>> bool(np.all(h.train_loss[-1] < 0.5 * h.train_loss[0]))    # both learning rates learn
    True
    """
    epochs = _checks.integer("epochs", epochs)
    every = _checks.integer("every", every, minimum=1)
    max_abs = float(_checks.nonnegative("max_abs", max_abs))
    if not callable(getattr(model, "loss_grad", None)) or not hasattr(model, "n"):
        raise ValueError(f"train needs a model with training data and loss_grad(theta, X, y), "
                         f"got {type(model).__name__}")
    b = _checks.integer("batch_size", batch_size, minimum=1)
    if b > model.n:
        raise ValueError(f"Invalid batch_size: {b} (the model has {model.n} training points)")
    theta = model._check(theta0).copy()
    lead = theta.shape[:-1]
    next_order = _orders(seed, lead, model.n)
    steps_per_epoch = model.n // b
    state = opt.init(theta)
    diverged_at = np.full(lead, -1)
    recorded, losses, metrics = [], [], {}

    def record(epoch):
        recorded.append(epoch)
        losses.append(model.value(theta))
        for key, value in (monitor(theta) if monitor else {}).items():
            metrics.setdefault(key, []).append(np.asarray(value))

    with np.errstate(all="ignore"):  # a diverging run is data, not an error
        record(0)
        for epoch in range(1, epochs + 1):
            order = next_order()
            for k in range(steps_per_epoch):
                idx = order[..., k * b:(k + 1) * b]
                _, g = model.loss_grad(theta, model.X[idx], model.y[idx])
                theta, state = opt.step(theta, g, state)
            bad = ~(np.abs(theta).max(axis=-1) <= max_abs)       # NaN compares False: caught too
            if np.any(bad):
                diverged_at = np.where(bad & (diverged_at < 0), epoch, diverged_at)
                theta = np.where(bad[..., None], np.nan, theta)
            if epoch % every == 0 or epoch == epochs:
                record(epoch)
    return History(epochs=np.array(recorded), train_loss=np.stack(losses),
                   metrics={key: np.stack(v) for key, v in metrics.items()}, final=theta,
                   diverged_at=diverged_at, steps_per_epoch=steps_per_epoch)
