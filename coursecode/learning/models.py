r"""The models: a loss averaged over data points, behind one interface.

Each model is a :class:`Model`: a :class:`~coursecode.problems.Problem` on its
training data (``value``, ``grad`` and, where it has one in closed form,
``hessian``, which :func:`coursecode.run` drives) and the same loss on any other
data, ``loss_grad(theta, X, y) -> (loss, grad)``, which is all a minibatch or a
test set needs.

:class:`LeastSquares`
    :math:`\frac{1}{2n}\lVert Xw - y\rVert^2`: linear regression (chapter 1) and
    least-squares classification (chapter 9).
:class:`TinyMLP`
    The square loss of a one-hidden-layer tanh network (chapters 1 and 9).
:class:`LogisticRegression`
    The mean logistic loss of a linear classifier (chapter 8).

``theta`` has shape ``(..., d)``: the leading axes are a batch of parameter
vectors (a grid of runs), and every method returns one result per vector.
"""
from __future__ import annotations

import numpy as np

from .. import _checks
from ..problems import Problem
from ..theory import condition_number
from .datasets import _pm_one_labels


def _square_loss(residual):
    """Half the mean squared residual over the data points (the last axis)."""
    return 0.5 * np.mean(residual**2, axis=-1)


class Model(Problem):
    r"""A loss averaged over data points: the interface every model here shares.

    A model keeps its training data ``X (n, p)``, ``y (n,)`` (``n`` points) and,
    as a Problem, its loss and gradient on them, ``value(theta)`` and ``grad(theta)``.
    On any other data:

    ``loss_grad(theta, X, y) -> (loss, grad)``
        ``theta (..., d)``; ``X (..., m, p)`` and ``y (..., m)`` are ``m`` data
        points. Leading axes of the data, if any, broadcast against those of
        ``theta``: each run can have its own batch of points (what
        :func:`minibatch_grad` draws). Returns the mean loss over the ``m``
        points, shape ``(...)``, and its gradient, shape ``(..., d)``.
    ``loss(theta, X, y)``
        The loss alone (a test loss, say).
    ``predict(theta, X=None)``
        The outputs on ``X`` (the training inputs by default), shape ``(..., m)``.
        For labels in {-1, +1} their sign is the predicted class (:func:`error_rate`).
    """

    X: np.ndarray
    y: np.ndarray
    n: int

    def _set_data(self, kind, X, y):
        """Keep the training data ``X (n, p)``, ``y (n,)``; returns p."""
        X = _checks._as_float_array("X", X)
        y = _checks._as_float_array("y", y)
        if X.ndim != 2 or y.shape != (X.shape[0],):
            raise ValueError(f"{kind} needs X of shape (n, p) and y of shape (n,), got {X.shape} and {y.shape}")
        self.X, self.y = X, y
        self.n = X.shape[0]
        return X.shape[1]

    def _inputs(self, X):
        """Inputs to predict on: the training inputs by default."""
        return self.X if X is None else _checks._as_float_array("X", X)

    @staticmethod
    def _batch(X, y):
        """Data for ``loss_grad`` as float arrays, not copied: it runs at every step of SGD."""
        X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
        if X.ndim < 2 or y.shape[-1:] != X.shape[-2:-1]:
            raise ValueError(f"loss_grad needs X of shape (..., m, p) and y of shape (..., m), "
                             f"got {X.shape} and {y.shape}")
        return X, y

    def loss_grad(self, theta, X, y):
        """``(loss, grad)`` on the data ``X (..., m, p)``, ``y (..., m)``: shapes (...) and (..., d)."""
        raise NotImplementedError

    def loss(self, theta, X, y):
        """The mean loss on the data ``X (..., m, p)``, ``y (..., m)``: shape (...)."""
        return self.loss_grad(theta, X, y)[0]

    def predict(self, theta, X=None):
        """The model's outputs on ``X`` (the training inputs by default): shape (..., m)."""
        raise NotImplementedError

    # the Problem on the training data; a model overrides these where it has a cheaper form
    def value(self, theta):
        return self.loss(theta, self.X, self.y)

    def grad(self, theta):
        return self.loss_grad(theta, self.X, self.y)[1]


# ---------------------------------------------------------------------------
# Least squares
# ---------------------------------------------------------------------------

