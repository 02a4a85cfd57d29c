"""Optimizers that treat a parameter as a matrix: Adafactor (a factored second moment) and Muon
(an orthogonalized momentum step). Neither is elementwise, so ``elementwise = False``."""
from __future__ import annotations

import math
from typing import NamedTuple, Optional

import numpy as np

from .. import _checks
from ._base import Optimizer, zeros

#: Muon's quintic Newton-Schulz coefficients (Jordan et al. 2024; torch.optim.Muon's defaults).
NS_COEFFICIENTS = (3.4445, -4.7750, 2.0315)


def _scalar(name, value):
    """A matrix method's hyperparameter is one number: its RMS and norms mix the whole tensor."""
    if np.ndim(value) != 0:
        raise ValueError(f"Invalid {name}: an array of shape {np.shape(value)} (must be a single number: "
                         "this optimizer mixes the entries of theta, so a batch of settings needs separate runs)")
    return value


def _rms(x, axes=None, keepdims=False):
    """Root mean square: ||x||_2 / sqrt(number of entries)."""
    return np.sqrt(np.mean(np.square(x), axis=axes, keepdims=keepdims))


# -- Adafactor ---------------------------------------------------------------------------------------
class AdafactorState(NamedTuple):
    t: int
    R: Optional[np.ndarray]     # row factor, shape (..., m, 1): EMA of the mean of g^2 over each row
    C: Optional[np.ndarray]     # column factor, shape (..., 1, n): EMA of the mean of g^2 over each column
    V: Optional[np.ndarray]     # full second moment, only for a vector or a scalar theta


class Adafactor(Optimizer):
    name = "adafactor"
    State = AdafactorState
    elementwise = False
    _arrays = ("eps2",)

    def __init__(self, lr=1e-2, beta2_decay=-0.8, eps1=None, eps2=1e-3, d=1.0, weight_decay=0.0):
        super().__init__(lr, weight_decay, decoupled=True)
        decay = _checks._as_float_array("beta2_decay", _scalar("beta2_decay", beta2_decay))
        if decay > 0:
            raise ValueError(f"Invalid beta2_decay: {float(decay)} (must be <= 0)")
        self.beta2_decay = float(decay)
        self.eps1 = None if eps1 is None else float(_checks.nonnegative("eps1", _scalar("eps1", eps1)))
        self.eps2 = _checks.nonnegative("eps2", eps2)
        clip = _checks._as_float_array("d", _scalar("d", d))
        if clip < 1:
            raise ValueError(f"Invalid d: {float(clip)} (must be >= 1)")
        self.d = float(clip)

    def _init_fields(self, theta):
        if theta.ndim >= 2:
            return (np.zeros(theta.shape[:-1] + (1,)), np.zeros(theta.shape[:-2] + (1, theta.shape[-1])), None)
        return None, None, zeros(theta)

    def step(self, theta, g, state):
        """One update: returns ``(theta, state)``; never modifies its inputs."""
        theta, g = _checks.same_shape(theta, g)
        if not isinstance(state, AdafactorState):
            raise ValueError(f"state must be the AdafactorState made by this optimizer's init, "
                             f"got {type(state).__name__}")
        expected = self._init_fields(np.empty(theta.shape, dtype=np.int8))
        for field, want, have in zip(("R", "C", "V"), expected, state[1:]):
            if np.shape(want) != np.shape(have) or (want is None) != (have is None):
                raise ValueError(f"state.{field} has shape {np.shape(have)} but theta of shape {theta.shape} needs "
                                 f"{np.shape(want)}: make the state with init() on a theta of this shape")
        return self._update(theta, g, state, self.lr_at(state.t + 1))

    def _update(self, theta, g, state, lr):
        t = state.t + 1
        eps1 = np.finfo(np.float64).eps if self.eps1 is None else self.eps1
        w = t ** self.beta2_decay                                   # 1 - beta2_hat_t = t^(-0.8)
        rho = np.minimum(lr, 1 / math.sqrt(t))                      # relative step size rho_t
        alpha = np.maximum(self.eps2, _rms(theta)) * rho            # alpha_t = max(eps2, RMS(theta)) rho_t
        theta = theta * (1 - lr * self.weight_decay)                # decoupled decay (PyTorch's choice)
        R, C, V = state.R, state.C, state.V
        if theta.ndim >= 2:                                         # factored second moment
            R = (1 - w) * R + w * np.mean(g**2, axis=-1, keepdims=True)      # R_t: one number per row
            C = (1 - w) * C + w * np.mean(g**2, axis=-2, keepdims=True)      # C_t: one number per column
            V_hat = R * C / np.maximum(np.mean(R, axis=-2, keepdims=True), eps1)  # V_t = R_t C_t / mean(R_t)
        else:
            V = V_hat = (1 - w) * V + w * g**2                      # a vector keeps the full second moment
        U = g / np.sqrt(np.maximum(V_hat, eps1 * eps1))             # U_t = G_t / sqrt(V_t)
        U_hat = U / max(1.0, float(_rms(U)) / self.d)               # update clipping at RMS d
        theta = theta - alpha * U_hat                               # theta_t = theta_{t-1} - alpha_t U_hat_t
        return theta, AdafactorState(t, R, C, V)


