"""Adam, Adam with L2, AdamW and AMSGrad."""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import _checks
from ._base import Optimizer, denominator, zeros


class AdamState(NamedTuple):
    t: int
    m: np.ndarray
    v: np.ndarray


class AMSGradState(NamedTuple):
    t: int
    m: np.ndarray
    v: np.ndarray
    v_max: np.ndarray


class Adam(Optimizer):
    name = "adam"
    State = AdamState
    _arrays = ("beta1", "beta2", "eps")

    def __init__(self, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, eps_inside_sqrt=False,
                 weight_decay=0.0, decoupled=False):
        super().__init__(lr, weight_decay, decoupled)
        self.beta1 = _checks.unit_interval("beta1", beta1)
        self.beta2 = _checks.unit_interval("beta2", beta2)
        self.eps = _checks.nonnegative("eps", eps)
        self.eps_inside_sqrt = _checks.flag("eps_inside_sqrt", eps_inside_sqrt)

    def _init_fields(self, theta):
        return zeros(theta), zeros(theta)

    def _update(self, theta, g, state, lr):
        beta1, beta2 = self.beta1, self.beta2
        t = state.t + 1
        m = beta1 * state.m + (1 - beta1) * g                                      # 2. first moment
        v = beta2 * state.v + (1 - beta2) * g**2                                   # 3. second moment
        m_hat = m / (1 - beta1**t)                                                 # 4. bias correction
        v_hat = v / (1 - beta2**t)                                                 # 5. bias correction
        theta = theta - lr * m_hat / denominator(v_hat, self.eps, self.eps_inside_sqrt)  # 6. update
        return theta, AdamState(t, m, v)


class AMSGrad(Adam):
    name = "amsgrad"
    State = AMSGradState

    def __init__(self, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, bias_correction=False,
                 max_of="raw", eps_inside_sqrt=False, weight_decay=0.0, decoupled=False):
        super().__init__(lr, beta1, beta2, eps, eps_inside_sqrt, weight_decay, decoupled)
        if not isinstance(bias_correction, bool):
            raise ValueError(f"Invalid bias_correction: {bias_correction!r} (must be True or False)")
        self.bias_correction = bias_correction
        self.max_of = _checks.choice("max_of", max_of, ("raw", "corrected"))
        if max_of == "corrected" and not bias_correction:
            raise ValueError("Invalid max_of: 'corrected' needs bias_correction=True")

    def _init_fields(self, theta):
        return zeros(theta), zeros(theta), zeros(theta)

    def _update(self, theta, g, state, lr):
        beta1, beta2 = self.beta1, self.beta2
        t = state.t + 1
        m = beta1 * state.m + (1 - beta1) * g                   # first moment, as in Adam
        v = beta2 * state.v + (1 - beta2) * g**2                # second moment, as in Adam
        if not self.bias_correction:                            # Reddi et al., Algorithm 2
            v_max = np.maximum(state.v_max, v)                  # v_hat_t = max(v_hat_{t-1}, v_t)
            step = m / denominator(v_max, self.eps, self.eps_inside_sqrt)
        elif self.max_of == "raw":                              # PyTorch: max of raw v, then correct
            v_max = np.maximum(state.v_max, v)
            step = (m / (1 - beta1**t)) / denominator(v_max / (1 - beta2**t), self.eps, self.eps_inside_sqrt)
        else:                                                   # optax: max of corrected v_hat
            v_max = np.maximum(state.v_max, v / (1 - beta2**t))
            step = (m / (1 - beta1**t)) / denominator(v_max, self.eps, self.eps_inside_sqrt)
        theta = theta - lr * step
        return theta, AMSGradState(t, m, v, v_max)


def _named(name, opt):
    """adam_l2 and adamw are Adam with weight decay; their name says which."""
    opt.name = name
    return opt


_ADAM_DOC = r"""
    Parameters
    ----------
    lr : float, array or callable, default 1e-3
        :math:`\gamma`; an array runs a batch of settings, a callable ``t -> lr`` a schedule.
    beta1, beta2 : float or array in [0, 1), defaults 0.9 and 0.999
    eps : float or array, default 1e-8
    eps_inside_sqrt : bool, default False
        False: :math:`\hat m_t / (\sqrt{\hat v_t} + \epsilon)` (Kingma & Ba, PyTorch,
        optax's ``eps``). True: :math:`\hat m_t / \sqrt{\hat v_t + \epsilon}` (the
        lecture's written form, optax's ``eps_root``). They differ only where
        :math:`|g| \lesssim \sqrt{\epsilon}`.
"""


def adam(lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, eps_inside_sqrt=False):
    return Adam(lr, beta1, beta2, eps, eps_inside_sqrt)


