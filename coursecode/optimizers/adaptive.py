"""AdaGrad and RMSProp: per-coordinate learning rates from squared gradients."""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import _checks
from ._base import Optimizer, denominator, zeros


class AdagradState(NamedTuple):
    t: int
    s: np.ndarray


class RMSPropState(NamedTuple):
    t: int
    s: np.ndarray


class Adagrad(Optimizer):
    name = "adagrad"
    State = AdagradState
    _arrays = ("eps", "initial_accumulator_value")

    def __init__(self, lr=1e-2, eps=1e-10, initial_accumulator_value=0.0, eps_inside_sqrt=False,
                 weight_decay=0.0, decoupled=False):
        super().__init__(lr, weight_decay, decoupled)
        self.eps = _checks.nonnegative("eps", eps)
        self.initial_accumulator_value = _checks.nonnegative("initial_accumulator_value",
                                                             initial_accumulator_value)
        self.eps_inside_sqrt = _checks.flag("eps_inside_sqrt", eps_inside_sqrt)

    def _init_fields(self, theta):
        return (np.full_like(theta, self.initial_accumulator_value),)

    def _update(self, theta, g, state, lr):
        s = state.s + g**2                                                       # 1. s_t = s_{t-1} + g_t^2
        theta = theta - lr * g / denominator(s, self.eps, self.eps_inside_sqrt)  # 2. theta -= gamma g / sqrt(s)
        return theta, AdagradState(state.t + 1, s)


class RMSProp(Optimizer):
    name = "rmsprop"
    State = RMSPropState
    _arrays = ("rho", "eps")

    def __init__(self, lr=1e-2, rho=0.99, eps=1e-8, eps_inside_sqrt=False, weight_decay=0.0,
                 decoupled=False):
        super().__init__(lr, weight_decay, decoupled)
        self.rho = _checks.unit_interval("rho", rho)
        self.eps = _checks.nonnegative("eps", eps)
        self.eps_inside_sqrt = _checks.flag("eps_inside_sqrt", eps_inside_sqrt)

    def _init_fields(self, theta):
        return (zeros(theta),)

    def _update(self, theta, g, state, lr):
        rho = self.rho
        s = rho * state.s + (1 - rho) * g**2                                     # 1. s_t = rho s_{t-1} + (1-rho) g_t^2
        theta = theta - lr * g / denominator(s, self.eps, self.eps_inside_sqrt)  # 2. theta -= gamma g / sqrt(s)
        return theta, RMSPropState(state.t + 1, s)


def adagrad(lr=1e-2, eps=1e-10, initial_accumulator_value=0.0, eps_inside_sqrt=False,
            weight_decay=0.0, decoupled=False):
    r"""AdaGrad: divide by the root of every squared gradient seen so far.

    .. math::
        s_t = s_{t-1} + g_t^2, \qquad
        \theta_{t+1} = \theta_t - \frac{\gamma}{\sqrt{s_t} + \epsilon}\, g_t

    Squares, roots and divisions are element-wise. ``eps_inside_sqrt=True`` gives the
    lecture's written form :math:`\gamma g_t / \sqrt{s_t + \epsilon}` (optax's default);
    Duchi et al. and PyTorch put :math:`\epsilon` outside the root.

    Equals ``torch.optim.Adagrad(lr, eps=eps, weight_decay=weight_decay,
    initial_accumulator_value=initial_accumulator_value)``.

    Parameters
    ----------
    lr : float, array or callable, default 1e-2
    eps : float or array, default 1e-10
    initial_accumulator_value : float, default 0 (optax uses 0.1)
    eps_inside_sqrt : bool, default False
    weight_decay, decoupled : see :func:`coursecode.gd`.

    References
    ----------
    J. Duchi, E. Hazan, Y. Singer (2011), Adaptive subgradient methods for online
    learning and stochastic optimization. JMLR 12.

    Examples
    --------
    >>> import numpy as np, coursecode as cc
    >>> opt = cc.adagrad(lr=1.0, eps=0.0)
    >>> theta, state = opt.step(np.zeros(2), np.array([3.0, -0.5]), opt.init(np.zeros(2)))
    >>> theta.tolist(), state.s.tolist()
    ([-1.0, 1.0], [9.0, 0.25])
    """
    return Adagrad(lr, eps, initial_accumulator_value, eps_inside_sqrt, weight_decay, decoupled)


def rmsprop(lr=1e-2, rho=0.99, eps=1e-8, eps_inside_sqrt=False, weight_decay=0.0, decoupled=False):
    r"""RMSProp: divide by the root of an exponential average of squared gradients.

    .. math::
        s_t = \rho s_{t-1} + (1-\rho) g_t^2,\ s_0 = 0, \qquad
        \theta_{t+1} = \theta_t - \frac{\gamma}{\sqrt{s_t} + \epsilon}\, g_t

    No bias correction: with :math:`s_0 = 0` the first step divides by
    :math:`\sqrt{1-\rho}\,|g_1|`, i.e. it is :math:`1/\sqrt{1-\rho}` times (10x for
    :math:`\rho = 0.99`) larger than a unit step. ``eps_inside_sqrt=True`` gives the
    lecture's written form :math:`\sqrt{s_t + \epsilon}`.

    Equals ``torch.optim.RMSprop(lr, alpha=rho, eps=eps, weight_decay=weight_decay)``.

    Parameters
    ----------
    lr : float, array or callable, default 1e-2
    rho : float or array in [0, 1), default 0.99 (PyTorch's ``alpha``)
    eps : float or array, default 1e-8
    eps_inside_sqrt : bool, default False
    weight_decay, decoupled : see :func:`coursecode.gd`.

    References
    ----------
    T. Tieleman, G. Hinton (2012), Lecture 6.5, rmsprop. COURSERA: Neural Networks
    for Machine Learning.

    Examples
    --------
    >>> import numpy as np, coursecode as cc
    >>> opt = cc.rmsprop(lr=0.01, rho=0.99, eps=0.0)
    >>> theta, _ = opt.step(np.zeros(1), np.array([5.0]), opt.init(np.zeros(1)))
    >>> round(float(theta[0]), 6)          # 10 times lr: the zero-initialised accumulator
    -0.1
    """
    return RMSProp(lr, rho, eps, eps_inside_sqrt, weight_decay, decoupled)
