"""Schedule-Free AdamW (Defazio et al. 2024): interpolation and averaging instead of a schedule."""
from __future__ import annotations

from typing import NamedTuple, Union

import numpy as np

from .. import _checks
from ._base import Optimizer, zeros


class ScheduleFreeState(NamedTuple):
    t: int
    z: np.ndarray                            # the base iterate: where the AdamW-without-momentum steps go
    x: np.ndarray                            # the weighted average of the z's: the point to evaluate
    v: np.ndarray                            # Adam's second moment
    weight_sum: Union[float, np.ndarray]     # sum of the averaging weights so far
    max_lr: Union[float, np.ndarray]         # the largest learning rate so far (the weights use it)


class ScheduleFreeAdamW(Optimizer):
    name = "schedule_free_adamw"
    State = ScheduleFreeState
    _arrays = ("beta1", "beta2", "eps", "weight_lr_power")

    def __init__(self, lr=0.0025, warmup_steps=0, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0,
                 weight_lr_power=2.0):
        super().__init__(lr, weight_decay, decoupled=True)
        self.warmup_steps = _checks.integer("warmup_steps", warmup_steps, minimum=0)
        self.beta1 = _checks.unit_interval("beta1", beta1)
        self.beta2 = _checks.unit_interval("beta2", beta2)
        self.eps = _checks.nonnegative("eps", eps)
        self.weight_lr_power = _checks.nonnegative("weight_lr_power", weight_lr_power)

    def _init_fields(self, theta):
        return theta.copy(), theta.copy(), zeros(theta), 0.0, 0.0      # z_1 = x_1 = y_1 = theta_0

    def _weight_decay(self, theta, g, lr):
        return theta, g                       # the decay acts on z inside the update (line 3)

    def _warm(self, k):
        """Linear warm-up factor min(k, W) / W (optax's warmup_constant_schedule at count k); 1 without warm-up."""
        W = self.warmup_steps
        return min(k, W) / W if W else 1.0

    def _update(self, y, g, state, lr):
        beta1, beta2, p = self.beta1, self.beta2, self.weight_lr_power
        t = state.t + 1
        gamma = self._warm(t - 1) * lr                                   # step size of z (optax count t - 1)
        v = beta2 * state.v + (1 - beta2) * g**2                         # 2. second moment, no first moment
        v_hat = v / (1 - beta2**t)                                       #    bias correction
        z = state.z - gamma * (g / (np.sqrt(v_hat) + self.eps) + self.weight_decay * y)  # 3. AdamW step on z
        max_lr = np.maximum(state.max_lr, self._warm(t) * self.lr_at(t + 1))  # 4. weight of z_t: the largest
        weight = max_lr**p                                               #    learning rate so far, to the power p
        weight_sum = state.weight_sum + weight
        c = np.divide(weight, weight_sum, out=np.zeros(np.shape(weight_sum)), where=weight_sum > 0)
        x = (1 - c) * state.x + c * z                                    # 5. x: weighted average of the z's
        y = (1 - beta1) * z + beta1 * x                                  # 6. y: where the next gradient is taken
        return y, ScheduleFreeState(t, z, x, v, _like(weight_sum, y), _like(max_lr, y))


def _like(value, theta):
    """A float for scalar learning rates; for an array of them, a view with theta's shape (no copy)."""
    return float(value) if np.ndim(value) == 0 else np.broadcast_to(value, theta.shape)


