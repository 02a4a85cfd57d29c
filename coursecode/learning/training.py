r"""Training on part of the data: the seeded minibatch gradient that makes SGD.

:func:`minibatch_grad` turns any model of :mod:`coursecode.learning.models` into
a stochastic gradient for :func:`coursecode.run`. It only draws the rows; the
gradient on them is the model's own ``loss_grad``, so a new model needs nothing here.
"""
from __future__ import annotations

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
