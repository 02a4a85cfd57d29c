"""Small seeded data sets and models for the book's experiments (numpy only).

The problems here are real learning problems, kept tiny so that every chapter
runs in seconds on a laptop. They follow the interface of
:mod:`coursecode.problems`: ``value(theta)`` and ``grad(theta)`` take
parameters of shape ``(..., d)`` (leading axes are a batch of parameter
vectors) and return values of shape ``(...)`` and gradients of shape
``(..., d)``, so :func:`coursecode.run` and the plotting helpers accept them.

Contents
--------
Linear regression (chapter 1: normalizing the inputs is not the cure)
    :func:`correlated_inputs`, :func:`standardize`, :class:`LeastSquares`,
    :func:`least_squares`, :func:`linear_regression`.
A tiny multilayer perceptron (chapter 1: a real loss landscape)
    :class:`TinyMLP`, :func:`tiny_mlp_problem`.
Looking at a landscape (Li et al. 2018)
    :func:`random_directions`, :func:`filter_normalize`, :func:`slice_2d`,
    :func:`numerical_hessian`.

Randomness
----------
Every function that draws random numbers takes ``seed``: an int or a
``numpy.random.Generator``. The same seed gives the same data, the same
initial weights and the same directions, on every machine.

References
----------
H. Li, Z. Xu, G. Taylor, C. Studer, T. Goldstein (2018), Visualizing the loss
landscape of neural nets. NeurIPS.
"""
from __future__ import annotations

import numpy as np

from . import _checks
from .problems import Problem

__all__ = [
    "correlated_inputs", "standardize", "LeastSquares", "least_squares", "linear_regression",
    "TinyMLP", "tiny_mlp_problem",
    "random_directions", "filter_normalize", "slice_2d", "numerical_hessian",
]


def _rng(seed):
    """A ``numpy.random.Generator`` from an int seed (or the generator itself)."""
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return np.random.default_rng(int(seed))
    raise ValueError(f"Invalid seed: {seed!r} (must be an int or a numpy.random.Generator)")


# ---------------------------------------------------------------------------
# Linear regression
# ---------------------------------------------------------------------------

def correlated_inputs(n=200, rho=0.9, scales=(1.0, 1.0), seed=0):
    r"""Draw ``n`` Gaussian feature vectors whose features are correlated.

    Every pair of features has correlation ``rho`` (an equicorrelated Gaussian),
    and feature ``j`` has standard deviation ``scales[j]``:

    .. math:: x \sim \mathcal N(0, S C S), \quad C = (1-\rho) I + \rho \mathbf 1 \mathbf 1^\top,
              \quad S = \mathrm{diag}(\text{scales}).

    Parameters
    ----------
    n : int
        Number of samples.
    rho : float in (-1/(d-1), 1)
        Correlation between any two features.
    scales : sequence of float
        Standard deviation of each feature; its length is the number of features d.
    seed : int or numpy.random.Generator

    Returns
    -------
    X : array (n, d)

    Examples
    --------
    >>> X = correlated_inputs(n=20000, rho=0.8, scales=(1.0, 10.0), seed=0)
    >>> X.shape
    (20000, 2)
    >>> round(float(np.corrcoef(X.T)[0, 1]), 2), np.round(X.std(axis=0)).tolist()
    (0.8, [1.0, 10.0])
    """
    n = _checks.integer("n", n, minimum=1)
    scales = _checks._as_float_array("scales", scales)
    if scales.ndim != 1 or np.any(scales <= 0):
        raise ValueError(f"Invalid scales: {scales.tolist()} (must be a list of positive numbers)")
    d = scales.size
    rho = float(_checks._as_float_array("rho", rho))
    C = (1 - rho) * np.eye(d) + rho * np.ones((d, d))
    if np.linalg.eigvalsh(C)[0] <= 0:
        raise ValueError(f"Invalid rho: {rho} (the correlation matrix of {d} features must be "
                         "positive definite)")
    Z = _rng(seed).standard_normal((n, d))
    return (Z @ np.linalg.cholesky(C).T) * scales


def standardize(X):
    """Shift and scale each column of ``X`` to mean 0 and standard deviation 1.

    This is the usual input normalization; it removes differences of scale
    between features but keeps their correlations.

    Examples
    --------
    >>> X = standardize(np.array([[1.0, 10.0], [2.0, 30.0], [3.0, 50.0]]))
    >>> np.round(X.mean(axis=0), 12).tolist(), np.round(X.std(axis=0), 12).tolist()
    ([0.0, 0.0], [1.0, 1.0])
    """
    X = np.asarray(X, dtype=float)
    std = X.std(axis=0)
    if np.any(std == 0):
        raise ValueError("standardize: a column of X is constant")
    return (X - X.mean(axis=0)) / std