def schedule_free_adamw(lr=0.0025, warmup_steps=0, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0,
                        weight_lr_power=2.0):
    r"""Schedule-Free AdamW (Defazio et al. 2024, "The Road Less Scheduled").

    Three sequences replace momentum and the decaying schedule: :math:`z` takes the
    steps (AdamW without a first moment), :math:`x` is a weighted average of the
    :math:`z`'s, and the gradient is taken at the interpolation :math:`y` between them.
    With :math:`x_0 = z_0 = y_0 = \theta_0`, step :math:`t` computes

    .. math::
        v_t &= \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2, \qquad g_t = \nabla f(y_{t-1}) \\
        \hat v_t &= v_t / (1 - \beta_2^t) \\
        z_t &= z_{t-1} - \gamma_t \bigl(g_t / (\sqrt{\hat v_t} + \epsilon) + \lambda\, y_{t-1}\bigr) \\
        c_t &= w_t / \textstyle\sum_{i \le t} w_i, \qquad
               w_t = \bigl(\max_{i \le t} \gamma_i'\bigr)^{\,\text{weight\_lr\_power}} \\
        x_t &= (1 - c_t)\, x_{t-1} + c_t\, z_t \\
        y_t &= (1 - \beta_1)\, z_t + \beta_1 x_t

    The optimizer's ``theta`` is :math:`y` (where the next gradient is taken); the state
    holds ``z`` and ``x``, and :math:`x_t` is the point to evaluate. With a constant
    learning rate every :math:`w_t` is the same, :math:`c_t = 1/t` and :math:`x_t` is the
    plain average of :math:`z_1, \dots, z_t`.

    Equals ``optax.contrib.schedule_free_adamw(learning_rate=lr, warmup_steps=...,
    b1=beta1, b2=beta2, eps=eps, weight_decay=weight_decay,
    weight_lr_power=weight_lr_power)`` with ``jax_enable_x64``: ``theta`` is optax's
    params and ``state.x`` its ``schedule_free_eval_params``. optax's conventions, kept
    here: the warm-up is ``warmup_constant_schedule(0, lr, W)`` (``warmup_steps=0`` here
    is optax's ``None``: no warm-up), so :math:`\gamma_t = \gamma \min(t-1, W)/W` and the
    first step moves nothing; the averaging weight uses the learning rate one count
    later, :math:`\gamma_t' = \gamma \min(t, W)/W`; with a schedule ``lr(t)``,
    :math:`\gamma_t = \text{lr}(t)` and :math:`\gamma_t' = \text{lr}(t+1)`. The paper
    multiplies the weight decay by :math:`y` as here. coursecode stores :math:`x`; optax
    stores only :math:`z` and recovers :math:`x = (y - (1-\beta_1) z)/\beta_1`, so it
    needs :math:`\beta_1 > 0` and coursecode does not.

    Parameters
    ----------
    lr : float, array or callable, default 0.0025
        :math:`\gamma`, the peak learning rate: no decay is needed.
    warmup_steps : int >= 0, default 0
        Length :math:`W` of the linear warm-up.
    beta1 : float or array in [0, 1), default 0.9
        The interpolation weight of :math:`x` in :math:`y` (the paper's :math:`\beta`).
    beta2 : float or array in [0, 1), default 0.999
    eps : float or array >= 0, default 1e-8
    weight_decay : float or array >= 0, default 0
        :math:`\lambda`, multiplied by the learning rate (PyTorch's and optax's convention).
    weight_lr_power : float or array >= 0, default 2
        The averaging weight is the largest learning rate so far to this power, so the
        small steps of a warm-up count little.

    References
    ----------
    A. Defazio, X. Yang, H. Mehta, K. Mishchenko, A. Khaled, A. Cutkosky (2024), The
    road less scheduled. NeurIPS. arXiv:2405.15682.

    Examples
    --------
    >>> import numpy as np, coursecode as cc
    >>> opt = cc.schedule_free_adamw(lr=0.1)
    >>> g = np.array([1.0, -2.0])
    >>> theta, state = opt.step(np.zeros(2), g, opt.init(np.zeros(2)))
    >>> theta.round(6).tolist(), state.x.round(6).tolist()     # z_1 = -lr sign(g); x_1 = z_1
    ([-0.1, 0.1], [-0.1, 0.1])
    >>> theta, state = opt.step(theta, g, state)
    >>> state.z.round(6).tolist(), state.x.round(6).tolist()   # x_2 averages z_1 and z_2
    ([-0.2, 0.2], [-0.15, 0.15])
    >>> theta.round(6).tolist()                                 # y_2 = 0.1 z_2 + 0.9 x_2
    [-0.155, 0.155]
    """
    return ScheduleFreeAdamW(lr, warmup_steps, beta1, beta2, eps, weight_decay, weight_lr_power)
