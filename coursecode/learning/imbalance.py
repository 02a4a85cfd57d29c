r"""Heavy-tailed class imbalance (chapter 13): a bigram model on Zipf-distributed tokens.

Kunstner et al. (2024) trace Adam's lead over gradient descent on language models to
the distribution of the classes: a few tokens are frequent, most are rare, and
gradient descent makes slow progress on the rare ones. This module builds the
smallest experiment in which that can be measured, with numpy only.

* :func:`zipf` gives the class frequencies :math:`\pi_k \propto k^{-s}`.
* :func:`zipf_pairs` draws a seeded data set of (context, next token) pairs: the
  context ``x`` is one of ``V`` tokens, all equally frequent; the next token ``y``
  follows :math:`q(k \mid j) \propto \pi_k e^{\sigma \xi_{jk}}` with
  :math:`\xi_{jk}` standard normal, so its overall frequency is heavy-tailed when
  ``exponent > 0`` and close to balanced when ``exponent = 0``.
* :class:`Bigram` is softmax regression on the one-hot context,
  :math:`z = W e_j`: its loss, gradient, the loss per next token and per
  frequency bucket, and the smallest loss any weights can approach (the
  conditional entropy of the data).
* :func:`train` runs an optimizer on it, full batch or on minibatches, for a whole
  batch of settings at once, and records the loss of every bucket.
* :func:`tune` picks the learning rate with the lowest final training loss on a grid.

The weights :math:`\Theta \in \mathbb R^{V \times V}` hold one row of logits per
context (row ``j`` is :math:`W e_j`, column ``j`` of the usual weight matrix);
``theta`` is :math:`\Theta` flattened row by row, shape ``(..., V * V)``, and may
carry leading axes (one run per row).

References
----------
F. Kunstner, A. Milligan, R. Yadav, M. Schmidt, A. Bietti (2024), Heavy-tailed class
imbalance and why Adam outperforms gradient descent on language models. arXiv:2402.19449.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import _checks
from ..optimizers import adam, gd, lion
from ..problems import Problem


def zipf(classes, exponent=1.0):
    r"""Zipf frequencies :math:`\pi_k = k^{-s} / \sum_{i=1}^{K} i^{-s}` for ``k = 1 .. classes``.

    ``exponent = 0`` gives balanced classes.

    >>> zipf(4, exponent=1.0).round(4).tolist()
    [0.48, 0.24, 0.16, 0.12]
    >>> zipf(3, exponent=0.0).tolist() == [1 / 3] * 3
    True
    """
    classes = _checks.integer("classes", classes, minimum=1)
    s = float(_checks.nonnegative("exponent", exponent))
    w = np.arange(1, classes + 1, dtype=float) ** -s
    return w / w.sum()


class TokenPairs(NamedTuple):
    """A data set of (context, next token) pairs.

    ``x``, ``y``: the contexts and next tokens, integer arrays of shape (n,);
    ``counts[j, k]``: how many pairs have context ``j`` and next token ``k``;
    ``vocab``: the number of tokens V; ``exponent``, ``spread``: how they were drawn.
    """

    x: np.ndarray
    y: np.ndarray
    counts: np.ndarray
    vocab: int
    exponent: float
    spread: float


def zipf_pairs(vocab=128, pairs=50_000, exponent=1.0, spread=2.0, seed=0):
    r"""Seeded (context, next token) pairs with Zipf-distributed next tokens.

    The context ``j`` is uniform over the ``vocab`` tokens. Given it, the next token is
    ``k`` with probability :math:`q(k \mid j) \propto \pi_k\, e^{\sigma \xi_{jk}}`,
    :math:`\pi` = :func:`zipf` ``(vocab, exponent)``, :math:`\sigma` = ``spread`` and
    :math:`\xi_{jk}` standard normal (drawn once): each context prefers its own tokens,
    and overall the frequent tokens stay frequent.

    >>> d = zipf_pairs(vocab=8, pairs=1000, seed=0)
    >>> d.counts.shape, int(d.counts.sum()), d.x.shape
    ((8, 8), 1000, (1000,))
    """
    vocab = _checks.integer("vocab", vocab, minimum=2)
    pairs = _checks.integer("pairs", pairs, minimum=1)
    spread = float(_checks.nonnegative("spread", spread))
    rng = _checks.generator("seed", seed)
    logits = np.log(zipf(vocab, exponent))[None, :] + spread * rng.standard_normal((vocab, vocab))
    q = np.exp(logits - logits.max(axis=1, keepdims=True))
    q /= q.sum(axis=1, keepdims=True)
    per_context = np.bincount(rng.integers(0, vocab, size=pairs), minlength=vocab)
    counts = rng.multinomial(per_context, q).astype(float)            # (V, V): context j, next token k
    cells = np.repeat(np.arange(vocab * vocab), counts.ravel().astype(int))
    cells = cells[rng.permutation(cells.size)]                           # the pairs in a random order
    return TokenPairs(cells // vocab, cells % vocab, counts, vocab, float(exponent), spread)


def _log_softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.sum(np.exp(z), axis=-1, keepdims=True))


def frequency_buckets(counts, n_buckets=4):
    """Bucket of every class: classes sorted by frequency (most frequent first, ties by index)
    and cut into ``n_buckets`` groups that each hold about the same share of the data points.

    ``counts[k]`` is the number of points of class k. Bucket 0 holds the most frequent classes.

    >>> frequency_buckets(np.array([50, 20, 10, 10, 5, 5]), n_buckets=2).tolist()
    [0, 1, 1, 1, 1, 1]
    """
    counts = np.asarray(counts, dtype=float)
    n_buckets = _checks.integer("n_buckets", n_buckets, minimum=1)
    order = np.argsort(-counts, kind="stable")
    before = np.concatenate([[0.0], np.cumsum(counts[order])[:-1]]) / counts.sum()   # share before each class
    bucket = np.empty(counts.size, dtype=int)
    bucket[order] = np.minimum((before * n_buckets + 1e-12).astype(int), n_buckets - 1)
    return bucket


class Bigram(Problem):
    r"""Softmax regression on the one-hot context: the mean cross-entropy of the next token.

    .. math::
        f(\Theta) = -\frac1n \sum_{j,k} C_{jk} \log p_{jk}, \qquad
        p_{j\cdot} = \operatorname{softmax}(\Theta_{j\cdot}), \qquad
        \frac{\partial f}{\partial \Theta_{jk}} = \frac{n_j\, p_{jk} - C_{jk}}{n},

    with :math:`C_{jk}` the number of pairs (context j, next token k) and
    :math:`n_j = \sum_k C_{jk}`. ``theta`` is :math:`\Theta` flattened, shape
    ``(..., V * V)``; it starts at 0 (every token equally likely, loss :math:`\log V`).

    Attributes: ``counts``, ``vocab``, ``n``, ``dim``, ``label_counts`` (pairs per next
    token), ``buckets`` (:func:`frequency_buckets` of the next tokens), ``n_buckets``,
    ``floor`` (the infimum of ``f``: the conditional entropy of the data) and
    ``floor_buckets`` (each bucket's loss there).

    >>> d = zipf_pairs(vocab=8, pairs=1000, seed=0)
    >>> f = Bigram(d)
    >>> f.dim, round(float(f.value(np.zeros(64))), 6)            # log 8
    (64, 2.079442)
    >>> f.grad(np.zeros((3, 64))).shape                          # three weight vectors at once
    (3, 64)
    """

    def __init__(self, data, n_buckets=4, name=None):
        self.counts = np.asarray(data.counts, dtype=float)
        self.vocab = self.counts.shape[0]
        self.n = float(self.counts.sum())
        self.dim = self.vocab * self.vocab
        self.context_counts = self.counts.sum(axis=1)
        self.label_counts = self.counts.sum(axis=0)
        self.n_buckets = _checks.integer("n_buckets", n_buckets, minimum=1)
        self.buckets = frequency_buckets(self.label_counts, self.n_buckets)
        self._bucket_matrix = (self.buckets[:, None] == np.arange(self.n_buckets)) * self.label_counts[:, None]
        self._bucket_matrix = self._bucket_matrix / self._bucket_matrix.sum(axis=0)   # (V, B): weights of a mean
        with np.errstate(divide="ignore", invalid="ignore"):
            log_q = np.where(self.counts > 0, np.log(self.counts / self.context_counts[:, None]), 0.0)
        self.floor_labels = -(self.counts * log_q).sum(axis=0) / np.maximum(self.label_counts, 1.0)
        self.floor = float(-(self.counts * log_q).sum() / self.n)
        self.floor_buckets = self.floor_labels @ self._bucket_matrix
        self.name = name or f"bigram model, {self.vocab} tokens"
        self.minimizer = None
        self.window = None
        self.theta0 = np.zeros(self.dim)

    def _logp(self, theta):
        theta = np.asarray(theta, dtype=float)
        if theta.shape[-1:] != (self.dim,):
            raise ValueError(f"theta must have shape (..., {self.dim}), got {theta.shape}")
        return _log_softmax(theta.reshape(theta.shape[:-1] + (self.vocab, self.vocab)))

    def loss_grad(self, theta, counts=None):
        """Loss and gradient on ``counts`` (the training data by default; a minibatch's counts,
        shape ``(V, V)`` or ``(..., V, V)``, otherwise): shapes (...) and (..., V * V)."""
        C = self.counts if counts is None else np.asarray(counts, dtype=float)
        logp = self._logp(theta)
        m = C.sum(axis=(-2, -1))
        loss = -np.sum(C * logp, axis=(-2, -1)) / m
        grad = (C.sum(axis=-1, keepdims=True) * np.exp(logp) - C) / np.asarray(m)[..., None, None]
        return loss, grad.reshape(grad.shape[:-2] + (self.dim,))

    def value(self, theta):
        return self._value_of(self._logp(theta))

    def grad(self, theta):
        return self._grad_of(self._logp(theta))

    def label_losses(self, theta):
        """The mean loss of the pairs whose next token is k, for every k: shape (..., V)."""
        return -np.sum(self.counts * self._logp(theta), axis=-2) / np.maximum(self.label_counts, 1.0)

    def bucket_losses(self, theta):
        """The mean loss of the pairs whose next token lies in each bucket: shape (..., n_buckets)."""
        return self._bucket_losses_of(self._logp(theta))

    # the loss, gradient and bucket losses from the log-probabilities (train computes them once a step)
    def _value_of(self, logp):
        return -np.sum(self.counts * logp, axis=(-2, -1)) / self.n

    def _grad_of(self, logp):
        grad = (self.context_counts[:, None] * np.exp(logp) - self.counts) / self.n
        return grad.reshape(grad.shape[:-2] + (self.dim,))

    def _bucket_losses_of(self, logp):
        return (-np.sum(self.counts * logp, axis=-2) / np.maximum(self.label_counts, 1.0)) @ self._bucket_matrix


class ImbalanceRun(NamedTuple):
    """What :func:`train` records at the steps ``steps`` (step 0 is the start):

    ``loss (K, ...)``: the training loss; ``buckets (K, ..., B)``: the loss of each bucket;
    ``theta (..., d)``: the final weights.
    """

    steps: np.ndarray
    loss: np.ndarray
    buckets: np.ndarray
    theta: np.ndarray


def train(opt, model, steps, runs=(), record=None, batch=None, seed=0):
    """Run ``opt`` on ``model`` from 0 for ``steps`` steps and record the loss of every bucket.

    ``runs``: leading axes of ``theta`` (e.g. ``(7,)`` for a grid of 7 learning rates
    given as an array of shape (7, 1)). ``record``: the steps at which to record
    (default: every step). ``batch``: None for the full gradient, or the number of
    pairs drawn (with replacement, seeded by ``seed``) for each step's minibatch; every
    run sees the same minibatches. Non-finite losses are recorded as ``inf``.
    """
    steps = _checks.integer("steps", steps, minimum=1)
    record = np.arange(steps + 1) if record is None else np.unique(np.asarray(record, dtype=int))
    if record.min() < 0 or record.max() > steps:
        raise ValueError(f"Invalid record: steps must lie in 0 .. {steps}")
    if batch is not None:
        batch = _checks.integer("batch", batch, minimum=1)
        rng = _checks.generator("seed", seed)
        cells = np.repeat(np.arange(model.dim), model.counts.ravel().astype(int))   # one entry per pair
    theta = np.zeros(tuple(runs) + (model.dim,))
    state = opt.init(theta)
    losses, buckets = [], []
    V = model.vocab
    at = set(record.tolist())
    for t in range(steps + 1):
        with np.errstate(over="ignore", invalid="ignore"):
            # one log-softmax per step serves the record and the full-batch gradient (the same
            # arithmetic as value, bucket_losses and grad, so the same numbers)
            logp = model._logp(theta) if (t in at or batch is None) else None
            if t in at:
                loss, per_bucket = model._value_of(logp), model._bucket_losses_of(logp)
                losses.append(np.where(np.isfinite(loss), loss, np.inf))
                buckets.append(np.where(np.isfinite(per_bucket), per_bucket, np.inf))
            if t == steps:
                break
            if batch is None:
                g = model._grad_of(logp)
            else:
                pick = cells[rng.integers(0, cells.size, size=batch)]
                g = model.loss_grad(theta, np.bincount(pick, minlength=model.dim).reshape(V, V))[1]
            if not np.isfinite(np.sum(g)):         # the sum is finite exactly when every entry is
                g = np.nan_to_num(g)
            theta, state = opt.step(theta, g, state)
    return ImbalanceRun(record, np.array(losses), np.array(buckets), theta)


def tune(make_opt, model, lrs, steps, batch=None, seed=0):
    """The learning rate of ``lrs`` with the lowest training loss after ``steps`` steps.

    ``make_opt(lr)`` builds the optimizer; the whole grid is one batched :func:`train`
    call (``lr`` of shape (len(lrs), 1)). Returns ``(best_lr, final_losses)``.
    """
    lrs = np.asarray(lrs, dtype=float)
    run = train(make_opt(lrs[:, None]), model, steps, runs=lrs.shape, record=[steps], batch=batch, seed=seed)
    final = run.loss[-1]
    return float(lrs[int(np.argmin(final))]), final


def _sign_descent(lr):
    return lion(lr=lr, beta1=0.0, beta2=0.0)            # c_t = g_t: the step is -lr sign(g_t)


#: The optimizers of chapter 13, name -> factory of the learning rate: sign descent is
#: Lion with beta1 = beta2 = 0 (its step is -lr sign(g), no momentum).
OPTIMIZERS = {"GD": lambda lr: gd(lr=lr), "Adam": lambda lr: adam(lr=lr), "sign descent": _sign_descent}

#: The learning-rate grids (a factor sqrt(10) apart) that :func:`compare` tunes on.
GRIDS = {"GD": 10.0 ** np.arange(1.5, 3.51, 0.5), "Adam": 10.0 ** np.arange(-1.5, 0.51, 0.5),
         "sign descent": 10.0 ** np.arange(-2.5, -0.49, 0.5)}


class Comparison(NamedTuple):
    """The result of :func:`compare`: for each optimizer (name -> value) the tuned ``lr``, the
    final training loss of every learning rate of its grid (``grid_loss``), and the ``run``
    at the tuned learning rate, recorded at every step."""

    model: Bigram
    lr: dict
    grid_loss: dict
    run: dict


def compare(data, steps=300, optimizers=None, grids=None):
    """Tune every optimizer's learning rate on its grid (lowest training loss after ``steps``
    full-batch steps), then rerun it at that rate, recording every bucket at every step."""
    model = Bigram(data)
    optimizers = OPTIMIZERS if optimizers is None else optimizers
    grids = GRIDS if grids is None else grids
    lr, grid_loss, run = {}, {}, {}
    for name, make in optimizers.items():
        lr[name], grid_loss[name] = tune(make, model, grids[name], steps)
        run[name] = train(make(lr[name]), model, steps)
    return Comparison(model, lr, grid_loss, run)


def steps_to_close(run, model, fraction=0.9):
    """For every bucket, the first recorded step from which on the bucket has closed (and keeps
    closed) ``fraction`` of the gap between its starting loss and its floor: shape (..., B);
    ``-1`` if it is not closed at the last recorded step."""
    start, floor = run.buckets[0], model.floor_buckets
    closed = (start - run.buckets) >= fraction * (start - floor)          # (K, ..., B)
    stays = np.flip(np.logical_and.accumulate(np.flip(closed, axis=0), axis=0), axis=0)
    return np.where(stays[-1], run.steps[np.argmax(stays, axis=0)], -1)