def adafactor(lr=1e-2, beta2_decay=-0.8, eps1=None, eps2=1e-3, d=1.0, weight_decay=0.0):
    r"""Adafactor (Shazeer & Stern 2018) as PyTorch implements it: a factored second moment.

    For a matrix (or the last two axes of a tensor) :math:`G_t \in \mathbb R^{m\times n}`,
    Adafactor keeps one number per row and one per column instead of Adam's :math:`mn`:

    .. math::
        \hat\beta_{2,t} &= 1 - t^{\tau}, \qquad \rho_t = \min(\gamma, 1/\sqrt t), \qquad
            \alpha_t = \max(\epsilon_2, \operatorname{RMS}(\theta_{t-1}))\,\rho_t \\
        R_t &= \hat\beta_{2,t} R_{t-1} + (1-\hat\beta_{2,t})\, \operatorname{mean}_{\text{cols}}(G_t^2), \qquad
        C_t = \hat\beta_{2,t} C_{t-1} + (1-\hat\beta_{2,t})\, \operatorname{mean}_{\text{rows}}(G_t^2) \\
        \hat V_t &= R_t C_t / \max(\operatorname{mean}(R_t), \epsilon_1), \qquad
        U_t = G_t / \max(\sqrt{\hat V_t}, \epsilon_1), \qquad
        \hat U_t = U_t / \max(1, \operatorname{RMS}(U_t)/d) \\
        \theta_t &= (1 - \gamma\lambda)\,\theta_{t-1} - \alpha_t \hat U_t

    A vector keeps the full :math:`\hat V_t = \hat\beta_{2,t}\hat V_{t-1} + (1-\hat\beta_{2,t})G_t^2`. There is
    no first moment (the paper's :math:`\beta_1 = 0`) and no bias correction: the rising
    :math:`\hat\beta_{2,t}` starts at 0, so :math:`R_1, C_1` are the first gradient's own means.

    Equals ``torch.optim.Adafactor(lr, beta2_decay, eps=(eps1, eps2), d, weight_decay)`` in
    float64 (``eps1=None`` is float64's machine epsilon, as there). PyTorch departs from the
    paper in three places, which coursecode follows: ``lr`` caps the relative step
    :math:`\rho_t` (the paper's constant 0.01), weight decay is decoupled with factor
    :math:`\gamma\lambda`, and :math:`\epsilon_1` guards the divisions instead of being added to
    :math:`G_t^2`. Row and column statistics are means, not the paper's sums (the same
    :math:`\hat V_t`). ``state.R`` has shape ``(..., m, 1)``, ``state.C`` ``(..., 1, n)``.

    Parameters
    ----------
    lr : float, array or callable, default 1e-2
        :math:`\gamma`, the cap of the relative step size (and the decay's factor).
    beta2_decay : float <= 0, default -0.8
        :math:`\tau` in :math:`\hat\beta_{2,t} = 1 - t^{\tau}`.
    eps1 : float >= 0 or None, default None (machine epsilon)
    eps2 : float or array >= 0, default 1e-3
        The smallest RMS of theta that scales the step.
    d : float >= 1, default 1.0
        The update's RMS is clipped to ``d``.
    weight_decay : float or array >= 0, default 0.0

    ``lr``, ``weight_decay`` and ``eps2`` may be arrays that broadcast against theta (a cap, a decay
    and a floor per entry); the other hyperparameters are single numbers. An array of settings does not make
    independent runs, though: the RMS of theta and the clipping mix all entries.

    References
    ----------
    N. Shazeer, M. Stern (2018), Adafactor: adaptive learning rates with sublinear memory
    cost. ICML. arXiv:1804.04235.

    Examples
    --------
    >>> import numpy as np, coursecode as cc
    >>> opt = cc.adafactor()
    >>> theta = np.ones((3, 4))
    >>> state = opt.init(theta)
    >>> state.R.shape, state.C.shape, state.V        # 3 + 4 numbers of state, not 12
    ((3, 1), (1, 4), None)
    >>> theta, state = opt.step(theta, np.full((3, 4), 5.0), state)
    >>> theta.round(6).tolist()[0]                   # RMS(theta) = 1, rho_1 = lr: a step of 0.01
    [0.99, 0.99, 0.99, 0.99]
    """
    return Adafactor(lr, beta2_decay, eps1, eps2, d, weight_decay)