class LeastSquares(Problem):
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
        X = _checks._as_float_array("X", X)
        y = _checks._as_float_array("y", y)
        if X.ndim != 2 or y.shape != (X.shape[0],):
            raise ValueError(f"least squares needs X of shape (n, d) and y of shape (n,), "
                             f"got {X.shape} and {y.shape}")
        self.X, self.y = X, y
        self.n, self.dim = X.shape
        self.H = X.T @ X / self.n
        self.eigenvalues = np.linalg.eigvalsh(self.H)
        self.minimizer = np.linalg.lstsq(X, y, rcond=None)[0]
        self.name = name
        if window is None:
            window = tuple((c - 1.5, c + 1.5) for c in self.minimizer[:2])
        self.window = window

    @property
    def condition_number(self):
        """kappa = lambda_max / lambda_min of the Hessian (infinite when singular)."""
        lo, hi = self.eigenvalues[0], self.eigenvalues[-1]
        return float(hi / lo) if lo > 0 else float("inf")

    def residual(self, theta):
        """X w - y for each parameter vector: shape (..., n)."""
        return self._check(theta) @ self.X.T - self.y

    def value(self, theta):
        r = self.residual(theta)
        return 0.5 * np.mean(r**2, axis=-1)

    def grad(self, theta):
        return self.residual(theta) @ self.X / self.n

    def hessian(self, theta):
        theta = self._check(theta)
        return np.broadcast_to(self.H, theta.shape[:-1] + self.H.shape)


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


def linear_regression(n=200, rho=0.9, scales=(1.0, 1.0), w_true=None, noise=0.1, seed=0,
                      standardized=True):
    r"""A seeded linear-regression problem with correlated features.

    Features come from :func:`correlated_inputs` (``standardized=True``
    standardizes them afterwards), targets are :math:`y = X w_{\text{true}} + \text{noise}\,\varepsilon`
    with :math:`\varepsilon \sim \mathcal N(0, 1)`.

    With two standardized features of correlation :math:`\rho` the Hessian is
    (up to sampling error) :math:`\begin{pmatrix}1&\rho\\\rho&1\end{pmatrix}`, with
    eigenvalues :math:`1 \pm \rho` and condition number :math:`(1+\rho)/(1-\rho)`.

    Parameters
    ----------
    n : int
    rho : float
        Correlation between the features.
    scales : sequence of float
        Standard deviations of the raw features (their number is d).
    w_true : array (d,), optional
        The true weights; ``(1, -1, 1, ...)`` by default.
    noise : float
        Standard deviation of the label noise.
    seed : int or numpy.random.Generator
    standardized : bool
        Standardize the features (mean 0, standard deviation 1) before making targets.

    Returns
    -------
    LeastSquares

    Examples
    --------
    >>> f = linear_regression(n=5000, rho=0.9, seed=0)
    >>> round(f.condition_number)       # (1 + 0.9) / (1 - 0.9) = 19
    19
    >>> g = linear_regression(n=5000, rho=0.0, scales=(1.0, 10.0), seed=0, standardized=False)
    >>> round(g.condition_number, -1)   # 10^2: the scales alone
    100.0
    """
    rng = _rng(seed)
    X = correlated_inputs(n, rho, scales, rng)
    if standardized:
        X = standardize(X)
    d = X.shape[1]
    if w_true is None:
        w_true = np.where(np.arange(d) % 2 == 0, 1.0, -1.0)
    w_true = _checks._as_float_array("w_true", w_true)
    if w_true.shape != (d,):
        raise ValueError(f"Invalid w_true: shape {w_true.shape}, expected ({d},)")
    noise = float(_checks.nonnegative("noise", noise))
    y = X @ w_true + noise * rng.standard_normal(n)
    kind = "standardized" if standardized else "raw"
    return LeastSquares(X, y, name=f"linear regression ({kind}, ρ={float(rho):g})")


# ---------------------------------------------------------------------------
# A tiny multilayer perceptron
# ---------------------------------------------------------------------------

