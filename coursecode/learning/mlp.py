r"""Classifiers for many classes: softmax regression and a multilayer perceptron (chapter 10).

Both models are one class, :class:`MLP`: a stack of fully connected layers with
ReLU between them and a softmax on top, trained with the cross-entropy loss.
With no hidden layer it is softmax regression (multinomial logistic
regression), :func:`softmax_regression`.

.. math::
    a_0 = x, \qquad a_l = \operatorname{relu}(W_l a_{l-1} + b_l)\ (l < L), \qquad
    z = W_L a_{L-1} + b_L \in \mathbb R^K,

    \ell(\theta; x, y) = \log \sum_{k=1}^K e^{z_k} - z_y, \qquad
    \frac{\partial \ell}{\partial z} = \operatorname{softmax}(z) - e_y .

The gradient is backpropagation written out by hand, and it accepts a batch of
parameter vectors ``theta (..., d)``: one call evaluates every run of a grid
of learning rates and seeds. The labels are the integers ``0 .. K-1`` (stored as
floats, like every label here).
"""
from __future__ import annotations

import numpy as np

from .. import _checks
from .models import Model


def _log_softmax(z):
    """log softmax over the last axis, shifted by the maximum so that exp never overflows."""
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.sum(np.exp(z), axis=-1, keepdims=True))


def _labels(y, classes):
    """Class labels as integers 0 .. classes-1 (a clear error for anything else)."""
    y = np.asarray(y, dtype=float)
    k = y.astype(int)
    if np.any(k != y) or np.any(k < 0) or np.any(k >= classes):
        raise ValueError(f"Invalid y: class labels must be the integers 0 .. {classes - 1}")
    return k