# -- Muon --------------------------------------------------------------------------------------------
class MuonState(NamedTuple):
    t: int
    B: np.ndarray          # the momentum buffer B_t


def newton_schulz(G, steps=5, eps=1e-7, coefficients=NS_COEFFICIENTS):
    r"""Muon's orthogonalization: about :math:`UV^\top` for :math:`G = U\Sigma V^\top`, by ``steps``
    quintic Newton-Schulz iterations in float64 (PyTorch's ``_zeropower_via_newtonschulz``
    without its bfloat16 cast).

    .. math::
        X_0 = G / \max(\|G\|_F, \epsilon), \qquad
        X_{k+1} = a X_k + (b A_k + c A_k^2) X_k, \quad A_k = X_k X_k^\top

    A tall matrix is transposed first, so :math:`A_k` is the smaller Gram matrix. Works on
    stacks of matrices, shape ``(..., m, n)``; ``eps`` may broadcast against ``(..., 1, 1)``.

    Examples
    --------
    >>> import numpy as np
    >>> from coursecode.optimizers.matrix import newton_schulz
    >>> G = np.diag([10.0, 1.0, 0.1])
    >>> np.diag(newton_schulz(G)).round(3).tolist()   # 10, 1 and 0.1 all end near 0.7
    [0.702, 0.709, 0.697]
    """
    a, b, c = coefficients
    X = np.asarray(G, dtype=np.float64)
    tall = X.shape[-2] > X.shape[-1]
    if tall:
        X = np.swapaxes(X, -1, -2)
    X = X / np.maximum(np.sqrt(np.sum(X**2, axis=(-2, -1), keepdims=True)), eps)   # spectral norm <= 1
    for _ in range(steps):
        A = X @ np.swapaxes(X, -1, -2)                    # A = X X^T
        X = a * X + (b * A + c * A @ A) @ X               # X <- a X + b A X + c A^2 X
    return np.swapaxes(X, -1, -2) if tall else X


class Muon(Optimizer):
    name = "muon"
    State = MuonState
    elementwise = False
    _arrays = ("momentum", "eps")

    def __init__(self, lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True, ns_steps=5, eps=1e-7):
        super().__init__(lr, weight_decay, decoupled=True)
        self.momentum = _checks.unit_interval("momentum", momentum)
        self.nesterov = _checks.flag("nesterov", nesterov)
        self.ns_steps = _checks.integer("ns_steps", ns_steps, minimum=0)
        if self.ns_steps >= 100:
            raise ValueError(f"Invalid ns_steps: {ns_steps} (must be < 100)")
        self.eps = _checks.nonnegative("eps", eps)

    @staticmethod
    def _matrix(theta):
        if np.ndim(theta) < 2:
            raise ValueError(f"theta must be a matrix (or a stack of matrices, shape (..., m, n)) for muon, got "
                             f"shape {np.shape(theta)}: optimize vectors and scalars with another optimizer, "
                             "such as adamw")

    def init(self, theta):
        theta = _checks.as_theta(theta)
        self._matrix(theta)
        return super().init(theta)

    def step(self, theta, g, state):
        self._matrix(_checks.as_theta(theta))
        return super().step(theta, g, state)

    def _init_fields(self, theta):
        return (zeros(theta),)

    def _update(self, theta, g, state, lr):
        mu = self.momentum
        B = mu * state.B + (1 - mu) * g                             # B_t = mu B_{t-1} + (1 - mu) g_t
        B_tilde = (1 - mu) * g + mu * B if self.nesterov else B     # Nesterov: look one step ahead
        O = newton_schulz(B_tilde, self.ns_steps, self.eps)         # O_t = NS_k(B_tilde_t), about U V^T
        m, n = theta.shape[-2:]
        theta = theta - lr * math.sqrt(max(1.0, m / n)) * O         # gamma scaled by sqrt(max(1, m/n))
        return theta, MuonState(state.t + 1, B)


