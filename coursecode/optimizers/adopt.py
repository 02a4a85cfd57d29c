"""ADOPT (Taniguchi et al. 2024): normalize by the previous second moment, then average."""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import _checks
from ._base import Optimizer, zeros


class AdoptState(NamedTuple):
    t: int
    m: np.ndarray
    v: np.ndarray


class Adopt(Optimizer):
    name = "adopt"
    State = AdoptState
    _arrays = ("beta1", "beta2", "eps")

    def __init__(self, lr=1e-3, beta1=0.9, beta2=0.9999, eps=1e-6):
        super().__init__(lr)
        self.beta1 = _checks.unit_interval("beta1", beta1)
        self.beta2 = _checks.unit_interval("beta2", beta2)
        self.eps = _checks.nonnegative("eps", eps)

    def _init_fields(self, theta):
        return zeros(theta), zeros(theta)

    def _update(self, theta, g, state, lr):
        beta1, beta2 = self.beta1, self.beta2
        t = state.t + 1
        if t == 1:                                                  # step 1 only stores the gradient:
            return theta.copy(), AdoptState(t, state.m.copy(), g**2)  # v_1 = g_1^2, theta_1 = theta_0
        clip = (t - 1) ** 0.25                                      # c_t = (t - 1)^(1/4)
        u = np.clip(g / np.maximum(np.sqrt(state.v), self.eps), -clip, clip)  # 2. normalize by v_{t-1}
        m = beta1 * state.m + (1 - beta1) * u                       # 3. momentum after the normalization
        theta = theta - lr * m                                      # 4. step
        v = beta2 * state.v + (1 - beta2) * g**2                    # 5. only now g_t enters v
        return theta, AdoptState(t, m, v)


def adopt(lr=1e-3, beta1=0.9, beta2=0.9999, eps=1e-6):
    r"""ADOPT (Taniguchi et al. 2024): Adam that converges for any :math:`\beta_2`.

    Two changes to Adam. The gradient is divided by the second moment of the
    *previous* step, before :math:`g_t` enters it, and the momentum averages the
    normalized gradients instead of being normalized afterwards. Step 1 only
    initializes :math:`v`; each later step :math:`t \ge 2` computes

    .. math::
        u_t &= \operatorname{clip}\Bigl(\frac{g_t}{\max(\sqrt{v_{t-1}}, \epsilon)},
               \ -c_t,\ c_t\Bigr), \qquad c_t = (t-1)^{1/4} \\
        m_t &= \beta_1 m_{t-1} + (1-\beta_1)\, u_t \\
        \theta_t &= \theta_{t-1} - \gamma\, m_t \\
        v_t &= \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2

    with :math:`v_1 = g_1^2`, :math:`m_1 = 0` and :math:`\theta_1 = \theta_0`. There is
    no bias correction.

    Equals ``optax.contrib.adopt(learning_rate=lr, b1=beta1, b2=beta2, eps=eps)`` with
    its defaults (``use_clipping=True``, clip value ``count ** 0.25``, no Nesterov) in
    float64; a schedule ``lr(t)`` here is optax's ``learning_rate(t - 1)``, since optax
    counts from 0.

    Differences from the paper. The paper computes :math:`v_0 = g_0^2` from a gradient at
    :math:`\theta_0` before its step 1; optax, the authors' PyTorch code and coursecode
    spend their first step on it, so the paper's step :math:`s` is step :math:`s + 1`
    here and its clip value :math:`s^{1/4}` is :math:`c_t = (t-1)^{1/4}`. The clip comes
    from the authors' revised version and implementation (recommended there for
    stability early in training; the bound grows with :math:`t`, so it keeps the
    guarantee); the paper's first algorithm has none. coursecode always clips, as optax
    does by default.

    Parameters
    ----------
    lr : float, array or callable, default 1e-3
        :math:`\gamma`; an array runs a batch of settings, a callable ``t -> lr`` a schedule.
    beta1, beta2 : float or array in [0, 1), defaults 0.9 and 0.9999
    eps : float or array >= 0, default 1e-6
        The floor of :math:`\sqrt{v_{t-1}}` (a maximum, not a sum as in Adam).

    References
    ----------
    S. Taniguchi et al. (2024), ADOPT: modified Adam can converge with any beta2 with
    the optimal rate. NeurIPS. arXiv:2411.02853.

    Examples
    --------
    >>> import numpy as np, coursecode as cc
    >>> opt = cc.adopt(lr=0.1)
    >>> theta, state = opt.step(np.zeros(2), np.array([3.0, -4.0]), opt.init(np.zeros(2)))
    >>> theta.tolist(), state.v.tolist()          # step 1 only stores g_1^2
    ([0.0, 0.0], [9.0, 16.0])
    >>> theta, state = opt.step(theta, np.array([6.0, -4.0]), state)
    >>> theta.round(6).tolist()                   # g_2 / sqrt(v_1) = 2 and -1, clipped to c_2 = 1
    [-0.01, 0.01]
    """
    return Adopt(lr, beta1, beta2, eps)
