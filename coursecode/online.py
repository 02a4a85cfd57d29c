r"""Online linear problems on [-1, 1] (Reddi, Kale & Kumar 2018) and regret.

The book's count: the learner starts at x_0; at step t (1, 2, ...) it plays its
current point x_{t-1}, then sees f_t(x) = c_t x with gradient g_t = c_t, and
steps to x_t. Regret against the best fixed point in hindsight:

.. math:: R_T = \sum_{t=1}^T c_t x_{t-1} - \min_{x \in [-1, 1]} \sum_{t=1}^T c_t x
              = \sum_{t=1}^T c_t x_{t-1} + \Bigl|\sum_{t=1}^T c_t\Bigr|
"""
from __future__ import annotations

from typing import NamedTuple

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


class OnlineRows:
    r"""Online linear losses with one coefficient sequence per row: f_t(x_j) = c[t-1, j] x_j.

    ``c`` has shape ``(T, B)``; ``cc.run`` then plays B different games in one batch
    (``theta0`` of shape ``(B, 1)``), for instance the cycle for a grid of values of C,
    with hyperparameter arrays of shape ``(B, 1)`` next to it.

    >>> import numpy as np, coursecode as cc
    >>> from coursecode.online import OnlineRows
    >>> t = np.arange(1, 601)[:, None]
    >>> rows = OnlineRows(np.where(t % 3 == 1, np.array([3.0, 20.0]), -1.0))  # C = 3 and C = 20
    >>> traj = cc.run(cc.adam(lr=0.05, beta1=0.0, beta2=0.1), rows, np.zeros((2, 1)), 600)
    >>> np.sign(traj.final[:, 0]).tolist()          # Adam fails on the first cycle only
    [1.0, -1.0]
    """

    online = True
    dim = 1
    domain = (-1.0, 1.0)

    def __init__(self, c):
        c = _checks.as_theta(c, "c")
        if c.ndim != 2 or not np.all(np.isfinite(c)):
            raise ValueError(f"c must be a finite array of shape (T, B), got shape {c.shape}")
        self.c = c

    def coefficient(self, t):
        """c_t of every row (shape (B,)) for t = 1, 2, ..., T."""
        if not 1 <= t <= self.c.shape[0]:
            raise ValueError(f"step {t} is outside 1..{self.c.shape[0]}")
        return self.c[t - 1]

    def grad(self, x, t):
        return np.broadcast_to(self.coefficient(t)[:, None], np.shape(x)).copy()

    def value(self, x, t):
        return self.coefficient(t) * _checks.as_theta(x)[..., 0]

    def project(self, x):
        return np.clip(x, *self.domain)

    def regret(self, xs):
        """R_t for t = 1..T and every row, from the played points ``xs`` of shape ``(T, B, 1)``."""
        xs = _checks.as_theta(xs)[..., 0]
        c = self.c[:xs.shape[0]]
        return np.cumsum(c * xs, axis=0) + np.abs(np.cumsum(c, axis=0))


#: The update rules :func:`linear_runs` knows, with what ``cc`` optimizer each one equals.
RULES = {
    "adam": "cc.adam",
    "amsgrad": "cc.amsgrad (Reddi et al., Algorithm 2)",
    "amsgrad_torch": "cc.amsgrad(bias_correction=True) (PyTorch)",
    "amsgrad_optax": 'cc.amsgrad(bias_correction=True, max_of="corrected") (optax)',
    "adopt": "cc.adopt",
}


class LinearRuns(NamedTuple):
    """What :func:`linear_runs` returns."""
    x: np.ndarray        #: x_0 .. x_T, shape (T + 1, B)
    scale: np.ndarray    #: what the last step divided by (without eps), shape (B,)


def _correction(beta, t):
    """1 - beta^t, shape (T, n); beta^t is not computed where it is below 1e-17 (1 - it rounds to 1)."""
    with np.errstate(divide="ignore"):
        last = np.where(beta > 0, np.ceil(np.log(1e-17) / np.log(np.maximum(beta, 1e-300))), 1)
    return 1 - beta ** np.minimum(t, last)


def _steps(name, c, t, gamma, beta1, beta2, eps):
    """The steps x_{t-1} - x_t before projection (T, n) of one update rule, and its last denominator."""
    n = c.shape[1]
    new_v = (1 - beta2) * c**2
    if name == "adopt":
        new_v[0] = c[0] ** 2                                        # v_1 = g_1^2
    v = _ema(new_v, beta2, np.zeros(n))                             # v_t = beta2 v_{t-1} + (1 - beta2) g_t^2
    if name == "adopt":
        with np.errstate(divide="ignore", invalid="ignore"):
            normalizer = np.maximum(np.sqrt(np.vstack([np.zeros((1, n)), v[:-1]])), eps)   # max(sqrt(v_{t-1}), eps)
            u = np.clip(c / normalizer, -((t - 1.0) ** 0.25), (t - 1.0) ** 0.25)
        u[0] = 0.0                                                  # step 1 only sets v
        m = _ema((1 - beta1) * u, beta1, np.zeros(n))              # momentum of the normalized gradients
        return gamma * m, normalizer[-1]
    m = _ema((1 - beta1) * c, beta1, np.zeros(n))                   # m_t = beta1 m_{t-1} + (1 - beta1) g_t
    if name == "amsgrad":                                           # Reddi et al.: no correction at all
        denominator = np.sqrt(np.maximum.accumulate(v, axis=0))
        return gamma * m / (denominator + eps), denominator[-1]
    bc1, bc2 = _correction(beta1, t), _correction(beta2, t)
    if name == "adam":
        denominator = np.sqrt(v / bc2)
    elif name == "amsgrad_torch":                                   # the maximum of raw v, then corrected
        denominator = np.sqrt(np.maximum.accumulate(v, axis=0) / bc2)
    else:                                                           # optax: the maximum of corrected v
        denominator = np.sqrt(np.maximum.accumulate(v / bc2, axis=0))
    return gamma * (m / bc1) / (denominator + eps), denominator[-1]


