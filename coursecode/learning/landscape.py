r"""Looking at a loss landscape of many dimensions: directions, 2-D slices, the Hessian.

Following Li et al. (2018), Visualizing the loss landscape of neural nets: pick
two random directions, rescale them filter by filter to the weights
(:func:`filter_normalize`, :func:`random_directions`), and evaluate the loss on
the plane they span (:func:`slice_2d`). The curvature at a point comes from
:func:`numerical_hessian`. Every function takes plain arrays and a loss or
gradient callable, so it works for any problem, not only the models of this package.
"""
from __future__ import annotations

import numpy as np

from .. import _checks


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
    >>> from coursecode.learning import tiny_mlp_problem
    >>> mlp = tiny_mlp_problem(seed=0)
    >>> d1, d2 = random_directions(mlp.theta0, seed=1, filters=mlp.filters, ignore=mlp.biases)
    >>> f = mlp.filters[0]
    >>> bool(np.isclose(np.linalg.norm(d1[f]), np.linalg.norm(mlp.theta0[f])))
    True
    >>> float(np.abs(d2[mlp.biases]).max())
    0.0
    """
    theta = np.asarray(theta, dtype=float)
    rng = _checks.generator("seed", seed)
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
