"""Test problems: the landscapes of the lecture, vectorised over leading batch axes.

Every problem takes ``theta`` of shape ``(..., d)`` and returns values of shape
``(...)`` and gradients of shape ``(..., d)``, so one call evaluates a whole batch
of runs (a grid of learning rates, say). Each knows its minimizer and a plotting
window ``((x_min, x_max), (y_min, y_max))`` for 2-D contour plots.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

from . import _checks
from .theory import condition_number


class Problem:
    """A differentiable objective f: R^d -> R with a known minimizer."""

    name = "problem"
    dim = 2
    minimizer: np.ndarray
    window = ((-1.0, 1.0), (-1.0, 1.0))

    def value(self, theta):
        raise NotImplementedError

    def grad(self, theta):
        raise NotImplementedError

    def hessian(self, theta):
        raise NotImplementedError(f"{self.name} has no Hessian in closed form")

    def __call__(self, theta):
        return self.value(theta)

    def grid(self, n=200, window=None):
        """``X, Y, Z`` on an ``n x n`` grid over the window, for contour plots (2-D only)."""
        if self.dim != 2:
            raise ValueError(f"{self.name} is {self.dim}-dimensional; a contour grid needs 2")
        (x0, x1), (y0, y1) = window or self.window
        X, Y = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
        return X, Y, self.value(np.stack([X, Y], axis=-1))

    def _check(self, theta):
        theta = _checks.as_theta(theta)
        if theta.ndim == 0 or theta.shape[-1] != self.dim:
            raise ValueError(f"{self.name} takes theta of shape (..., {self.dim}), got {theta.shape}")
        return theta

    def __repr__(self):
        return f"<{self.name}>"


class Quadratic(Problem):
    r"""f(theta) = 1/2 (theta - c)^T H (theta - c), for a symmetric H."""

    def __init__(self, H, center=None, name="quadratic", window=None):
        H = _checks._as_float_array("H", H)
        if H.ndim != 2 or H.shape[0] != H.shape[1] or not np.allclose(H, H.T):
            raise ValueError(f"Invalid H: must be a symmetric square matrix, got shape {H.shape}")
        self.H = H
        self.dim = H.shape[0]
        self.center = np.zeros(self.dim) if center is None else _checks._as_float_array("center", center)
        self.minimizer = self.center.copy()
        self.eigenvalues = np.linalg.eigvalsh(H)
        self.name = name
        if window is not None:
            self.window = window
        else:
            self.window = tuple((c - 1.2, c + 1.2) for c in self.center[:2])

    @property
    def condition_number(self):
        """kappa = lambda_max / lambda_min (infinite when H is singular or indefinite)."""
        return condition_number(self.eigenvalues)

    def value(self, theta):
        d = self._check(theta) - self.center
        return 0.5 * np.einsum("...i,ij,...j->...", d, self.H, d)

    def grad(self, theta):
        return (self._check(theta) - self.center) @ self.H

    def hessian(self, theta):
        theta = self._check(theta)
        return np.broadcast_to(self.H, theta.shape[:-1] + self.H.shape)


def quadratic(eigenvalues, angle=0.0, center=None, name=None, window=None):
    """A 2-D (or d-D) quadratic with the given Hessian eigenvalues, rotated by ``angle`` (2-D).

    ``quadratic([10, 1])`` is the lecture's f = 1/2 (10 x^2 + y^2).

    >>> import coursecode as cc
    >>> f = cc.quadratic([10, 1])
    >>> f.grad([1.0, 10.0]).tolist(), f.condition_number
    ([10.0, 10.0], 10.0)
    """
    lam = _checks._as_float_array("eigenvalues", eigenvalues)
    H = np.diag(lam)
    if angle:
        if lam.shape != (2,):
            raise ValueError("angle rotates 2-D quadratics only")
        c, s = np.cos(angle), np.sin(angle)
        R = np.array([[c, -s], [s, c]])
        H = R @ H @ R.T
        H = 0.5 * (H + H.T)
    label = name or f"quadratic{tuple(float(x) for x in lam)}" + (f" rotated {angle:.2f}" if angle else "")
    return Quadratic(H, center, label, window)


def bowl():
    """The lecture's bowl f = x^2 + y^2 (kappa = 1)."""
    return Quadratic(np.diag([2.0, 2.0]), name="bowl x²+y²", window=((-1.2, 1.2), (-1.2, 1.2)))