def _step_sizes(lr, T):
    """gamma_t for t = 1..T, shape (T, 1): a number, or a schedule called on all steps at once if it can."""
    if not callable(lr):
        return np.full((T, 1), float(_checks.nonnegative("lr", lr)))
    t = np.arange(1, T + 1)
    try:
        gamma = np.broadcast_to(np.asarray(lr(t), dtype=float), (T,))
    except (TypeError, ValueError):  # a schedule written for one t at a time
        gamma = np.array([float(lr(k)) for k in t])
    return _checks.nonnegative("lr", gamma)[:, None]


def _per_run(name, value, B):
    _checks.broadcasts_to(name, value, (B,))
    return np.broadcast_to(value, (B,)).astype(float)


def _ema(b, a, carry, block=4096):
    """y_t = a y_{t-1} + b_t for t = 1..T, every column at once (y_0 = carry), by blocks of steps.

    Inside a block, a doubling scan (y[s:] += a^s y[:-s] for s = 1, 2, 4, ...) replaces
    the loop over t; the rounding differs from the loop's in the last bits only."""
    out = np.empty_like(b)
    for start in range(0, b.shape[0], block):
        y = b[start:start + block].copy()
        power, s = a.copy(), 1
        while s < y.shape[0]:
            y[s:] += power * y[:-s]
            power, s = power * power, 2 * s
        y += a ** np.arange(1, y.shape[0] + 1)[:, None] * carry
        out[start:start + block], carry = y, y[-1]
    return out


def linear_runs(c, rule, lr, beta1, beta2, eps, x0=0.0):
    r"""Run B optimizers on B online linear problems on [-1, 1] at once, fast.

    Row j plays f_t(x) = c[t-1, j] x with update rule ``rule[j]`` (a key of
    :data:`RULES`), its own ``beta1[j]``, ``beta2[j]``, ``eps[j]``, the step size
    ``lr(t)`` (t = 1, 2, ...) and the projection onto [-1, 1] after every step:
    the arithmetic of ``cc.run(opt, problem, ...)`` for the optimizer of
    :data:`RULES`, without its checks and records. Because a linear loss has the same
    gradient wherever x is, the moments depend on c only: they are computed for all
    steps at once, and only the projected sum of the steps is a loop: for 10^5 steps
    more than ten times faster than ``cc.run``. ``tests/test_ch7.py`` checks every
    rule against ``cc.run``.

    Parameters
    ----------
    c : array (T, B)
    rule : sequence of B keys of :data:`RULES`
    lr : callable ``t -> step size`` or a number
    beta1, beta2, eps : numbers or arrays of shape (B,)
    x0 : the starting point of every run

    Returns
    -------
    LinearRuns(x, scale): x_0 .. x_T of shape (T + 1, B), and the denominator of
    the last step without eps (ADOPT: the normalizer max(sqrt(v_{T-1}), eps)).

    Examples
    --------
    >>> import numpy as np, coursecode as cc
    >>> from coursecode.online import linear_runs
    >>> c = cc.reddi_cycle(C=3).coefficient(np.arange(1, 1501))[:, None].repeat(3, axis=1)
    >>> runs = linear_runs(c, ["adam", "amsgrad", "adopt"], 0.01, 0.0, 0.1, [1e-8, 1e-8, 1e-6])
    >>> runs.x[-1].round(2).tolist()        # Adam at the worst point, the other two at the optimum
    [1.0, -0.99, -0.99]
    """
    c = _checks.as_theta(c, "c")
    if c.ndim != 2 or not np.all(np.isfinite(c)):
        raise ValueError(f"c must be a finite array of shape (T, B), got shape {c.shape}")
    T, B = c.shape
    rule = [_checks.choice("rule", r, tuple(RULES)) for r in rule]
    if len(rule) != B:
        raise ValueError(f"rule names {len(rule)} update rules for {B} columns of c")
    kind = {r: np.array([x == r for x in rule]) for r in RULES}
    b1, b2, eps = (_per_run(name, check(name, value), B) for name, check, value in
                   [("beta1", _checks.unit_interval, beta1), ("beta2", _checks.unit_interval, beta2),
                    ("eps", _checks.nonnegative, eps)])
    t = np.arange(1, T + 1)[:, None]
    gamma = _step_sizes(lr, T)

    step, scale = np.empty((T, B)), np.empty(B)
    for name, cols in kind.items():
        if np.any(cols):
            step[:, cols], scale[cols] = _steps(name, c[:, cols], t, gamma, b1[cols], b2[cols], eps[cols])

    x = np.full(B, float(x0))
    xs = np.empty((T + 1, B))
    xs[0] = x
    for k in range(T):  # the only loop: x_t = Proj(x_{t-1} - step_t)
        np.subtract(x, step[k], out=x)
        np.minimum(np.maximum(x, -1.0, out=x), 1.0, out=x)
        xs[k + 1] = x
    return LinearRuns(xs, scale)
