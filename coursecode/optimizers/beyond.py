"""After Adam: Adamax, NAdam, RAdam (as in PyTorch), Lion and AdaBelief (as in their papers)."""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import _checks
from ._base import Optimizer, zeros


class AdamaxState(NamedTuple):
    t: int
    m: np.ndarray
    u: np.ndarray


class NAdamState(NamedTuple):
    t: int
    m: np.ndarray
    v: np.ndarray
    mu_product: float


class RAdamState(NamedTuple):
    t: int
    m: np.ndarray
    v: np.ndarray


class LionState(NamedTuple):
    t: int
    m: np.ndarray


class AdaBeliefState(NamedTuple):
    t: int
    m: np.ndarray
    s: np.ndarray


class _TwoBetas(Optimizer):
    _arrays = ("beta1", "beta2", "eps")

    def __init__(self, lr, beta1, beta2, eps, weight_decay=0.0, decoupled=False):
        super().__init__(lr, weight_decay, decoupled)
        self.beta1 = _checks.unit_interval("beta1", beta1)
        self.beta2 = _checks.unit_interval("beta2", beta2)
        self.eps = _checks.nonnegative("eps", eps)

    def _init_fields(self, theta):
        return zeros(theta), zeros(theta)


class Adamax(_TwoBetas):
    name = "adamax"
    State = AdamaxState

    def _update(self, theta, g, state, lr):
        beta1, beta2 = self.beta1, self.beta2
        t = state.t + 1
        m = beta1 * state.m + (1 - beta1) * g
        u = np.maximum(beta2 * state.u, np.abs(g) + self.eps)   # infinity norm replaces sqrt(v)
        theta = theta - lr / (1 - beta1**t) * m / u
        return theta, AdamaxState(t, m, u)


class NAdam(_TwoBetas):
    name = "nadam"
    State = NAdamState
    _arrays = ("beta1", "beta2", "eps", "momentum_decay")

    def __init__(self, lr, beta1, beta2, eps, momentum_decay, weight_decay=0.0, decoupled=False,
                 momentum_schedule=True):
        super().__init__(lr, beta1, beta2, eps, weight_decay, decoupled)
        self.momentum_decay = _checks.nonnegative("momentum_decay", momentum_decay)
        self.momentum_schedule = _checks.flag("momentum_schedule", momentum_schedule)

    def _init_fields(self, theta):
        return zeros(theta), zeros(theta), 1.0

    def _mu(self, t):
        """The momentum coefficient mu_t: PyTorch's warm-up schedule, or beta1 at every step."""
        if not self.momentum_schedule:
            return self.beta1                                   # Dozat's constant momentum (optax)
        return self.beta1 * (1 - 0.5 * 0.96 ** (t * self.momentum_decay))

    def _update(self, theta, g, state, lr):
        beta1, beta2 = self.beta1, self.beta2
        t = state.t + 1
        mu, mu_next = self._mu(t), self._mu(t + 1)              # momentum coefficients mu_t, mu_{t+1}
        mu_product = state.mu_product * mu
        m = beta1 * state.m + (1 - beta1) * g
        v = beta2 * state.v + (1 - beta2) * g**2
        denom = np.sqrt(v / (1 - beta2**t)) + self.eps
        # Nesterov: the current gradient and the *next* momentum, each with its own correction
        theta = (theta - lr * (1 - mu) / (1 - mu_product) * g / denom
                 - lr * mu_next / (1 - mu_product * mu_next) * m / denom)
        return theta, NAdamState(t, m, v, mu_product)


class RAdam(_TwoBetas):
    name = "radam"
    State = RAdamState

    def _update(self, theta, g, state, lr):
        beta1, beta2 = self.beta1, self.beta2
        t = state.t + 1
        m = beta1 * state.m + (1 - beta1) * g
        v = beta2 * state.v + (1 - beta2) * g**2
        m_hat = m / (1 - beta1**t)
        rho_inf = 2 / (1 - beta2) - 1                           # length of the SMA at t = infinity
        rho_t = rho_inf - 2 * t * beta2**t / (1 - beta2**t)
        with np.errstate(divide="ignore", invalid="ignore"):    # rect is used only where rho_t > 5
            rect = np.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
        adaptive = np.sqrt(1 - beta2**t) / (np.sqrt(v) + self.eps)
        step = np.where(rho_t > 5, m_hat * lr * adaptive * rect, m_hat * lr)
        return theta - step, RAdamState(t, m, v)


