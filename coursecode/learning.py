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