class LeastSquares(Model):
    r"""Least squares :math:`f(w) = \frac{1}{2n}\lVert X w - y\rVert^2`.

    The Hessian is the same everywhere, :math:`H = X^\top X / n`. For
    standardized features it is their correlation matrix, so correlated
    features make it ill-conditioned whatever their scale.

    Attributes
    ----------
    X, y : arrays (n, d), (n,)
    H : array (d, d)
        The Hessian :math:`X^\top X / n`.
    eigenvalues : array (d,)
        Eigenvalues of ``H``, ascending.
    minimizer : array (d,)
        The least-squares solution.
    """

    def __init__(self, X, y, name="least squares", window=None):
        self.dim = self._set_data("least squares", X, y)
        X = self.X
        self.H = X.T @ X / self.n
        self.eigenvalues = np.linalg.eigvalsh(self.H)
        self.minimizer = np.linalg.lstsq(X, self.y, rcond=None)[0]
        self.name = name
        if window is None:
            window = tuple((c - 1.5, c + 1.5) for c in self.minimizer[:2])
        self.window = window

    @property
    def condition_number(self):
        """kappa = lambda_max / lambda_min of the Hessian (infinite when singular)."""
        return condition_number(self.eigenvalues)

    # value and grad keep the matrix form (one X for every run) that chapter 9 prints with
    # inspect.getsource and whose rounding the chapters' outputs were computed with;
    # loss_grad is the same loss on any data
    def residual(self, theta):
        """X w - y for each parameter vector: shape (..., n)."""
        return self._check(theta) @ self.X.T - self.y

    def value(self, theta):
        return _square_loss(self.residual(theta))

    def grad(self, theta):
        return self.residual(theta) @ self.X / self.n

    def hessian(self, theta):
        theta = self._check(theta)
        return np.broadcast_to(self.H, theta.shape[:-1] + self.H.shape)

    def predict(self, theta, X=None):
        """X w on ``X`` (the training inputs by default): shape (..., n)."""
        return self._check(theta) @ self._inputs(X).T

    def loss_grad(self, theta, X, y):
        # einsum, not @: the data may carry a batch axis per run, X (..., m, d)
        theta = self._check(theta)
        X, y = self._batch(X, y)
        r = np.einsum("...bd,...d->...b", X, theta) - y
        return _square_loss(r), np.einsum("...b,...bd->...d", r, X) / X.shape[-2]


def least_squares(X, y, name="least squares", window=None):
    """The least-squares problem of fitting ``y`` by ``X w``: see :class:`LeastSquares`.

    Examples
    --------
    >>> X = np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]])
    >>> f = least_squares(X, X @ np.array([1.0, -1.0]))
    >>> np.round(f.minimizer, 6).tolist(), float(f.value(f.minimizer)) < 1e-20
    ([1.0, -1.0], True)
    """
    return LeastSquares(X, y, name, window)


# ---------------------------------------------------------------------------
# A tiny multilayer perceptron
# ---------------------------------------------------------------------------

