r"""Seeded synthetic data for the chapters' experiments: the data sets and the problems built on them.

Each generator draws its random numbers from ``seed`` (an int or a
``numpy.random.Generator``, through :func:`coursecode._checks.generator`), always in
the same order: the same seed gives the same data, the same initial weights and
the same test set, on every machine. Passing a Generator continues its stream,
which is how a generator that builds on another (``mlp_classification`` on
``two_moons``) stays one seeded draw.

The data sets with training and test data come back as a
:class:`~coursecode.learning.datasets.Dataset`, which unpacks as ``X, y, problem``;
the problems alone (``linear_regression``, ``tiny_mlp_problem``) come back as the
model.

Linear regression (chapter 1)
    :func:`correlated_inputs`, :func:`linear_regression`.
A regression task for the tiny network (chapter 1)
    :func:`tiny_mlp_problem`.
Implicit bias (chapter 9)
    :func:`overparameterized_least_squares`, :func:`wilson_data` (Wilson et al. 2017),
    :func:`two_moons`, :func:`mlp_classification`.
Logistic regression (chapter 8)
    :func:`logistic_data`.
"""
from __future__ import annotations

import numpy as np

from .. import _checks
from .datasets import Dataset, standardize
from .models import LeastSquares, LogisticRegression, TinyMLP, _sigmoid


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
    Z = _checks.generator("seed", seed).standard_normal((n, d))
    return (Z @ np.linalg.cholesky(C).T) * scales


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
    rng = _checks.generator("seed", seed)
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
    rng = _checks.generator("seed", seed)
    n = _checks.integer("n", n, minimum=1)
    raw = rng.uniform(-2.0, 2.0, size=(n, 2))
    y = np.sin(1.5 * raw[:, 0]) + 0.5 * np.cos(2.0 * raw[:, 1])
    y = y + float(_checks.nonnegative("noise", noise)) * rng.standard_normal(n)
    return TinyMLP(standardize(raw), y, hidden=hidden, seed=rng, name=f"tiny MLP ({hidden} tanh units)")


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
    Dataset
        Unpacks as ``X (n, d)``, ``y (n,)``, ``problem``, a :class:`LeastSquares`:
        :math:`f(w) = \frac{1}{2n}\lVert Xw - y\rVert^2`. No test set.

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
    rng = _checks.generator("seed", seed)
    X = rng.standard_normal((n, d))
    w_true = rng.standard_normal(d) / np.sqrt(d)
    y = X @ w_true + noise * rng.standard_normal(n)
    problem = LeastSquares(X, y, name=f"over-parameterized least squares (n={n}, d={d})")
    return Dataset(X, y, problem)


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
    Dataset
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
    rng = _checks.generator("seed", seed)
    d = 6 * n
    y = np.where(rng.random(n) < p, 1.0, -1.0)
    X = _wilson_rows(y, 3 + 5 * np.arange(n), d)          # block of point i starts at column 4 + 5(i-1)
    y_test = np.where(rng.random(n_test) < p, 1.0, -1.0)
    first_free = 5 * n + 3                                  # columns no training point uses
    widths = np.where(y_test > 0, 1, 5)
    starts = first_free + rng.integers(0, d - first_free - widths + 1)
    X_test = _wilson_rows(y_test, starts, d)
    problem = LeastSquares(X, y, name=f"Wilson et al. construction (n={n}, p={p:g})")
    return Dataset(X, y, problem, X_test, y_test)


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
    rng = _checks.generator("seed", seed)
    y = np.where(rng.random(n) < 0.5, 1.0, -1.0)
    t = rng.uniform(0.0, np.pi, n)
    upper = np.stack([np.cos(t), np.sin(t)], axis=1)
    lower = np.stack([1.0 - np.cos(t), 0.5 - np.sin(t)], axis=1)
    xy = np.where(y[:, None] > 0, upper, lower) + noise * rng.standard_normal((n, 2))
    return np.concatenate([xy, rng.standard_normal((n, extra))], axis=1), y


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
    Dataset
        ``X, y`` (the standardized training set), ``problem`` (a TinyMLP whose ``theta0``
        is the seeded initialization), ``X_test``, ``y_test``, and the helpers
        ``inits(seeds)``, ``train_error(theta)``, ``test_error(theta)``.

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
    rng = _checks.generator("seed", seed)
    n_train = _checks.integer("n_train", n_train, minimum=2)
    X, y = two_moons(n_train + _checks.integer("n_test", n_test, minimum=1), noise, extra, rng)
    mean, std = X[:n_train].mean(axis=0), X[:n_train].std(axis=0)
    X = (X - mean) / std
    problem = TinyMLP(X[:n_train], y[:n_train], hidden=hidden, seed=rng,
                      name=f"tiny MLP classifier ({hidden} tanh units)")
    return Dataset(X[:n_train], y[:n_train], problem, X[n_train:], y[n_train:])


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
    Dataset
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
    rng = _checks.generator("seed", seed)
    z = rng.standard_normal(d)
    w_true = signal * z / np.sqrt(np.sum((scales * z) ** 2))

    def draw(m):
        X = rng.standard_normal((m, d)) * scales
        y = np.where(rng.random(m) < _sigmoid(X @ w_true), 1.0, -1.0)
        return X, y

    X, y = draw(n)
    X_test, y_test = draw(n_test)
    problem = LogisticRegression(X, y, name=f"logistic regression (n={n}, d={d})")
    return Dataset(X, y, problem, X_test, y_test, w_true)