class TinyMLP(Problem):
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
        A seeded initialization (weights with variance 1 / fan-in, biases 0).
    filters : list of index arrays
        The incoming weights of each neuron (the rows of ``W_1``, then ``w_2``):
        the "filters" of Li et al. (2018) for a fully connected network.
    biases : index array
        Positions of ``b_1`` and ``b_2`` in ``theta``.
    """

    def __init__(self, X, y, hidden=8, seed=0, name="tiny MLP"):
        X = _checks._as_float_array("X", X)
        y = _checks._as_float_array("y", y)
        if X.ndim != 2 or y.shape != (X.shape[0],):
            raise ValueError(f"TinyMLP needs X of shape (n, p) and y of shape (n,), got {X.shape} and {y.shape}")
        self.X, self.y = X, y
        self.n, self.p = X.shape
        self.hidden = h = _checks.integer("hidden", hidden, minimum=1)
        self.dim = h * (self.p + 2) + 1
        self.name = name
        self.minimizer = None  # unknown: a neural network has many
        self.window = None
        # slices of the flat parameter vector
        p = self.p
        self._W1 = slice(0, h * p)
        self._b1 = slice(h * p, h * p + h)
        self._w2 = slice(h * p + h, h * p + 2 * h)
        self._b2 = slice(h * p + 2 * h, h * p + 2 * h + 1)
        index = np.arange(self.dim)
        self.filters = [index[self._W1][k * p:(k + 1) * p] for k in range(h)] + [index[self._w2]]
        self.biases = np.concatenate([index[self._b1], index[self._b2]])
        rng = _rng(seed)
        theta0 = np.zeros(self.dim)
        theta0[self._W1] = rng.standard_normal(h * p) / np.sqrt(p)
        theta0[self._w2] = rng.standard_normal(h) / np.sqrt(h)
        self.theta0 = theta0

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
        X = self.X if X is None else _checks._as_float_array("X", X)
        return self._forward(theta, X)[1]

    def value(self, theta):
        r = self.predict(theta) - self.y
        return 0.5 * np.mean(r**2, axis=-1)

    def grad(self, theta):
        _, _, w2, _ = self.unpack(theta)
        a1, out = self._forward(theta, self.X)
        dout = (out - self.y) / self.n                         # df / d out_i
        g_w2 = (dout[..., None, :] @ a1)[..., 0, :]
        g_b2 = dout.sum(axis=-1, keepdims=True)
        dz1 = dout[..., :, None] * w2[..., None, :] * (1 - a1**2)  # back through tanh
        g_W1 = np.swapaxes(dz1, -1, -2) @ self.X
        g_b1 = dz1.sum(axis=-2)
        lead = g_W1.shape[:-2]
        return np.concatenate([g_W1.reshape(lead + (-1,)), g_b1, g_w2, g_b2], axis=-1)


def tiny_mlp_problem(seed=0, n=64, hidden=8, noise=0.05):
    r"""A seeded regression task for a tanh network with one hidden layer.

    Inputs are ``n`` points drawn uniformly from :math:`[-2, 2]^2` and then
    standardized; targets are :math:`y = \sin(1.5\,x_1) + 0.5\cos(2\,x_2) + \text{noise}\,\varepsilon`.
    The network has ``hidden`` tanh units, so ``4 * hidden + 1`` parameters
    (33 by default). The same seed draws the data and the initial weights.

    Returns
    -------
    TinyMLP
        Its ``theta0`` is the seeded initialization; train it with
        ``coursecode.run(opt, problem, problem.theta0, steps)``.

    Examples
    --------
    >>> import coursecode as cc
    >>> mlp = tiny_mlp_problem(seed=0)
    >>> mlp.dim, mlp.X.shape
    (33, (64, 2))
    >>> traj = cc.run(cc.gd(lr=0.5), mlp, mlp.theta0, steps=300)
    >>> bool(traj.losses[-1] < 0.5 * traj.losses[0])
    True
    """
    rng = _rng(seed)
    n = _checks.integer("n", n, minimum=1)
    raw = rng.uniform(-2.0, 2.0, size=(n, 2))
    y = np.sin(1.5 * raw[:, 0]) + 0.5 * np.cos(2.0 * raw[:, 1])
    y = y + float(_checks.nonnegative("noise", noise)) * rng.standard_normal(n)
    return TinyMLP(standardize(raw), y, hidden=hidden, seed=rng, name=f"tiny MLP ({hidden} tanh units)")


# ---------------------------------------------------------------------------
# Looking at a landscape
# ---------------------------------------------------------------------------

def filter_normalize(direction, theta, filters=None, ignore=None):
    r"""Rescale ``direction`` filter by filter to the norms of ``theta`` (Li et al. 2018).

    For every filter (group of indices) :math:`j`,
    :math:`d_j \leftarrow d_j \,\lVert\theta_j\rVert / \lVert d_j\rVert`, so a step
    of length 1 along ``direction`` changes every neuron's weights by as much as
    the weights themselves. This removes the scale invariance of networks that
    otherwise makes plots of different networks incomparable. Entries listed
    in ``ignore`` (biases, by Li et al.'s default) are set to zero. Without
    ``filters`` the whole vector is one filter.

    Parameters
    ----------
    direction, theta : arrays (d,)
    filters : list of index arrays, optional
    ignore : index array, optional

    Returns
    -------
    array (d,), a new array.

    Examples
    --------
    >>> theta = np.array([3.0, 4.0, 1.0, 7.0])
    >>> d = filter_normalize(np.array([1.0, 0.0, 2.0, 5.0]), theta, filters=[[0, 1], [2]], ignore=[3])
    >>> np.round(d, 6).tolist()
    [5.0, 0.0, 1.0, 0.0]
    """
    theta = np.asarray(theta, dtype=float)
    d = np.array(direction, dtype=float)
    if d.shape != theta.shape or d.ndim != 1:
        raise ValueError(f"direction and theta must be vectors of the same shape, got {d.shape} and {theta.shape}")
    groups = [np.arange(d.size)] if filters is None else [np.asarray(f, dtype=int) for f in filters]
    for idx in groups:
        d[idx] *= np.linalg.norm(theta[idx]) / (np.linalg.norm(d[idx]) + 1e-10)
    if ignore is not None:
        d[np.asarray(ignore, dtype=int)] = 0.0
    return d


def random_directions(theta, seed=0, filters=None, ignore=None, n=2):
    """``n`` random Gaussian directions, filter-normalized to ``theta``.

    For a :class:`TinyMLP` pass ``filters=problem.filters, ignore=problem.biases``
    (Li et al.'s filter normalization with biases left fixed).

    Returns
    -------
    array (n, d)

    Examples
    --------
    >>> mlp = tiny_mlp_problem(seed=0)
    >>> d1, d2 = random_directions(mlp.theta0, seed=1, filters=mlp.filters, ignore=mlp.biases)
    >>> f = mlp.filters[0]
    >>> bool(np.isclose(np.linalg.norm(d1[f]), np.linalg.norm(mlp.theta0[f])))
    True
    >>> float(np.abs(d2[mlp.biases]).max())
    0.0
    """
    theta = np.asarray(theta, dtype=float)
    rng = _rng(seed)
    n = _checks.integer("n", n, minimum=1)
    return np.stack([filter_normalize(rng.standard_normal(theta.shape), theta, filters, ignore)
                     for _ in range(n)])


def slice_2d(loss, theta_star, d1, d2, alphas, betas, vectorized=True):
    r"""The loss on the plane through ``theta_star`` spanned by ``d1`` and ``d2``.

    .. math:: Z_{ij} = f(\theta^\star + \alpha_j d_1 + \beta_i d_2)

    Parameters
    ----------
    loss : callable
        ``theta (..., d) -> value (...)`` (a problem's ``value``); with
        ``vectorized=False`` it is called on one vector at a time.
    theta_star, d1, d2 : arrays (d,)
    alphas, betas : 1-D arrays
        Coordinates along ``d1`` and ``d2``.

    Returns
    -------
    Z : array (len(betas), len(alphas))
        Ready for ``plt.contour(alphas, betas, Z)``.

    Examples
    --------
    >>> bowl = lambda th: np.sum(th**2, axis=-1)
    >>> Z = slice_2d(bowl, np.zeros(3), np.array([1.0, 0, 0]), np.array([0, 1.0, 0]),
    ...              alphas=[-1.0, 0.0, 1.0], betas=[0.0, 2.0])
    >>> Z.tolist()
    [[1.0, 0.0, 1.0], [5.0, 4.0, 5.0]]
    """
    theta_star, d1, d2 = (np.asarray(a, dtype=float) for a in (theta_star, d1, d2))
    A, B = np.meshgrid(np.asarray(alphas, dtype=float), np.asarray(betas, dtype=float))
    thetas = theta_star + A[..., None] * d1 + B[..., None] * d2
    if vectorized:
        return np.asarray(loss(thetas), dtype=float)
    return np.array([[float(loss(t)) for t in row] for row in thetas])


def numerical_hessian(grad, theta, h=1e-5):
    r"""The Hessian at ``theta`` by central differences of the gradient, symmetrized.

    :math:`H_{:,k} \approx (\nabla f(\theta + h e_k) - \nabla f(\theta - h e_k)) / 2h`;
    one batched call of ``grad`` when it accepts ``(..., d)``. Accurate to about
    :math:`h^2`: enough to read off eigenvalues and condition numbers.

    Examples
    --------
    >>> import coursecode as cc
    >>> H = numerical_hessian(cc.ravine().grad, np.array([0.3, -0.2]))
    >>> np.round(H, 6).tolist()
    [[2.0, 0.0], [0.0, 10.0]]
    """
    theta = np.asarray(theta, dtype=float)
    E = h * np.eye(theta.size)
    G = (np.asarray(grad(theta + E)) - np.asarray(grad(theta - E))) / (2 * h)
    return 0.5 * (G + G.T)


# ---------------------------------------------------------------------------
# Implicit bias (chapter 9): over-parameterized least squares, the
# construction of Wilson et al. (2017), minibatch gradients, a tiny classifier
# ---------------------------------------------------------------------------
# (appended; the imports below serve only this section)
import copy as _copy  # noqa: E402
from typing import NamedTuple as _NamedTuple  # noqa: E402


def overparameterized_least_squares(n=20, d=50, noise=0.1, seed=0):
    r"""A seeded least-squares problem with fewer equations than unknowns (``n < d``).

    Inputs are standard Gaussian, :math:`X_{ij} \sim \mathcal N(0, 1)`; targets are
    :math:`y = X w_{\text{true}} + \text{noise}\,\varepsilon` with
    :math:`w_{\text{true}} \sim \mathcal N(0, I/d)` and :math:`\varepsilon \sim \mathcal N(0, I)`.
    With ``n < d`` the matrix ``X`` has full row rank (with probability one), so
    infinitely many weight vectors interpolate the data, :math:`X w = y`: they form the
    affine set :math:`X^+ y + \operatorname{null}(X)`. The one of smallest Euclidean
    norm is :math:`X^+ y` (``np.linalg.pinv(X) @ y``), which is also
    ``problem.minimizer`` (``np.linalg.lstsq`` returns it).

    Parameters
    ----------
    n, d : int, with 1 <= n < d
        Number of data points and of weights.
    noise : float
        Standard deviation of the label noise (any ``y`` can be interpolated).
    seed : int or numpy.random.Generator

    Returns
    -------
    X : array (n, d)
    y : array (n,)
    problem : LeastSquares
        :math:`f(w) = \frac{1}{2n}\lVert Xw - y\rVert^2`.

    Examples
    --------
    >>> X, y, problem = overparameterized_least_squares(n=5, d=12, seed=0)
    >>> X.shape, problem.dim
    ((5, 12), 12)
    >>> w_min = np.linalg.pinv(X) @ y
    >>> bool(np.allclose(X @ w_min, y)), bool(np.allclose(problem.minimizer, w_min))
    (True, True)
    >>> int(np.sum(problem.eigenvalues > 1e-10))    # rank n: d - n flat directions
    5
    """
    n = _checks.integer("n", n, minimum=1)
    d = _checks.integer("d", d, minimum=1)
    if n >= d:
        raise ValueError(f"Invalid n, d: {n}, {d} (over-parameterized means n < d)")
    noise = float(_checks.nonnegative("noise", noise))
    rng = _rng(seed)
    X = rng.standard_normal((n, d))
    w_true = rng.standard_normal(d) / np.sqrt(d)
    y = X @ w_true + noise * rng.standard_normal(n)
    problem = LeastSquares(X, y, name=f"over-parameterized least squares (n={n}, d={d})")
    return X, y, problem


class WilsonData(_NamedTuple):
    """Training and test data of :func:`wilson_data`, and the training loss."""

    X: np.ndarray
    y: np.ndarray
    problem: LeastSquares
    X_test: np.ndarray
    y_test: np.ndarray


def _wilson_rows(labels, starts, d):
    """Rows [y, 1, 1, private features] with one private feature for y = +1, five for y = -1."""
    rows = np.zeros((labels.size, d))
    rows[:, 0] = labels
    rows[:, 1:3] = 1.0
    for i, (label, start) in enumerate(zip(labels, starts)):
        rows[i, start:start + (1 if label > 0 else 5)] = 1.0
    return rows


def wilson_data(n=60, p=0.55, seed=0, n_test=1000):
    r"""The binary classification problem of Wilson et al. (2017), Section 3.3.

    ``n`` labels are drawn independently, :math:`y_i = +1` with probability ``p``
    and :math:`-1` otherwise. Point :math:`i` has :math:`d = 6n` features (1-based
    indices, as in the paper):

    .. math::
        x_{ij} = \begin{cases}
        y_i & j = 1,\\
        1 & j = 2, 3,\\
        1 & j = 4 + 5(i-1), \dots, 4 + 5(i-1) + 2(1 - y_i),\\
        0 & \text{otherwise.}
        \end{cases}

    Feature 1 is the label itself, features 2 and 3 are always on, and every point
    owns a block of five columns of which it switches on the first one (a positive
    point) or all five (a negative point). No two training points share a private
    feature. The training loss is least squares, :math:`f(w) = \frac{1}{2n}\lVert Xw - y\rVert^2`.

    When the sample has more positive than negative labels,
    :math:`X \operatorname{sign}(X^\top y) = 4y`; by the paper's Lemma 3.1 AdaGrad,
    RMSProp and Adam started at :math:`w = 0` then move along
    :math:`\operatorname{sign}(X^\top y)`, which scores every new point positive.
    Gradient descent reaches the minimum-norm solution, which classifies new points
    by their first feature.

    Test points come from the same model. A new point's private features are, by
    construction, features that no training point has; here they sit in the last
    :math:`d - (5n + 3) = n - 3` columns, which every training point leaves at zero
    (so the gradient never touches their weights, and every method started at 0
    keeps them at 0). Which of those columns a test point uses is drawn at random.

    Parameters
    ----------
    n : int >= 8
        Number of training points (at least 8, so that a negative test point's five
        private features fit into the unused columns).
    p : float in (0, 1)
        Probability of a positive label; the paper takes p > 1/2.
    seed : int or numpy.random.Generator
    n_test : int
        Number of test points.

    Returns
    -------
    WilsonData
        ``X (n, 6n)``, ``y (n,)``, ``problem`` (a :class:`LeastSquares`),
        ``X_test (n_test, 6n)``, ``y_test (n_test,)``.

    References
    ----------
    A. C. Wilson, R. Roelofs, M. Stern, N. Srebro, B. Recht (2017), The marginal value
    of adaptive gradient methods in machine learning. NeurIPS, Section 3.3.

    Examples
    --------
    >>> data = wilson_data(n=60, p=0.55, seed=0)
    >>> data.X.shape, data.X_test.shape
    ((60, 360), (1000, 360))
    >>> data.y[:4].tolist(), np.count_nonzero(data.X[:4], axis=1).tolist()   # 3 + 5 or 3 + 1 features
    ([-1.0, 1.0, 1.0, 1.0], [8, 4, 4, 4])
    >>> bool(np.sum(data.y) > 0)
    True
    >>> s = np.sign(data.X.T @ data.y)
    >>> bool(np.array_equal(data.X @ s, 4 * data.y))
    True
    """
    n = _checks.integer("n", n, minimum=8)
    n_test = _checks.integer("n_test", n_test, minimum=1)
    p = float(_checks._as_float_array("p", p))
    if not 0.0 < p < 1.0:
        raise ValueError(f"Invalid p: {p} (must be a probability strictly between 0 and 1)")
    rng = _rng(seed)
    d = 6 * n
    y = np.where(rng.random(n) < p, 1.0, -1.0)
    X = _wilson_rows(y, 3 + 5 * np.arange(n), d)          # block of point i starts at column 4 + 5(i-1)
    y_test = np.where(rng.random(n_test) < p, 1.0, -1.0)
    first_free = 5 * n + 3                                  # columns no training point uses
    widths = np.where(y_test > 0, 1, 5)
    starts = first_free + rng.integers(0, d - first_free - widths + 1)
    X_test = _wilson_rows(y_test, starts, d)
    problem = LeastSquares(X, y, name=f"Wilson et al. construction (n={n}, p={p:g})")
    return WilsonData(X, y, problem, X_test, y_test)


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
    problem : LeastSquares or TinyMLP
    batch_size : int, 1 <= batch_size <= problem.n
    seed : int or numpy.random.Generator

    Examples
    --------
    >>> import coursecode as cc
    >>> X, y, f = overparameterized_least_squares(n=10, d=30, noise=0.0, seed=1)
    >>> g = minibatch_grad(f, batch_size=10, seed=0)        # the whole data set
    >>> w = np.ones(30)
    >>> bool(np.allclose(g(w), f.grad(w)))
    True
    >>> sgd = cc.run(cc.gd(lr=0.02), minibatch_grad(f, 1, seed=0), np.zeros(30), 3000)
    >>> bool(np.allclose(sgd.final, np.linalg.pinv(X) @ y, atol=1e-6))
    True
    """
    if not isinstance(problem, (LeastSquares, TinyMLP)):
        raise ValueError(f"minibatch_grad needs a LeastSquares or TinyMLP problem, got {type(problem).__name__}")
    b = _checks.integer("batch_size", batch_size, minimum=1)
    if b > problem.n:
        raise ValueError(f"Invalid batch_size: {b} (the problem has {problem.n} training points)")
    rng = _rng(seed)

    def grad(theta):
        theta = problem._check(theta)
        lead = theta.shape[:-1]
        idx = np.argsort(rng.random(lead + (problem.n,)), axis=-1)[..., :b]   # (..., b), distinct
        Xb, yb = problem.X[idx], problem.y[idx]
        if isinstance(problem, LeastSquares):
            r = np.einsum("...bd,...d->...b", Xb, theta) - yb
            return np.einsum("...b,...bd->...d", r, Xb) / b
        sub = _copy.copy(problem)            # TinyMLP's forward and backward pass broadcast over
        sub.X, sub.y, sub.n = Xb, yb, b      # a leading batch axis of the data as well
        return sub.grad(theta)

    return grad


def error_rate(scores, y):
    """Fraction of points misclassified by the sign of ``scores`` (a score of 0 counts as an error).

    ``scores (..., n)``, labels ``y (n,)`` in {-1, +1}; returns shape ``(...)``.

    >>> error_rate(np.array([[2.0, -1.0, 0.5, 0.0], [1.0, 1.0, 1.0, 1.0]]), np.array([1.0, -1.0, -1.0, 1.0]))
    array([0.5, 0.5])
    """
    scores = np.asarray(scores, dtype=float)
    return np.mean(np.asarray(y) * scores <= 0, axis=-1)


def two_moons(n, noise=0.2, extra=8, seed=0):
    r"""Two interleaved half circles in the plane, plus ``extra`` irrelevant Gaussian inputs.

    Label +1 points lie near :math:`(\cos t, \sin t)`, label -1 points near
    :math:`(1 - \cos t, \tfrac12 - \sin t)`, :math:`t \sim U[0, \pi]`, both with Gaussian
    noise of standard deviation ``noise``; labels are +1 or -1 with probability 1/2.
    The ``extra`` columns are standard Gaussian noise that carries no information
    about the label: a model with many weights can still fit them.

    Returns
    -------
    X : array (n, 2 + extra), y : array (n,)

    Examples
    --------
    >>> X, y = two_moons(500, extra=3, seed=0)
    >>> X.shape, sorted(set(y.tolist()))
    ((500, 5), [-1.0, 1.0])
    """
    n = _checks.integer("n", n, minimum=1)
    extra = _checks.integer("extra", extra)
    noise = float(_checks.nonnegative("noise", noise))
    rng = _rng(seed)
    y = np.where(rng.random(n) < 0.5, 1.0, -1.0)
    t = rng.uniform(0.0, np.pi, n)
    upper = np.stack([np.cos(t), np.sin(t)], axis=1)
    lower = np.stack([1.0 - np.cos(t), 0.5 - np.sin(t)], axis=1)
    xy = np.where(y[:, None] > 0, upper, lower) + noise * rng.standard_normal((n, 2))
    return np.concatenate([xy, rng.standard_normal((n, extra))], axis=1), y


class ClassificationTask(_NamedTuple):
    """A :class:`TinyMLP` trained on ±1 labels, with held-out test data (:func:`mlp_classification`)."""

    problem: TinyMLP
    X_test: np.ndarray
    y_test: np.ndarray

    def inits(self, seeds):
        """Initial weights for each seed in ``seeds`` (TinyMLP's initialization): shape (len(seeds), d)."""
        mlp = self.problem
        return np.stack([TinyMLP(mlp.X, mlp.y, hidden=mlp.hidden, seed=int(s)).theta0 for s in seeds])

    def test_error(self, theta):
        """Test error of the sign of the network's output, for ``theta (..., d)``."""
        return error_rate(self.problem.predict(theta, self.X_test), self.y_test)

    def train_error(self, theta):
        """Training error, for ``theta (..., d)``."""
        return error_rate(self.problem.predict(theta), self.problem.y)


def mlp_classification(seed=0, n_train=80, n_test=2000, hidden=16, noise=0.2, extra=8):
    r"""A small over-parameterized classification task for a train/test experiment.

    Data come from :func:`two_moons` (two informative inputs, ``extra`` irrelevant
    ones); both sets are standardized with the training mean and standard deviation.
    The model is a :class:`TinyMLP` with ``hidden`` tanh units trained with the
    square loss on the ±1 labels (least-squares classification, as in Wilson et
    al.); it predicts the sign of its output. With the defaults the network has
    ``hidden * (2 + extra + 2) + 1 = 193`` weights for 80 training points.

    Returns
    -------
    ClassificationTask
        ``problem`` (a TinyMLP whose ``theta0`` is the seeded initialization),
        ``X_test``, ``y_test``, and the helpers ``inits(seeds)``,
        ``train_error(theta)``, ``test_error(theta)``.

    Examples
    --------
    >>> import coursecode as cc
    >>> task = mlp_classification(seed=0)
    >>> task.problem.dim, task.problem.X.shape, task.X_test.shape
    (193, (80, 10), (2000, 10))
    >>> traj = cc.run(cc.adam(lr=1e-2), task.problem, task.problem.theta0, steps=300)
    >>> float(task.train_error(traj.final)), bool(task.test_error(traj.final) < 0.4)
    (0.0, True)
    """
    rng = _rng(seed)
    n_train = _checks.integer("n_train", n_train, minimum=2)
    X, y = two_moons(n_train + _checks.integer("n_test", n_test, minimum=1), noise, extra, rng)
    mean, std = X[:n_train].mean(axis=0), X[:n_train].std(axis=0)
    X = (X - mean) / std
    problem = TinyMLP(X[:n_train], y[:n_train], hidden=hidden, seed=rng,
                      name=f"tiny MLP classifier ({hidden} tanh units)")
    return ClassificationTask(problem, X[n_train:], y[n_train:])


__all__ += ["overparameterized_least_squares", "WilsonData", "wilson_data", "minibatch_grad",
            "error_rate", "two_moons", "ClassificationTask", "mlp_classification"]


# ---------------------------------------------------------------------------
# Logistic regression (chapter 8: tuning Adam + L2 and AdamW on a grid)
# ---------------------------------------------------------------------------
# (appended; everything below is vectorized over leading batch axes of theta)

def _sigmoid(z):
    """1 / (1 + exp(-z)) without overflow for large |z|."""
    return np.exp(-np.logaddexp(0.0, -z))


def _pm_one_labels(y):
    y = _checks._as_float_array("y", y)
    if not np.all(np.abs(y) == 1.0):
        raise ValueError("Invalid y: labels must be -1 or +1")
    return y


class LogisticRegression(Problem):
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
        X = _checks._as_float_array("X", X)
        y = _pm_one_labels(y)
        if X.ndim != 2 or y.shape != (X.shape[0],):
            raise ValueError(f"logistic regression needs X of shape (n, d) and y of shape (n,), "
                             f"got {X.shape} and {y.shape}")
        self.X, self.y = X, y
        self.n, self.dim = X.shape
        if temperature is not None:
            temperature = float(_checks.nonnegative("temperature", temperature))
            if temperature == 0:
                raise ValueError("Invalid temperature: 0 (must be > 0, or None)")
        self.temperature = temperature
        self.name = name
        self.minimizer = None
        self.window = ((-3.0, 3.0), (-3.0, 3.0))

    def scores(self, theta, X=None):
        """The logits on ``X`` (the training inputs by default): shape (..., n).

        :math:`x_i^\\top w`, or :math:`\\tau\\, x_i^\\top w / \\lVert w\\rVert` with a ``temperature``.
        """
        X = self.X if X is None else _checks._as_float_array("X", X)
        theta = self._check(theta)
        if self.temperature is not None:
            theta = self.temperature * theta / np.linalg.norm(theta, axis=-1, keepdims=True)
        return theta @ X.T

    def loss(self, theta, X, y):
        """The same mean logistic loss on other data (a test set): shape (...)."""
        y = _pm_one_labels(y)
        return np.mean(np.logaddexp(0.0, -y * self.scores(theta, X)), axis=-1)

    def value(self, theta):
        return np.mean(np.logaddexp(0.0, -self.y * self.scores(theta)), axis=-1)

    def grad(self, theta):
        weights = -self.y * _sigmoid(-self.y * self.scores(theta))   # d loss_i / d score_i
        g = weights @ self.X / self.n
        if self.temperature is None:
            return g
        # chain rule through u = w / |w|: project out the radial part, divide by |w|
        theta = self._check(theta)
        r = np.linalg.norm(theta, axis=-1, keepdims=True)
        u = theta / r
        g = self.temperature * g
        return (g - np.sum(g * u, axis=-1, keepdims=True) * u) / r

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


def accuracy(theta, X, y):
    """Fraction of points ``X (n, d)`` whose label ``y`` in {-1, +1} the sign of ``X w`` gets right.

    ``theta (..., d)``; returns shape ``(...)``. A score of exactly 0 counts as wrong.

    >>> accuracy(np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([[2.0, 1.0], [-1.0, 3.0]]), np.array([1.0, 1.0]))
    array([0.5, 1. ])
    """
    theta = _checks._as_float_array("theta", theta)
    return 1.0 - error_rate(theta @ _checks._as_float_array("X", X).T, _pm_one_labels(y))


class LogisticData(_NamedTuple):
    """Training and test data of :func:`logistic_data`, the training loss and the true weights."""

    X: np.ndarray
    y: np.ndarray
    problem: LogisticRegression
    X_test: np.ndarray
    y_test: np.ndarray
    w_true: np.ndarray

    def test_loss(self, theta):
        """Mean logistic loss on the test set, for ``theta (..., d)``."""
        return self.problem.loss(theta, self.X_test, self.y_test)

    def test_accuracy(self, theta):
        """Test accuracy of the sign of ``X_test w``, for ``theta (..., d)``."""
        return accuracy(theta, self.X_test, self.y_test)


def logistic_data(n=60, d=50, seed=0, n_test=2000, scales=None, signal=3.0):
    r"""A seeded binary classification problem drawn from a logistic model.

    Inputs are Gaussian with feature :math:`j` of standard deviation ``scales[j]``
    (1 by default), :math:`x_{ij} = s_j z_{ij}`, :math:`z_{ij} \sim \mathcal N(0, 1)`.
    The true weights are a Gaussian direction scaled so that the true logit
    :math:`x^\top w_{\text{true}}` has standard deviation ``signal``; labels are
    :math:`+1` with probability :math:`\sigma(x^\top w_{\text{true}})`, else :math:`-1`.
    A small ``signal`` means noisy labels; ``n`` close to ``d`` means few data per
    weight, where a penalty on the weights pays off on the test set.

    Parameters
    ----------
    n, d : int
        Training points and features.
    seed : int or numpy.random.Generator
        Draws the true weights, then the training set, then the test set.
    n_test : int
    scales : array (d,) of positive numbers, optional
        Per-feature standard deviations: unequal scales give the coordinates of
        ``w`` gradients of unequal size.
    signal : float > 0

    Returns
    -------
    LogisticData
        ``X, y, problem`` (a :class:`LogisticRegression` on the training set),
        ``X_test, y_test, w_true`` and ``test_loss(theta)``, ``test_accuracy(theta)``.

    Examples
    --------
    >>> data = logistic_data(n=40, d=5, seed=0)
    >>> data.X.shape, data.X_test.shape, sorted(set(data.y.tolist()))
    ((40, 5), (2000, 5), [-1.0, 1.0])
    >>> round(float(np.std(data.X_test @ data.w_true)), 1)    # the true logit's spread
    3.0
    >>> round(float(data.test_loss(np.zeros(5))), 6)        # log 2 at w = 0
    0.693147
    """
    n = _checks.integer("n", n, minimum=1)
    d = _checks.integer("d", d, minimum=1)
    n_test = _checks.integer("n_test", n_test, minimum=1)
    signal = float(_checks.nonnegative("signal", signal))
    if signal <= 0:
        raise ValueError("Invalid signal: 0 (must be > 0)")
    if scales is None:
        scales = np.ones(d)
    scales = _checks._as_float_array("scales", scales)
    if scales.shape != (d,) or np.any(scales <= 0):
        raise ValueError(f"Invalid scales: must be {d} positive numbers, got shape {scales.shape}")
    rng = _rng(seed)
    z = rng.standard_normal(d)
    w_true = signal * z / np.sqrt(np.sum((scales * z) ** 2))

    def draw(m):
        X = rng.standard_normal((m, d)) * scales
        y = np.where(rng.random(m) < _sigmoid(X @ w_true), 1.0, -1.0)
        return X, y

    X, y = draw(n)
    X_test, y_test = draw(n_test)
    problem = LogisticRegression(X, y, name=f"logistic regression (n={n}, d={d})")
    return LogisticData(X, y, problem, X_test, y_test, w_true)


__all__ += ["LogisticRegression", "LogisticData", "logistic_data", "accuracy"]