class Lion(Optimizer):
    name = "lion"
    State = LionState
    _arrays = ("beta1", "beta2")

    def __init__(self, lr, beta1, beta2, weight_decay):
        super().__init__(lr, weight_decay, decoupled=True)
        self.beta1 = _checks.unit_interval("beta1", beta1)
        self.beta2 = _checks.unit_interval("beta2", beta2)

    def _init_fields(self, theta):
        return (zeros(theta),)

    def _update(self, theta, g, state, lr):
        c = self.beta1 * state.m + (1 - self.beta1) * g         # interpolate, then take the sign
        theta = theta - lr * np.sign(c)
        m = self.beta2 * state.m + (1 - self.beta2) * g         # the momentum itself decays with beta2
        return theta, LionState(state.t + 1, m)


class AdaBelief(_TwoBetas):
    name = "adabelief"
    State = AdaBeliefState

    def _update(self, theta, g, state, lr):
        beta1, beta2, eps = self.beta1, self.beta2, self.eps
        t = state.t + 1
        m = beta1 * state.m + (1 - beta1) * g
        s = beta2 * state.s + (1 - beta2) * (g - m) ** 2 + eps  # belief: spread around the prediction m
        m_hat = m / (1 - beta1**t)
        s_hat = s / (1 - beta2**t)
        theta = theta - lr * m_hat / (np.sqrt(s_hat) + eps)
        return theta, AdaBeliefState(t, m, s)


