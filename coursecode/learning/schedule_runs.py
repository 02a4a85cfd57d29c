r"""Chapter 11's experiments: learning-rate schedules at several horizons, in one batched run.

* :func:`update_sizes`: how large Adam's steps are in the first steps, on gradients that
  are pure noise (the reason Adam wants a warm-up).
* :func:`horizon_sweep`: Adam with a constant, step, cosine or warmup-stable-decay
  schedule, each tuned over a grid of peak learning rates, for several horizons ``T``;
  rows of one batched run are (schedule, horizon, learning rate, seed).
* :func:`schedule_free_sweep`: Schedule-Free AdamW over the same grid, run once to the
  longest horizon and evaluated (at its average ``x``) at every horizon on the way.

Everything runs on :func:`noisy_quadratic`, a seeded stochastic quadratic.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import optimizers as opt_
from .. import problems, schedules

#: the schedules of the sweep, each built from peaks and horizons (arrays of shape (rows, 1))
SCHEDULE_MAKERS = {
    "constant": lambda lr, T: schedules.constant(lr),
    "step": lambda lr, T: schedules.step(lr, every=np.ceil(T / 3), factor=0.1),
    "cosine": lambda lr, T: schedules.cosine(lr, horizon=T),
    "wsd": lambda lr, T: schedules.wsd(lr, horizon=T, decay=0.2),
}


#: the grid of peak learning rates: 11 values a factor 10^(1/4) apart, from 10^-2.25 to 10^0.25
LRS = np.logspace(-2.25, 0.25, 11)


def noisy_quadratic(dim=10, noise=1.0, seed=0):
    """f = 1/2 sum_i lambda_i theta_i^2 with lambda log-spaced from 0.1 to 10, gradients + N(0, noise^2)."""
    return problems.stochastic(problems.quadratic(np.logspace(-1, 1, dim)), noise=noise, rng=seed)


def start(dim=10):
    """The starting point of every run: theta_0 = (3, ..., 3)."""
    return np.full(dim, 3.0)


def update_sizes(steps=3000, coords=4000, beta1=0.9, beta2=0.999, warmup=None, seed=0):
    r"""Root mean square of Adam's step / lr at each step, on gradients that are pure N(0, 1) noise.

    ``warmup`` multiplies the step by :math:`\min(1, t/W)`. Returns an array of ``steps``
    values, one per step, averaged over ``coords`` independent coordinates; ``"radam"``
    as ``warmup`` gives RAdam's steps instead.
    """
    rng = np.random.default_rng(seed)
    lr = 1.0 if warmup in (None, "radam") else schedules.warmup(1.0, steps=warmup)
    opt = opt_.radam(lr=1.0, beta1=beta1, beta2=beta2) if warmup == "radam" else \
        opt_.adam(lr=lr, beta1=beta1, beta2=beta2)
    theta = np.zeros(coords)
    state = opt.init(theta)
    out = np.empty(steps)
    for k in range(steps):
        new, state = opt.step(theta, rng.standard_normal(coords), state)
        out[k] = np.sqrt(np.mean((new - theta) ** 2))
        theta = new
    return out


@dataclass
class Sweep:
    """Final losses of a sweep, shape (schedules, horizons, learning rates, seeds).

    ``at`` holds the loss of the runs planned for the longest horizon at every horizon
    on their way, shape (schedules, learning rates, seeds, horizons): ``at[..., j]`` is
    the loss at step ``horizons[j]``, as if the run had been stopped there.
    """

    names: list
    horizons: np.ndarray
    lrs: np.ndarray
    losses: np.ndarray
    at: np.ndarray = None

    def mean(self):
        """Mean over the seeds: (schedules, horizons, learning rates)."""
        return self.losses.mean(axis=-1)

    def tuned(self):
        """The best mean loss of each schedule at each horizon, over the learning rates: (schedules, horizons)."""
        return self.mean().min(axis=-1)

    def best_lr(self):
        """The learning rate of :meth:`tuned`: (schedules, horizons)."""
        return self.lrs[self.mean().argmin(axis=-1)]

    def stderr(self):
        """Standard error over the seeds of the tuned setting: (schedules, horizons)."""
        best = self.mean().argmin(axis=-1)
        se = self.losses.std(axis=-1, ddof=1) / np.sqrt(self.losses.shape[-1])
        return np.take_along_axis(se, best[..., None], axis=-1)[..., 0]


def horizon_sweep(names=tuple(SCHEDULE_MAKERS), horizons=(250, 500, 1000, 2000), lrs=None, seeds=32, dim=10,
                  noise=1.0, seed=0):
    """Adam with each schedule at each horizon and peak learning rate, ``seeds`` noise draws each: one run.

    The loss is the true (noise-free) loss at step ``T`` of the run whose schedule has
    horizon ``T``. The rows are ordered by horizon, longest first, and a row leaves the
    batch once its horizon is reached, so the short runs cost only their own steps.
    """
    lrs = LRS if lrs is None else np.asarray(lrs, dtype=float)
    horizons = np.asarray(horizons, dtype=float)
    order = np.argsort(-horizons, kind="stable")                      # longest horizon first
    S, H, L = len(names), horizons.size, lrs.size
    per_h = S * L * seeds                                             # rows of one horizon
    _, Lg, _ = np.meshgrid(np.arange(S), lrs, np.arange(seeds), indexing="ij")   # (S, L, seeds)
    parts = []                                                        # one schedule per (horizon, name) block
    for h in order:
        for k, n in enumerate(names):
            peaks = Lg[k].reshape(-1, 1)
            parts.append(SCHEDULE_MAKERS[n](peaks, np.full_like(peaks, horizons[h])))

    def lr_all(t):
        return np.concatenate([np.broadcast_to(p(t), (L * seeds, 1)) for p in parts])

    f = noisy_quadratic(dim, noise, seed)
    theta = np.broadcast_to(start(dim), (H * per_h, dim)).copy()
    state = None
    final = np.empty((H, S, L, seeds))
    at = np.empty((S, L, seeds, H))
    n_active, opt = None, None
    for t in range(1, int(horizons.max()) + 1):
        n = per_h * int(np.sum(horizons >= t))                          # rows whose horizon is not yet reached
        if n != n_active:
            opt = opt_.adam(lr=lambda t, n=n: lr_all(t)[:n])
            state = opt.init(theta[:n]) if state is None else type(state)(state.t, state.m[:n], state.v[:n])
            theta, n_active = theta[:n], n
        theta, state = opt.step(theta, f.grad(theta), state)
        if t in horizons:
            values = f.value(theta)
            at[..., list(horizons).index(t)] = values[:per_h].reshape(S, L, seeds)
            for rank, h in enumerate(order):
                if horizons[h] == t:
                    final[h] = values[rank * per_h:(rank + 1) * per_h].reshape(S, L, seeds)
    return Sweep(list(names), horizons, lrs, final.transpose(1, 0, 2, 3), at)


def schedule_free_sweep(horizons=(250, 500, 1000, 2000), lrs=None, seeds=32, dim=10, noise=1.0, seed=1,
                        warmup_steps=0, beta1=0.9):
    """Schedule-Free AdamW, one run per (learning rate, seed) to the longest horizon, its x evaluated at each.

    Returns a :class:`Sweep` with one "schedule" (``"schedule-free"``) and the loss
    f(x_T) of the average ``x`` at each horizon ``T``; also f(y_T) as ``sweep.at_y``.
    """
    lrs = LRS if lrs is None else np.asarray(lrs, dtype=float)
    horizons = np.asarray(horizons, dtype=float)
    f = noisy_quadratic(dim, noise, seed)
    L = np.repeat(lrs, seeds).reshape(-1, 1)
    opt = opt_.schedule_free_adamw(lr=L, warmup_steps=warmup_steps, beta1=beta1)
    theta = np.broadcast_to(start(dim), (L.size, dim)).copy()
    state = opt.init(theta)
    at_x, at_y = [], []
    for t in range(1, int(horizons.max()) + 1):
        theta, state = opt.step(theta, f.grad(theta), state)
        if t in horizons:
            at_x.append(f.value(state.x))
            at_y.append(f.value(theta))
    shape = (1, horizons.size, lrs.size, seeds)
    sweep = Sweep(["schedule-free"], horizons, lrs, np.array(at_x).reshape(shape))
    sweep.at_y = np.array(at_y).reshape(shape)
    return sweep


@dataclass
class DigitsRuns:
    """Validation losses on the digits, (horizons, learning rates, seeds) per method."""

    horizons: np.ndarray
    lrs: np.ndarray
    cosine: np.ndarray            # Adam with a cosine planned for each horizon, at that horizon
    schedule_free: np.ndarray     # one Schedule-Free AdamW run per setting, its x at each horizon

    @staticmethod
    def _tuned(losses):
        mean = losses.mean(axis=-1)
        best = mean.argmin(axis=-1)
        se = losses.std(axis=-1, ddof=1) / np.sqrt(losses.shape[-1])
        return mean.min(axis=-1), np.take_along_axis(se, best[:, None], axis=-1)[:, 0], best

    def tuned(self):
        """(cosine, schedule-free): the best mean validation loss at each horizon, its standard error, its index."""
        return self._tuned(self.cosine), self._tuned(self.schedule_free)


def digits_runs(epochs=(5, 20), lrs=(10**-1.5, 0.1, 10**-0.5, 1.0, 10**0.5), seeds=3, batch_size=32, seed=0):
    """Softmax regression on chapter 10's digits: Adam with a cosine against Schedule-Free AdamW.

    Minibatches of ``batch_size`` from the training part; the score is the cross-entropy
    on the validation part at each horizon (``epochs`` times the steps of one epoch).
    One batched run: every cosine row has its own horizon, every schedule-free row runs
    to the longest and is evaluated at its average ``x`` on the way.
    """
    from .digits import digits
    from .mlp import MLP

    data = digits(seed=seed)
    model = data.mlp(hidden=())
    val = MLP(data.X_val, data.y_val, hidden=(), classes=10, seed=0)
    per_epoch = int(np.ceil(model.n / batch_size))
    H = np.asarray(epochs) * per_epoch
    lrs = np.asarray(lrs, dtype=float)
    Tc, Lc, _ = np.meshgrid(H.astype(float), lrs, np.arange(seeds), indexing="ij")
    Ls = np.repeat(lrs, seeds)
    nc, ns = Tc.size, Ls.size
    cos = opt_.adam(lr=schedules.cosine(Lc.reshape(-1, 1), horizon=Tc.reshape(-1, 1)))
    free = opt_.schedule_free_adamw(lr=Ls.reshape(-1, 1))
    from .training import minibatch_grad

    grad = minibatch_grad(model, batch_size, seed=seed)
    theta = np.zeros((nc + ns, model.dim))
    s_cos, s_free = cos.init(theta[:nc]), free.init(theta[nc:])
    at_cos, at_free = [], []
    for t in range(1, int(H.max()) + 1):
        g = grad(theta)
        a, s_cos = cos.step(theta[:nc], g[:nc], s_cos)
        b, s_free = free.step(theta[nc:], g[nc:], s_free)
        theta = np.concatenate([a, b])
        if t in H:
            at_cos.append(val.value(a))
            at_free.append(val.value(s_free.x))
    shape = (H.size, lrs.size, seeds)
    at_cos = np.array(at_cos).reshape((H.size,) + shape)           # (evaluated at, planned horizon, lrs, seeds)
    own = np.stack([at_cos[j, j] for j in range(H.size)])
    return DigitsRuns(H, lrs, own, np.array(at_free).reshape(shape))