class TinyMLP(Model):
    r"""Mean squared error of a one-hidden-layer tanh network, as a function of all its weights.

    .. math::
        \hat y(x) = w_2^\top \tanh(W_1 x + b_1) + b_2, \qquad
        f(\theta) = \frac{1}{2n} \sum_{i=1}^n \big(\hat y(x_i) - y_i\big)^2

    ``theta`` is the flat vector ``[W_1 (row by row), b_1, w_2, b_2]`` of length
    ``d = h (p + 2) + 1`` for ``p`` inputs and ``h`` hidden units. ``value`` and
    ``grad`` (backpropagation by hand) accept a batch of parameter vectors
    ``(..., d)``, which makes a 2-D slice through the landscape one call.

    Attributes
    ----------
    X, y : arrays (n, p), (n,)
        The training data.
    hidden : int
        Number of hidden units h.
    theta0 : array (d,)
        A seeded initialization (:meth:`init_weights`).
    filters : list of index arrays
        The incoming weights of each neuron (the rows of ``W_1``, then ``w_2``):
        the "filters" of Li et al. (2018) for a fully connected network.
    biases : index array
        Positions of ``b_1`` and ``b_2`` in ``theta``.
    """

    def __init__(self, X, y, hidden=8, seed=0, name="tiny MLP"):
        self.p = p = self._set_data("TinyMLP", X, y)
        self.hidden = h = _checks.integer("hidden", hidden, minimum=1)
        self.dim = h * (p + 2) + 1
        self.name = name
        self.minimizer = None  # unknown: a neural network has many
        self.window = None
        # slices of the flat parameter vector
        self._W1 = slice(0, h * p)
        self._b1 = slice(h * p, h * p + h)
        self._w2 = slice(h * p + h, h * p + 2 * h)
        self._b2 = slice(h * p + 2 * h, h * p + 2 * h + 1)
        index = np.arange(self.dim)
        self.filters = [index[self._W1][k * p:(k + 1) * p] for k in range(h)] + [index[self._w2]]
        self.biases = np.concatenate([index[self._b1], index[self._b2]])
        self.theta0 = self.init_weights(seed)

    def init_weights(self, seed):
        """Seeded initial weights: ``W_1`` and ``w_2`` Gaussian with variance 1 / fan-in, biases 0.

        ``seed`` is an int or a ``numpy.random.Generator`` (which the draws advance).
        """
        rng = _checks.generator("seed", seed)
        h, p = self.hidden, self.p
        theta0 = np.zeros(self.dim)
        theta0[self._W1] = rng.standard_normal(h * p) / np.sqrt(p)
        theta0[self._w2] = rng.standard_normal(h) / np.sqrt(h)
        return theta0

    def unpack(self, theta):
        """Split ``theta`` (..., d) into ``W1 (..., h, p), b1 (..., h), w2 (..., h), b2 (...)``."""
        theta = self._check(theta)
        lead = theta.shape[:-1]
        return (theta[..., self._W1].reshape(lead + (self.hidden, self.p)), theta[..., self._b1],
                theta[..., self._w2], theta[..., self._b2][..., 0])

    def _forward(self, theta, X):
        W1, b1, w2, b2 = self.unpack(theta)
        a1 = np.tanh(X @ np.swapaxes(W1, -1, -2) + b1[..., None, :])   # (..., n, h)
        out = (a1 @ w2[..., None])[..., 0] + b2[..., None]             # (..., n)
        return a1, out

    def predict(self, theta, X=None):
        """Network outputs on ``X`` (the training inputs by default): shape (..., n)."""
        return self._forward(theta, self._inputs(X))[1]

    def loss(self, theta, X, y):
        return _square_loss(self.predict(theta, X) - y)

    def loss_grad(self, theta, X, y):
        # the forward and backward pass broadcast over a leading batch axis of the data as well
        X, y = self._batch(X, y)
        _, _, w2, _ = self.unpack(theta)
        a1, out = self._forward(theta, X)
        r = out - y
        dout = r / X.shape[-2]                                 # df / d out_i
        g_w2 = (dout[..., None, :] @ a1)[..., 0, :]
        g_b2 = dout.sum(axis=-1, keepdims=True)
        dz1 = dout[..., :, None] * w2[..., None, :] * (1 - a1**2)  # back through tanh
        g_W1 = np.swapaxes(dz1, -1, -2) @ X
        g_b1 = dz1.sum(axis=-2)
        lead = g_W1.shape[:-2]
        return _square_loss(r), np.concatenate([g_W1.reshape(lead + (-1,)), g_b1, g_w2, g_b2], axis=-1)


# ---------------------------------------------------------------------------
# Logistic regression
# ---------------------------------------------------------------------------

def _sigmoid(z):
    """1 / (1 + exp(-z)) without overflow for large |z|."""
    return np.exp(-np.logaddexp(0.0, -z))


