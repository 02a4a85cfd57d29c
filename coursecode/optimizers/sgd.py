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
        theta = theta - lr * g                       # theta_{t+1} = theta_t - gamma g_t
        return theta, GDState(state.t + 1)


class Momentum(Optimizer):
    name = "momentum"
    State = MomentumState
    _arrays = ("beta",)

    def __init__(self, lr, beta=0.9, form="ema", weight_decay=0.0, decoupled=False):
        super().__init__(lr, weight_decay, decoupled)
        self.beta = _checks.unit_interval("beta", beta)
        self.form = _checks.choice("form", form, ("ema", "heavy_ball"))

    def _init_fields(self, theta):
        return (zeros(theta),)

    def _update(self, theta, g, state, lr):
        beta = self.beta
        if self.form == "ema":
            v = beta * state.v + (1 - beta) * g      # 1. v_t = beta v_{t-1} + (1 - beta) g_t
        else:
            v = beta * state.v + g                   # heavy ball / PyTorch: v_t = beta v_{t-1} + g_t
        theta = theta - lr * v                       # 2. theta_{t+1} = theta_t - gamma v_t
        return theta, MomentumState(state.t + 1, v)


def gd(lr, weight_decay=0.0, decoupled=False):
    r"""Gradient descent.

    .. math:: \theta_{t+1} = \theta_t - \gamma\, g_t

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


def momentum(lr, beta=0.9, form="ema", weight_decay=0.0, decoupled=False):
    r"""Gradient descent with momentum (Polyak's heavy ball).

    The lecture's exponential-moving-average form (``form="ema"``):

    .. math::
        v_t = \beta v_{t-1} + (1-\beta) g_t, \qquad \theta_{t+1} = \theta_t - \gamma v_t

    ``form="heavy_ball"`` accumulates without damping, :math:`v_t = \beta v_{t-1} + g_t`,
    which is PyTorch's SGD buffer and Polyak's
    :math:`\theta_{t+1} = \theta_t - \gamma g_t + \beta(\theta_t - \theta_{t-1})`.
    The EMA form with ``lr`` equals the heavy ball with ``lr * (1 - beta)``:
    ``momentum(lr, beta)`` equals ``torch.optim.SGD(lr=lr*(1-beta), momentum=beta)``.
    The velocity remembers about :math:`1/(1-\beta)` gradients.

    Parameters
    ----------
    lr : float, array or callable
        :math:`\gamma`.
    beta : float or array in [0, 1), default 0.9
    form : {"ema", "heavy_ball"}, default "ema"
    weight_decay, decoupled : see :func:`gd`.

    References
    ----------
    B. T. Polyak (1964), Some methods of speeding up the convergence of iteration methods.

    Examples
    --------
    >>> import numpy as np, coursecode as cc
    >>> opt = cc.momentum(lr=1.0, beta=0.9)
    >>> theta, state = opt.step(np.array([0.0]), np.array([1.0]), opt.init(np.zeros(1)))
    >>> round(float(state.v[0]), 6), round(float(theta[0]), 6)
    (0.1, -0.1)
    """
    return Momentum(lr, beta, form, weight_decay, decoupled)
