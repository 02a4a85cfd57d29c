"""Gradient descent and momentum (the heavy ball)."""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import _checks
from ._base import Optimizer, zeros


class GDState(NamedTuple):
    t: int


class MomentumState(NamedTuple):
    t: int
    v: np.ndarray


class GD(Optimizer):
    name = "gd"
    State = GDState

    def _init_fields(self, theta):
        return ()

    def _update(self, theta, g, state, lr):
        theta = theta - lr * g                       # theta_t = theta_{t-1} - gamma g_t
        return theta, GDState(state.t + 1)


class Momentum(Optimizer):
    name = "momentum"
    State = MomentumState
    _arrays = ("beta",)

    def __init__(self, lr, beta=0.9, form="ema", weight_decay=0.0, decoupled=False, nesterov=False):
        super().__init__(lr, weight_decay, decoupled)
        self.beta = _checks.unit_interval("beta", beta)
        self.form = _checks.choice("form", form, ("ema", "heavy_ball"))
        self.nesterov = _checks.flag("nesterov", nesterov)

    def _init_fields(self, theta):
        return (zeros(theta),)

    def _update(self, theta, g, state, lr):
        beta = self.beta
        new = (1 - beta) * g if self.form == "ema" else g  # EMA: (1 - beta) g_t; heavy ball, PyTorch: g_t
        v = beta * state.v + new                 # 1. v_t = beta v_{t-1} + (1 - beta) g_t
        if self.nesterov:                        # 2. Nesterov looks one step ahead:
            theta = theta - lr * (beta * v + new)  # theta_t = theta_{t-1} - gamma (beta v_t + (1 - beta) g_t)
        else:
            theta = theta - lr * v               # 2. theta_t = theta_{t-1} - gamma v_t
        return theta, MomentumState(state.t + 1, v)


def gd(lr, weight_decay=0.0, decoupled=False):
    r"""Gradient descent.

    .. math:: \theta_t = \theta_{t-1} - \gamma\, g_t, \qquad g_t = \nabla f(\theta_{t-1})

    Equals ``torch.optim.SGD(lr=lr, weight_decay=weight_decay)``.

    Parameters
    ----------
    lr : float, array or callable
        The learning rate :math:`\gamma`; an array runs a batch of settings, a
        callable ``t -> lr`` is a schedule.
    weight_decay : float or array, default 0
        :math:`\lambda`. Coupled (L2, ``g + lambda theta``) unless ``decoupled``;
        for gradient descent the two coincide (Loshchilov & Hutter 2019, Prop. 1).
    decoupled : bool, default False

    Examples
    --------
    >>> import numpy as np, coursecode as cc
    >>> opt = cc.gd(lr=0.1)
    >>> theta, state = opt.step(np.array([1.0, 2.0]), np.array([10.0, 10.0]), opt.init(np.zeros(2)))
    >>> theta.tolist(), state.t
    ([0.0, 1.0], 1)
    """
    return GD(lr, weight_decay, decoupled)


def momentum(lr, beta=0.9, form="ema", weight_decay=0.0, decoupled=False, nesterov=False):
    r"""Gradient descent with momentum (Polyak's heavy ball), optionally Nesterov's.

    The lecture's exponential-moving-average form (``form="ema"``), with
    :math:`g_t = \nabla f(\theta_{t-1})`, :math:`v_0 = 0` and :math:`t = 1` the first step:

    .. math::
        v_t = \beta v_{t-1} + (1-\beta) g_t, \qquad \theta_t = \theta_{t-1} - \gamma v_t

    ``form="heavy_ball"`` accumulates without damping, :math:`b_t = \beta b_{t-1} + g_t`,
    :math:`\theta_t = \theta_{t-1} - \gamma b_t`, which is PyTorch's SGD buffer and Polyak's
    :math:`\theta_t = \theta_{t-1} - \gamma g_t + \beta(\theta_{t-1} - \theta_{t-2})`.
    The EMA form with ``lr`` equals the heavy ball with ``lr * (1 - beta)``:
    ``momentum(lr, beta)`` equals ``torch.optim.SGD(lr=lr*(1-beta), momentum=beta)``.
    The velocity remembers about :math:`1/(1-\beta)` gradients. The state field ``v``
    holds :math:`v_t` (EMA form) or :math:`b_t` (heavy-ball form).

    ``nesterov=True`` steps with the velocity the next step would have if the next
    gradient were :math:`g_t` again (Nesterov's look-ahead, as PyTorch writes it):
    :math:`\theta_t = \theta_{t-1} - \gamma(\beta v_t + (1-\beta) g_t)` in the EMA form,
    :math:`\theta_t = \theta_{t-1} - \gamma(g_t + \beta b_t)` in the heavy-ball form. The
    velocity itself is updated as without Nesterov. So ``momentum(lr, beta, nesterov=True)``
    equals ``torch.optim.SGD(lr=lr*(1-beta), momentum=beta, nesterov=True)`` and
    ``momentum(lr, beta, form="heavy_ball", nesterov=True)`` equals
    ``torch.optim.SGD(lr=lr, momentum=beta, nesterov=True)``.

    Parameters
    ----------
    lr : float, array or callable
        :math:`\gamma` (:math:`\alpha` in the heavy-ball form).
    beta : float or array in [0, 1), default 0.9
    form : {"ema", "heavy_ball"}, default "ema"
    weight_decay, decoupled : see :func:`gd`.
    nesterov : bool, default False
        Nesterov's momentum (keyword; valid in both forms).

    References
    ----------
    B. T. Polyak (1964), Some methods of speeding up the convergence of iteration methods.
    Y. Nesterov (1983), A method for solving the convex programming problem with convergence
    rate O(1/k^2). I. Sutskever, J. Martens, G. Dahl, G. Hinton (2013), On the importance of
    initialization and momentum in deep learning.

    Examples
    --------
    >>> import numpy as np, coursecode as cc
    >>> opt = cc.momentum(lr=1.0, beta=0.9)
    >>> theta, state = opt.step(np.array([0.0]), np.array([1.0]), opt.init(np.zeros(1)))
    >>> round(float(state.v[0]), 6), round(float(theta[0]), 6)
    (0.1, -0.1)
    >>> nag = cc.momentum(lr=1.0, beta=0.9, nesterov=True)   # steps with 0.9 * 0.1 + 0.1 * 1
    >>> theta, state = nag.step(np.array([0.0]), np.array([1.0]), nag.init(np.zeros(1)))
    >>> round(float(state.v[0]), 6), round(float(theta[0]), 6)
    (0.1, -0.19)
    """
    return Momentum(lr, beta, form, weight_decay, decoupled, nesterov)