def ravine():
    """The lecture's ravine f = x^2 + 5 y^2 (kappa = 5)."""
    return Quadratic(np.diag([2.0, 10.0]), name="ravine x²+5y²", window=((-1.2, 1.2), (-1.2, 1.2)))


def rotated_ravine(kappa=10.0, angle=np.pi / 4):
    """A ravine with condition number ``kappa`` whose axes are turned by ``angle``:
    no diagonal preconditioner can straighten it."""
    return quadratic([1.0, float(kappa)], angle=angle, name=f"rotated ravine κ={kappa:g}",
                     window=((-1.5, 1.5), (-1.5, 1.5)))


class Rosenbrock(Problem):
    """f = (a - x)^2 + b (y - x^2)^2: a curved, flat-bottomed valley."""

    def __init__(self, a=1.0, b=100.0):
        self.a, self.b = float(a), float(b)
        self.minimizer = np.array([self.a, self.a**2])
        self.name = "Rosenbrock"
        self.window = ((-2.0, 2.0), (-1.0, 3.0))

    def value(self, theta):
        x, y = np.moveaxis(self._check(theta), -1, 0)
        return (self.a - x) ** 2 + self.b * (y - x**2) ** 2

    def grad(self, theta):
        x, y = np.moveaxis(self._check(theta), -1, 0)
        return np.stack([-2 * (self.a - x) - 4 * self.b * x * (y - x**2), 2 * self.b * (y - x**2)], -1)

    def hessian(self, theta):
        x, y = np.moveaxis(self._check(theta), -1, 0)
        hxx = 2 - 4 * self.b * (y - 3 * x**2)
        hxy = -4 * self.b * x
        hyy = np.full_like(x, 2 * self.b)
        return np.stack([np.stack([hxx, hxy], -1), np.stack([hxy, hyy], -1)], -2)


class Saddle(Problem):
    """f = x^2 - y^2 + y^4 / 2: a saddle at the origin between minima at (0, +-1)."""

    def __init__(self):
        self.minimizer = np.array([0.0, 1.0])
        self.saddle_point = np.array([0.0, 0.0])
        self.name = "saddle"
        self.window = ((-1.5, 1.5), (-1.5, 1.5))

    def value(self, theta):
        x, y = np.moveaxis(self._check(theta), -1, 0)
        return x**2 - y**2 + 0.5 * y**4

    def grad(self, theta):
        x, y = np.moveaxis(self._check(theta), -1, 0)
        return np.stack([2 * x, -2 * y + 2 * y**3], -1)

    def hessian(self, theta):
        x, y = np.moveaxis(self._check(theta), -1, 0)
        z = np.zeros_like(x)
        return np.stack([np.stack([z + 2, z], -1), np.stack([z, -2 + 6 * y**2], -1)], -2)


class Plateau(Problem):
    """f = 1 - exp(-(x^2 + y^2) / (2 w^2)): a well in a plain whose slope vanishes exponentially."""

    def __init__(self, width=1.0):
        self.w2 = float(width) ** 2
        self.minimizer = np.zeros(2)
        self.name = "plateau"
        self.window = ((-5.0, 5.0), (-5.0, 5.0))

    def value(self, theta):
        theta = self._check(theta)
        return 1 - np.exp(-np.sum(theta**2, -1) / (2 * self.w2))

    def grad(self, theta):
        theta = self._check(theta)
        return theta / self.w2 * np.exp(-np.sum(theta**2, -1, keepdims=True) / (2 * self.w2))

    def hessian(self, theta):
        theta = self._check(theta)
        e = np.exp(-np.sum(theta**2, -1) / (2 * self.w2))[..., None, None]
        outer = theta[..., :, None] * theta[..., None, :]
        return e * (np.eye(2) / self.w2 - outer / self.w2**2)