class MLP(Model):
    r"""The mean cross-entropy of a ReLU network with a softmax output, as a function of all its weights.

    ``hidden`` lists the widths of the hidden layers: ``()`` is softmax regression,
    ``(32,)`` one hidden layer of 32 units, ``(32, 16)`` two. ``theta`` is the flat
    vector ``[W_1 (row by row), b_1, W_2, b_2, ...]``, of length
    ``d = sum over layers of (fan_in + 1) * fan_out``.

    ``value``/``grad`` are the loss and its gradient on the training data (a
    :class:`~coursecode.problems.Problem` for :func:`coursecode.run`);
    ``loss_grad(theta, X, y)`` is the same on any data, a minibatch or a test set.
    ``predict`` returns the predicted classes, ``error`` the fraction of points
    misclassified.

    Parameters
    ----------
    X : array (n, p)
        Training inputs.
    y : array (n,)
        Training labels, integers 0 .. classes-1.
    hidden : tuple of int
        Widths of the hidden layers.
    classes : int, optional
        Number of classes K (by default ``max(y) + 1``).
    seed : int or numpy.random.Generator
        Draws ``theta0`` (:meth:`init_weights`).

    Examples
    --------
    >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    >>> net = MLP(X, [0, 1, 2], hidden=(4,), seed=0)
    >>> net.dim, net.shapes                     # (2 + 1) * 4 + (4 + 1) * 3
    (27, [(4, 2), (3, 4)])
    >>> round(float(net.value(np.zeros(27))), 6)   # all logits 0: log 3
    1.098612
    >>> net.grad(np.zeros((5, 27))).shape           # five parameter vectors at once
    (5, 27)
    """

    def __init__(self, X, y, hidden=(32,), classes=None, seed=0, name=None):
        p = self._set_data("MLP", X, y)
        if classes is None:
            classes = int(np.max(self.y)) + 1 if self.y.size else 1
        self.classes = _checks.integer("classes", classes, minimum=2)
        self.labels = _labels(self.y, self.classes)
        if isinstance(hidden, (int, np.integer)):
            hidden = (hidden,)
        self.hidden = tuple(_checks.integer("hidden", h, minimum=1) for h in hidden)
        sizes = (p,) + self.hidden + (self.classes,)
        #: (fan_out, fan_in) of each weight matrix, input layer first
        self.shapes = [(sizes[k + 1], sizes[k]) for k in range(len(sizes) - 1)]
        self._slices, start = [], 0
        for out, inp in self.shapes:
            self._slices.append((slice(start, start + out * inp), slice(start + out * inp, start + out * inp + out)))
            start += out * inp + out
        self.dim = start
        self.p = p
        self.name = name or (f"softmax regression ({p} inputs, {self.classes} classes)" if not self.hidden else
                             f"MLP {'-'.join(map(str, sizes))}")
        self.minimizer = None
        self.window = None
        self.theta0 = self.init_weights(seed)

    # -- parameters -------------------------------------------------------------------
    def init_weights(self, seed):
        """Seeded initial weights: He initialization (variance 2 / fan-in) below the top layer.

        The output layer gets variance 1 / fan-in, the biases 0; softmax regression
        starts at 0. ``seed`` is an int, a ``numpy.random.Generator``, or a sequence of
        ints (one row per seed: shape ``(len(seeds), d)``).
        """
        if isinstance(seed, (list, tuple, np.ndarray)):
            return np.stack([self.init_weights(int(s)) for s in np.asarray(seed).ravel()])
        rng = _checks.generator("seed", seed)
        theta = np.zeros(self.dim)
        if not self.hidden:
            return theta
        last = len(self.shapes) - 1
        for k, ((out, inp), (w, _)) in enumerate(zip(self.shapes, self._slices)):
            scale = np.sqrt((1.0 if k == last else 2.0) / inp)
            theta[w] = scale * rng.standard_normal(out * inp)
        return theta

    def unpack(self, theta):
        """The layers of ``theta (..., d)``: a list of ``(W (..., out, in), b (..., out))``, input layer first."""
        theta = self._check(theta)
        lead = theta.shape[:-1]
        return [(theta[..., w].reshape(lead + shape), theta[..., b]) for shape, (w, b) in zip(self.shapes, self._slices)]

    # -- the network ------------------------------------------------------------------
    def _forward(self, theta, X):
        """Activations of every layer (input included) and the logits: ``acts``, ``z (..., m, K)``."""
        layers = self.unpack(theta)
        acts = [X]
        for W, b in layers[:-1]:
            acts.append(np.maximum(acts[-1] @ np.swapaxes(W, -1, -2) + b[..., None, :], 0.0))
        W, b = layers[-1]
        return layers, acts, acts[-1] @ np.swapaxes(W, -1, -2) + b[..., None, :]

    #: Points per block when evaluating on many points at once (a test set, say). Small blocks
    #: keep every matrix product small, and BLAS runs small products on one thread: several
    #: threads on a busy two-core machine make the whole pass many times slower.
    block = 64

    def _logits(self, theta, X):
        """The logits on ``X (..., m, p)``, computed ``block`` points at a time: shape (..., m, K)."""
        m = X.shape[-2]
        return np.concatenate([self._forward(theta, X[..., i:i + self.block, :])[2]
                               for i in range(0, m, self.block)], axis=-2)

    def scores(self, theta, X=None):
        """The logits on ``X`` (the training inputs by default): shape (..., m, K)."""
        return self._logits(theta, self._inputs(X))

    def predict(self, theta, X=None):
        """The predicted classes (largest logit) on ``X``: integers of shape (..., m)."""
        return np.argmax(self.scores(theta, X), axis=-1)

    def error(self, theta, X=None, y=None):
        """Fraction of the points ``X``, ``y`` (the training data by default) misclassified: shape (...)."""
        y = self.labels if y is None else _labels(y, self.classes)
        return np.mean(self.predict(theta, X) != y, axis=-1)

    def _cross_entropy(self, z, y):
        """Mean cross-entropy of logits ``z (..., m, K)`` for labels ``y (..., m)``; also log p and one-hot y."""
        logp = _log_softmax(z)
        onehot = _labels(y, self.classes)[..., None] == np.arange(self.classes)
        return -np.mean(np.sum(np.where(onehot, logp, 0.0), axis=-1), axis=-1), logp, onehot

    def loss(self, theta, X, y):
        """The mean cross-entropy on ``X (..., m, p)``, ``y (..., m)`` (no gradient): shape (...)."""
        X, y = self._batch(X, y)
        return self._cross_entropy(self._logits(theta, X), y)[0]

    def loss_grad(self, theta, X, y):
        X, y = self._batch(X, y)
        layers, acts, z = self._forward(theta, X)
        loss, logp, onehot = self._cross_entropy(z, y)
        dz = (np.exp(logp) - onehot) / X.shape[-2]            # d loss / d logits, (..., m, K)
        lead = np.broadcast_shapes(np.shape(theta)[:-1], X.shape[:-2])
        grad = np.empty(lead + (self.dim,))
        for k in range(len(layers) - 1, -1, -1):              # backpropagation, top layer first
            (W, _), a, (w, b) = layers[k], acts[k], self._slices[k]
            # written straight into the flat gradient: views of grad, no concatenation
            np.matmul(np.swapaxes(dz, -1, -2), a, out=grad[..., w].reshape(lead + self.shapes[k]))
            grad[..., b] = dz.sum(axis=-2)
            if k:                                               # back through the layer and its ReLU
                dz = (dz @ W) * (a > 0)
        return np.broadcast_to(loss, lead), grad


def softmax_regression(X, y, classes=None, name=None):
    r"""Softmax (multinomial logistic) regression: an :class:`MLP` with no hidden layer.

    .. math:: f(W, b) = \frac1n \sum_{i=1}^n \Big(\log \sum_k e^{w_k^\top x_i + b_k} - (w_{y_i}^\top x_i + b_{y_i})\Big)

    The loss is convex in the weights; it starts at ``theta0 = 0`` (every class
    equally likely, loss :math:`\log K`).

    Examples
    --------
    >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    >>> f = softmax_regression(X, [0, 1, 1, 0])
    >>> f.dim, round(float(f.value(f.theta0)), 6)        # (2 + 1) * 2 weights; log 2
    (6, 0.693147)
    """
    return MLP(X, y, hidden=(), classes=classes, seed=0, name=name)