# A docstring must be a plain string literal; one built with "+" is an ordinary
# expression and leaves __doc__ None, so the shared part is added here.
adam.__doc__ = r"""Adam (Kingma & Ba 2015, Algorithm 1).

    .. math::
        m_t &= \beta_1 m_{t-1} + (1-\beta_1) g_t \\
        v_t &= \beta_2 v_{t-1} + (1-\beta_2) g_t^2 \\
        \hat m_t &= m_t / (1-\beta_1^t), \qquad \hat v_t = v_t / (1-\beta_2^t) \\
        \theta_t &= \theta_{t-1} - \gamma\, \hat m_t / (\sqrt{\hat v_t} + \epsilon)

    Equals ``torch.optim.Adam(lr, betas=(beta1, beta2), eps=eps)``.
""" + _ADAM_DOC + r"""
    References
    ----------
    D. P. Kingma, J. Ba (2015), Adam: a method for stochastic optimization. ICLR.

    Examples
    --------
    >>> import numpy as np, coursecode as cc
    >>> opt = cc.adam(lr=0.1)
    >>> theta, state = opt.step(np.zeros(2), np.array([1e-3, 1e3]), opt.init(np.zeros(2)))
    >>> np.round(theta, 4).tolist()       # the first step is about lr * sign(g), whatever the scale
    [-0.1, -0.1]
"""


def adam_l2(lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2, eps_inside_sqrt=False):
    r"""Adam with an L2 penalty added to the gradient (coupled weight decay).

    .. math:: g_t \leftarrow g_t + \lambda \theta_{t-1}, \text{ then the Adam step}

    The penalty's gradient passes through the preconditioner, so coordinates with a
    large gradient history are regularized less (Loshchilov & Hutter 2019).
    Equals ``torch.optim.Adam(..., weight_decay=weight_decay)``.

    Examples
    --------
    >>> import numpy as np, coursecode as cc
    >>> opt = cc.adam_l2(lr=0.1, weight_decay=0.5)
    >>> theta, _ = opt.step(np.array([2.0]), np.array([0.0]), opt.init(np.zeros(1)))
    >>> round(float(theta[0]), 6)       # the penalty's gradient is normalized like any other
    1.9
    """
    return _named("adam_l2", Adam(lr, beta1, beta2, eps, eps_inside_sqrt, weight_decay, decoupled=False))


def adamw(lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2, eps_inside_sqrt=False):
    r"""AdamW: Adam with decoupled weight decay (Loshchilov & Hutter 2019).

    .. math:: \theta \leftarrow (1 - \gamma\lambda)\,\theta, \text{ then the Adam step}

    ``weight_decay`` is PyTorch's :math:`\lambda` (multiplied by ``lr``); the paper's
    :math:`\lambda_{\text{paper}} = \gamma\,\lambda_{\text{torch}}`.
    Equals ``torch.optim.AdamW(lr, betas, eps, weight_decay)``.

    References
    ----------
    I. Loshchilov, F. Hutter (2019), Decoupled weight decay regularization. ICLR.

    Examples
    --------
    >>> import numpy as np, coursecode as cc
    >>> opt = cc.adamw(lr=0.1, weight_decay=0.5)
    >>> theta, _ = opt.step(np.array([2.0]), np.array([0.0]), opt.init(np.zeros(1)))
    >>> round(float(theta[0]), 6)       # shrunk by 1 - lr * weight_decay = 0.95
    1.9
    """
    return _named("adamw", Adam(lr, beta1, beta2, eps, eps_inside_sqrt, weight_decay, decoupled=True))


def amsgrad(lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, bias_correction=False, max_of="raw",
            eps_inside_sqrt=False, weight_decay=0.0, decoupled=False):
    return AMSGrad(lr, beta1, beta2, eps, bias_correction, max_of, eps_inside_sqrt, weight_decay,
                   decoupled)


amsgrad.__doc__ = r"""AMSGrad: Adam whose denominator never shrinks (Reddi, Kale & Kumar 2018).

    Three conventions circulate:

    * ``bias_correction=False`` (default), Reddi et al. Algorithm 2:
      :math:`\hat v_t = \max(\hat v_{t-1}, v_t)`,
      :math:`\theta_t = \theta_{t-1} - \gamma\, m_t / (\sqrt{\hat v_t} + \epsilon)`
      (the paper has no :math:`\epsilon`; set ``eps=0``).
    * ``bias_correction=True`` (``max_of="raw"``), PyTorch's ``Adam(amsgrad=True)``:
      the maximum of the raw :math:`v_t`, then both moments bias-corrected.
    * ``bias_correction=True, max_of="corrected"``, optax's ``scale_by_amsgrad``:
      the maximum of the bias-corrected :math:`\hat v_t`.
""" + _ADAM_DOC + r"""    bias_correction : bool, default False
    max_of : {"raw", "corrected"}, default "raw"
    weight_decay, decoupled : see :func:`coursecode.gd`; ``decoupled=True`` is
        ``torch.optim.AdamW(amsgrad=True)``.

    References
    ----------
    S. J. Reddi, S. Kale, S. Kumar (2018), On the convergence of Adam and beyond. ICLR.

    Examples
    --------
    >>> import numpy as np, coursecode as cc
    >>> opt = cc.amsgrad(lr=0.1, beta1=0.0, beta2=0.5, eps=0.0)
    >>> theta, state = np.zeros(1), opt.init(np.zeros(1))
    >>> for g in [2.0, 0.1, 0.1]:
    ...     theta, state = opt.step(theta, np.array([g]), state)
    >>> state.v.round(4).tolist(), state.v_max.round(4).tolist()   # v forgets, v_max does not
    ([0.5075], [2.0])
"""