class Cliff(Problem):
    """A shallow valley with a sharp step: f = (0.1 x^2 + y^2)/2 + h sigmoid(k (x - edge)).

    Where the step is steep the gradient is about h k / 4 (12.5 by default): one
    gradient step there throws the iterate far past the valley.
    """

    def __init__(self, height=1.0, steepness=50.0, edge=1.5):
        self.h, self.k, self.edge = float(height), float(steepness), float(edge)
        self.minimizer = np.zeros(2)  # the step's slope at x = 0 is below 1e-30
        self.name = "cliff"
        self.window = ((-4.0, 4.0), (-2.0, 2.0))

    def _sigmoid(self, x):
        return 0.5 * (1 + np.tanh(0.5 * self.k * (x - self.edge)))  # overflow-free logistic

    def value(self, theta):
        x, y = np.moveaxis(self._check(theta), -1, 0)
        return 0.5 * (0.1 * x**2 + y**2) + self.h * self._sigmoid(x)

    def grad(self, theta):
        x, y = np.moveaxis(self._check(theta), -1, 0)
        s = self._sigmoid(x)
        return np.stack([0.1 * x + self.h * self.k * s * (1 - s), y], -1)

    def hessian(self, theta):
        x, y = np.moveaxis(self._check(theta), -1, 0)
        s = self._sigmoid(x)
        z = np.zeros_like(x)
        hxx = 0.1 + self.h * self.k**2 * s * (1 - s) * (1 - 2 * s)
        return np.stack([np.stack([hxx, z], -1), np.stack([z, z + 1], -1)], -2)


def rosenbrock(a=1.0, b=100.0):
    """Rosenbrock's banana valley, minimizer (a, a^2)."""
    return Rosenbrock(a, b)


def saddle():
    """x^2 - y^2 + y^4/2: gradient descent started near the ridge lingers at the saddle."""
    return Saddle()


def plateau(width=1.0):
    """A Gaussian well: far from it the gradient all but vanishes."""
    return Plateau(width)


def cliff(height=1.0, steepness=50.0, edge=1.5):
    """A valley with a sharp step: the exploding gradient."""
    return Cliff(height, steepness, edge)


class Stochastic(Problem):
    """Wrap a problem so that ``grad`` adds Gaussian noise of standard deviation ``noise``.

    ``noise`` may be an array over coordinates (one noisy, one clean coordinate, say).
    The noise comes from ``rng``, a seeded ``numpy.random.Generator`` (or a seed):
    two runs from the same seed see the same gradients.
    """

    def __init__(self, problem, noise, rng):
        self.problem = problem
        self.noise = _checks.nonnegative("noise", noise)
        self.rng = _checks.generator("rng", rng)
        self.dim, self.minimizer, self.window = problem.dim, problem.minimizer, problem.window
        self.name = f"{problem.name} + noise"

    def value(self, theta):
        return self.problem.value(theta)

    def grad(self, theta):
        g = self.problem.grad(theta)
        return g + self.noise * self.rng.standard_normal(g.shape)

    def hessian(self, theta):
        return self.problem.hessian(theta)


def stochastic(problem, noise=0.1, rng=0):
    """``problem`` with noisy gradients: see :class:`Stochastic`."""
    return Stochastic(problem, noise, rng)


class Entry(NamedTuple):
    """One landscape of the book's menus: how it is labelled, made, started and how long it runs."""

    label: str
    factory: Callable[[], Problem]
    start: tuple
    steps: int


#: The landscapes the explorers and exercises offer: name -> :class:`Entry`.
PROBLEMS = {
    "bowl": Entry("bowl x²+y²", bowl, (-1.0, 0.8), 60),
    "ravine": Entry("ravine x²+5y²", ravine, (-1.0, 0.6), 120),
    "rotated_ravine": Entry("rotated ravine (κ=10)", rotated_ravine, (-1.2, 0.3), 100),
    "rosenbrock": Entry("Rosenbrock", rosenbrock, (-1.5, 2.0), 150),
    "saddle": Entry("saddle x²−y²+y⁴/2", saddle, (-1.2, 0.02), 100),
    "plateau": Entry("plateau (Gaussian well)", plateau, (-3.5, 2.5), 120),
    "cliff": Entry("cliff", cliff, (3.5, 1.5), 100),
}