def adamax(lr=2e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
    r"""Adamax (Kingma & Ba 2015, Algorithm 2): the infinity-norm variant of Adam.

    .. math::
        u_t = \max(\beta_2 u_{t-1}, |g_t| + \epsilon), \qquad
        \theta_t = \theta_{t-1} - \frac{\gamma}{1-\beta_1^t} \frac{m_t}{u_t}

    Equals ``torch.optim.Adamax`` (which adds :math:`\epsilon` inside the max).

    Examples
    --------
    >>> import numpy as np, coursecode as cc
    >>> opt = cc.adamax(lr=0.1, eps=0.0)
    >>> theta, _ = opt.step(np.zeros(1), np.array([-4.0]), opt.init(np.zeros(1)))
    >>> round(float(theta[0]), 6)
    0.1
    """
    return Adamax(lr, beta1, beta2, eps, weight_decay)


def nadam(lr=2e-3, beta1=0.9, beta2=0.999, eps=1e-8, momentum_decay=4e-3, weight_decay=0.0,
          decoupled=False, momentum_schedule=True):
    r"""NAdam: Adam with Nesterov momentum (Dozat 2016), as ``torch.optim.NAdam``.

    .. math::
        \mu_t &= \beta_1 \bigl(1 - \tfrac12\, 0.96^{t\psi}\bigr), \\
        \theta_t &= \theta_{t-1}
          - \gamma \frac{1-\mu_t}{1-\prod_{i\le t}\mu_i} \frac{g_t}{\sqrt{\hat v_t}+\epsilon}
          - \gamma \frac{\mu_{t+1}}{1-\prod_{i\le t+1}\mu_i} \frac{m_t}{\sqrt{\hat v_t}+\epsilon}

    with :math:`\psi` = ``momentum_decay``: PyTorch's schedule, which starts at
    :math:`\mu_1 \approx \beta_1 / 2` and reaches :math:`\beta_1` only after tens of
    thousands of steps. ``momentum_schedule=False`` turns the schedule off,
    :math:`\mu_t = \beta_1` at every step (``momentum_decay`` is then unused); the
    step becomes

    .. math::
        \theta_t = \theta_{t-1} - \gamma\,
          \Big(\frac{\beta_1 m_t}{1-\beta_1^{t+1}} + \frac{(1-\beta_1)\, g_t}{1-\beta_1^t}\Big)
          \Big/ \big(\sqrt{\hat v_t}+\epsilon\big),

    which is ``optax.nadam`` (with its defaults ``eps_root=0`` and no weight decay).

    Examples
    --------
    >>> import numpy as np, coursecode as cc
    >>> opt = cc.nadam()
    >>> theta, state = opt.step(np.zeros(1), np.ones(1), opt.init(np.zeros(1)))
    >>> state.t, bool(theta[0] < 0)
    (1, True)

    On a constant gradient the first step of the optax form is
    :math:`\gamma\,(\beta_1 (1-\beta_1)/(1-\beta_1^2) + 1) = 1.47368\,\gamma`
    (with :math:`\epsilon = 0`); PyTorch's weaker early momentum gives a shorter one:

    >>> optax_form = cc.nadam(lr=1.0, eps=0.0, momentum_schedule=False)
    >>> torch_form = cc.nadam(lr=1.0, eps=0.0)
    >>> [round(float(-o.step(np.zeros(1), np.ones(1), o.init(np.zeros(1)))[0][0]), 5)
    ...  for o in (optax_form, torch_form)]
    [1.47368, 1.05645]
    """
    return NAdam(lr, beta1, beta2, eps, momentum_decay, weight_decay, decoupled, momentum_schedule)


def radam(lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, decoupled=False):
    r"""RAdam: rectified Adam (Liu et al. 2020), as ``torch.optim.RAdam``.

    While the variance of the adaptive rate is intractable (:math:`\rho_t \le 5`) it
    takes a bias-corrected momentum step; afterwards the Adam step times a rectifier
    :math:`r_t`:

    .. math::
        \rho_\infty = \frac{2}{1-\beta_2} - 1, \quad
        \rho_t = \rho_\infty - \frac{2 t \beta_2^t}{1-\beta_2^t}, \quad
        r_t = \sqrt{\frac{(\rho_t-4)(\rho_t-2)\rho_\infty}{(\rho_\infty-4)(\rho_\infty-2)\rho_t}}

    Examples
    --------
    >>> import numpy as np, coursecode as cc
    >>> opt = cc.radam(lr=0.1)
    >>> theta, _ = opt.step(np.zeros(1), np.array([50.0]), opt.init(np.zeros(1)))
    >>> round(float(theta[0]), 6)    # the first steps are plain momentum: -lr * m_hat
    -5.0
    """
    return RAdam(lr, beta1, beta2, eps, weight_decay, decoupled)


def lion(lr=1e-4, beta1=0.9, beta2=0.99, weight_decay=0.0):
    r"""Lion (Chen et al. 2023): the sign of an interpolated momentum.

    .. math::
        c_t &= \beta_1 m_{t-1} + (1-\beta_1) g_t, \\
        \theta_t &= \theta_{t-1} - \gamma\,(\operatorname{sign}(c_t) + \lambda \theta_{t-1}), \\
        m_t &= \beta_2 m_{t-1} + (1-\beta_2) g_t

    Weight decay is decoupled, as in the paper's Algorithm 2.

    References
    ----------
    X. Chen et al. (2023), Symbolic discovery of optimization algorithms. NeurIPS.

    Examples
    --------
    >>> import numpy as np, coursecode as cc
    >>> opt = cc.lion(lr=0.01)
    >>> theta, _ = opt.step(np.zeros(2), np.array([1e-6, -3e4]), opt.init(np.zeros(2)))
    >>> theta.tolist()
    [-0.01, 0.01]
    """
    return Lion(lr, beta1, beta2, weight_decay)


def adabelief(lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-16, weight_decay=0.0, decoupled=True):
    r"""AdaBelief (Zhuang et al. 2020): divide by the spread of g around its prediction m.

    .. math::
        s_t = \beta_2 s_{t-1} + (1-\beta_2)(g_t - m_t)^2 + \epsilon, \quad
        \theta_t = \theta_{t-1} - \gamma\, \frac{\hat m_t}{\sqrt{\hat s_t} + \epsilon}

    with :math:`\hat m_t, \hat s_t` bias-corrected as in Adam. ``eps`` defaults to 1e-16,
    the authors' recommendation in their reference implementation.

    References
    ----------
    J. Zhuang et al. (2020), AdaBelief optimizer: adapting stepsizes by the belief in
    observed gradients. NeurIPS.

    Examples
    --------
    >>> import numpy as np, coursecode as cc
    >>> opt = cc.adabelief(lr=0.1)
    >>> theta, state = opt.step(np.zeros(1), np.array([2.0]), opt.init(np.zeros(1)))
    >>> round(float(state.s[0]), 6)
    0.00324
    """
    return AdaBelief(lr, beta1, beta2, eps, weight_decay, decoupled)
