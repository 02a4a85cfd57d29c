r"""Online linear problems on [-1, 1] (Reddi, Kale & Kumar 2018) and regret.

At step t (1, 2, ...) the learner plays x_t, then sees f_t(x) = c_t x with
gradient c_t. Regret against the best fixed point in hindsight:

.. math:: R_T = \sum_{t=1}^T c_t x_t - \min_{x \in [-1, 1]} \sum_{t=1}^T c_t x
              = \sum_{t=1}^T c_t x_t + \Bigl|\sum_{t=1}^T c_t\Bigr|
"""
from __future__ import annotations

import numpy as np

from . import _checks


class OnlineLinear:
    """f_t(x) = c_t x on the feasible set [-1, 1]; ``x`` has shape ``(..., 1)``."""

    online = True
    dim = 1
    domain = (-1.0, 1.0)

    def __init__(self, coefficients, name, minimizer):
        self._block = coefficients  # t (integer array, in order) -> c_t
        self._table = np.empty(0)
        self.name = name
        self.minimizer = np.array([float(minimizer)])

    def coefficient(self, t):
        """c_t for t = 1, 2, ... (an int or an integer array)."""
        scalar = isinstance(t, (int, np.integer))
        lo, need = (t, t) if scalar else (np.min(t), np.max(t))
        if lo < 1:
            raise ValueError("online steps are counted from t = 1")
        if need > self._table.size:  # tabulate in blocks, in order: a scalar look-up is then cheap
            more = np.arange(self._table.size + 1, max(need, 2 * self._table.size, 4096) + 1)
            self._table = np.concatenate([self._table, self._block(more)])
        return self._table[t - 1] if scalar else self._table[np.asarray(t) - 1]

    def value(self, x, t):
        return self.coefficient(t) * _checks.as_theta(x)[..., 0]

    def grad(self, x, t):
        x = _checks.as_theta(x)
        return np.full(x.shape, self.coefficient(t))

    def project(self, x):
        """Euclidean projection onto [-1, 1]."""
        return np.clip(x, *self.domain)

    def regret(self, xs):
        """R_t for t = 1..T from the played points ``xs`` of shape ``(T, ..., 1)``."""
        xs = _checks.as_theta(xs)[..., 0]
        c = self.coefficient(np.arange(1, xs.shape[0] + 1)).reshape((-1,) + (1,) * (xs.ndim - 1))
        return np.cumsum(c * xs, axis=0) + np.abs(np.cumsum(c, axis=0))

    def __repr__(self):
        return f"<{self.name}>"


def reddi_cycle(C=3.0):
    """The lecture's counterexample: c_t = C when t mod 3 = 1, else -1 (C > 2, optimum x = -1).

    >>> import coursecode as cc
    >>> cc.reddi_cycle(C=3).coefficient([1, 2, 3, 4]).tolist()
    [3.0, -1.0, -1.0, 3.0]
    """
    C = _checks.nonnegative("C", C)
    if not isinstance(C, float) or C <= 2:
        raise ValueError(f"Invalid C: {C} (must be > 2 so that the optimum is x = -1)")
    return OnlineLinear(lambda t: np.where(t % 3 == 1, C, -1.0), f"C={C:g}, -1, -1 cycle", -1.0)


def reddi_spike(big=1010.0, small=-10.0, period=101):
    """Reddi et al.'s Section 5 problem: c_t = big when t mod period = 1, else small.

    With the defaults a period sums to 1010 - 100 * 10 = 10 > 0: the optimum is x = -1.
    """
    period = _checks.integer("period", period, minimum=2)
    total = big + (period - 1) * small
    return OnlineLinear(lambda t: np.where(t % period == 1, float(big), float(small)),
                        f"{big:g} every {period} steps, else {small:g}", -np.sign(total))


def reddi_stochastic(big=1010.0, small=-10.0, p=0.01, rng=0):
    """The stochastic version: c_t = big with probability p, else small, drawn from ``rng``.

    Coefficients are drawn in order and tabulated, so c_t is the same however often
    it is asked for, and two problems built from the same seed agree.
    """
    rng = _checks.generator("rng", rng)
    p = float(_checks.unit_interval("p", p))

    def coefficients(t):  # called with t in order, so the draws follow the seed's sequence
        return np.where(rng.random(t.size) < p, float(big), float(small))

    mean = p * big + (1 - p) * small
    return OnlineLinear(coefficients, f"{big:g} w.p. {p:g}, else {small:g}", -np.sign(mean))