class LogisticRegression(Model):
    r"""The mean logistic loss of a linear classifier, labels :math:`y_i \in \{-1, +1\}`.

    .. math:: f(w) = \frac1n \sum_{i=1}^n \log\bigl(1 + e^{-y_i\, x_i^\top w}\bigr), \qquad
              \nabla f(w) = -\frac1n \sum_{i=1}^n \sigma(-y_i\, x_i^\top w)\, y_i\, x_i,

    with :math:`\sigma(z) = 1/(1 + e^{-z})`; the model predicts
    :math:`P(y = +1 \mid x) = \sigma(x^\top w)`. ``value``, ``grad`` and ``hessian``
    take ``theta`` of shape ``(..., d)``, so one call evaluates a whole grid of runs.
    On separable data f has no minimizer (``minimizer`` is None); with an L2 penalty
    it has exactly one (:meth:`l2_minimizer`).

    With a ``temperature`` :math:`\tau > 0` the logits are
    :math:`\tau\, x_i^\top w / \lVert w\rVert`: the loss depends on the direction of
    :math:`w` only, as for a layer followed by a normalization. Its gradient is then
    orthogonal to :math:`w` and shrinks like :math:`1/\lVert w\rVert`; ``w`` must not be 0.

    Attributes
    ----------
    X, y : arrays (n, d), (n,)
    n, dim : int
    temperature : float or None

    Examples
    --------
    >>> f = LogisticRegression(np.array([[1.0, 0.0], [0.0, 2.0]]), np.array([1.0, -1.0]))
    >>> round(float(f.value(np.zeros(2))), 6)     # log 2 at w = 0
    0.693147
    >>> f.grad(np.zeros((3, 2))).shape            # a batch of three parameter vectors
    (3, 2)
    """

    def __init__(self, X, y, temperature=None, name="logistic regression"):
        self.dim = self._set_data("logistic regression", X, _pm_one_labels(y))
        if temperature is not None:
            temperature = float(_checks.nonnegative("temperature", temperature))
            if temperature == 0:
                raise ValueError("Invalid temperature: 0 (must be > 0, or None)")
        self.temperature = temperature
        self.name = name
        self.minimizer = None
        self.window = ((-3.0, 3.0), (-3.0, 3.0))

    def _weights(self, theta):
        """The weights the logits use: ``w``, or ``tau w / |w|`` with a temperature."""
        theta = self._check(theta)
        if self.temperature is not None:
            theta = self.temperature * theta / np.linalg.norm(theta, axis=-1, keepdims=True)
        return theta

    def _chain(self, theta, g):
        """The gradient with respect to ``theta`` from the one with respect to ``_weights(theta)``."""
        if self.temperature is None:
            return g
        # chain rule through u = w / |w|: project out the radial part, divide by |w|
        theta = self._check(theta)
        r = np.linalg.norm(theta, axis=-1, keepdims=True)
        u = theta / r
        g = self.temperature * g
        return (g - np.sum(g * u, axis=-1, keepdims=True) * u) / r

    def scores(self, theta, X=None):
        """The logits on ``X`` (the training inputs by default): shape (..., n).

        :math:`x_i^\\top w`, or :math:`\\tau\\, x_i^\\top w / \\lVert w\\rVert` with a ``temperature``.
        """
        X = self._inputs(X)
        return self._weights(theta) @ X.T

    predict = scores

    def loss(self, theta, X, y):
        """The same mean logistic loss on other data (a test set): shape (...)."""
        y = _pm_one_labels(y)
        return np.mean(np.logaddexp(0.0, -y * self.scores(theta, X)), axis=-1)

    # value and grad: the matrix form on the training data, as for LeastSquares
    def value(self, theta):
        return np.mean(np.logaddexp(0.0, -self.y * self.scores(theta)), axis=-1)

    def grad(self, theta):
        weights = -self.y * _sigmoid(-self.y * self.scores(theta))   # d loss_i / d score_i
        return self._chain(theta, weights @ self.X / self.n)

    def loss_grad(self, theta, X, y):
        # matmul with a vector axis, not X.T: the data may carry a batch axis per run, X (..., m, d)
        X, y = self._batch(X, y)
        margins = -y * (X @ self._weights(theta)[..., None])[..., 0]
        weights = -y * _sigmoid(margins)
        g = (weights[..., None, :] @ X)[..., 0, :] / X.shape[-2]
        return np.mean(np.logaddexp(0.0, margins), axis=-1), self._chain(theta, g)

    def hessian(self, theta):
        if self.temperature is not None:
            raise NotImplementedError("the Hessian is implemented for temperature=None only")
        p = _sigmoid(self.scores(theta))
        return np.einsum("...i,ij,ik->...jk", p * (1 - p), self.X, self.X) / self.n

    def l2_minimizer(self, weight_decay, tol=1e-12, max_steps=100):
        r"""The minimizer of :math:`f(w) + \frac{\lambda}{2}\lVert w\rVert^2` (Newton's method).

        ``weight_decay`` is :math:`\lambda > 0`, a number or a 1-D array; returns
        ``(d,)`` or ``(len(weight_decay), d)``. This is where gradient descent with
        weight decay, and Adam with an L2 penalty, settle when they converge.
        """
        if self.temperature is not None:
            raise ValueError("l2_minimizer needs temperature=None (the normalized loss ignores |w|)")
        lams = _checks.nonnegative("weight_decay", weight_decay)
        lam_arr = np.atleast_1d(np.asarray(lams, dtype=float))
        if lam_arr.ndim != 1 or np.any(lam_arr <= 0):
            raise ValueError("Invalid weight_decay: must be > 0 (a number or a 1-D array)")
        out = np.empty((lam_arr.size, self.dim))
        eye = np.eye(self.dim)
        for k, lam in enumerate(lam_arr):
            w = np.zeros(self.dim)
            F = lambda w: float(self.value(w)) + 0.5 * lam * float(w @ w)  # noqa: E731
            for _ in range(max_steps):
                g = self.grad(w) + lam * w
                if np.max(np.abs(g)) <= tol:
                    break
                step = np.linalg.solve(self.hessian(w) + lam * eye, g)
                t, f0 = 1.0, F(w)
                while F(w - t * step) > f0 and t > 1e-10:   # damped Newton: never go uphill
                    t *= 0.5
                w = w - t * step
            out[k] = w
        return out[0] if np.ndim(lams) == 0 else out