def muon(lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True, ns_steps=5, eps=1e-7):
    r"""Muon (Jordan et al. 2024): momentum, then orthogonalize the step of each matrix.

    .. math::
        B_t &= \mu B_{t-1} + (1-\mu)\, g_t, \qquad
        \tilde B_t = \begin{cases} (1-\mu) g_t + \mu B_t & \text{Nesterov} \\ B_t & \text{otherwise} \end{cases} \\
        O_t &= \operatorname{NS}_k(\tilde B_t) \approx U V^\top \quad (\tilde B_t = U \Sigma V^\top) \\
        \theta_t &= (1 - \gamma\lambda)\,\theta_{t-1} - \gamma \sqrt{\max(1, m/n)}\; O_t

    for :math:`\theta \in \mathbb R^{m\times n}`. :math:`\operatorname{NS}_k` is ``matrix.newton_schulz``:
    ``ns_steps`` quintic iterations that push every singular value towards 1 (five of them map the
    singular values above a hundredth of the Frobenius norm into a band around 1, not to 1 exactly).
    :math:`UV^\top` is the steepest-descent direction when steps are
    measured in the spectral norm (Bernstein & Newhouse 2024).

    Follows ``torch.optim.Muon(lr, weight_decay, momentum, nesterov, ns_steps=ns_steps, eps=eps)``
    with its default ``adjust_lr_fn`` ("original": the factor :math:`\sqrt{\max(1, m/n)}`), computed
    in float64. PyTorch runs the Newton-Schulz iteration in bfloat16, so its steps differ from these
    by about bfloat16's precision (a few parts in a thousand). Its momentum buffer is an average
    (``lerp``), as written here, although its documentation writes :math:`B_t = \mu B_{t-1} + g_t`.
    The decay uses the unscaled :math:`\gamma`.

    theta must be a matrix or a stack of matrices ``(..., m, n)``, each orthogonalized on its own;
    ``lr``, ``weight_decay``, ``momentum`` and ``eps`` may be arrays that broadcast against
    ``(..., 1, 1)``, so one call runs a batch of settings. Vectors are refused: PyTorch and the
    authors optimize them (biases, gains) with AdamW.

    Parameters
    ----------
    lr : float, array or callable, default 1e-3
    weight_decay : float or array >= 0, default 0.1
    momentum : float or array in [0, 1), default 0.95
    nesterov : bool, default True
    ns_steps : int in [0, 100), default 5
    eps : float or array >= 0, default 1e-7
        The floor of the Frobenius norm that normalizes :math:`\tilde B_t`.

    References
    ----------
    K. Jordan et al. (2024), Muon: an optimizer for hidden layers in neural networks.
    https://kellerjordan.github.io/posts/muon/ ; J. Liu et al. (2025), Muon is scalable for LLM
    training. arXiv:2502.16982.

    Examples
    --------
    >>> import numpy as np, coursecode as cc
    >>> opt = cc.muon(lr=0.1, weight_decay=0.0)
    >>> theta = np.zeros((2, 2))
    >>> theta, state = opt.step(theta, np.diag([100.0, 1.0]), opt.init(theta))
    >>> np.diag(theta).round(3).tolist()       # both directions move as far: the scale is gone
    [-0.07, -0.07]
    >>> cc.muon().init(np.zeros(3))
    Traceback (most recent call last):
    ...
    ValueError: theta must be a matrix (or a stack of matrices, shape (..., m, n)) for muon, got shape (3,): ...
    """
    return Muon(lr, weight_decay, momentum, nesterov, ns_steps, eps)
