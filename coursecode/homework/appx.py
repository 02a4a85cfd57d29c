"""Appendix "Beyond Adam": self-checking exercises.

* ``appx-radam-warmup``: how many of RAdam's first steps skip the adaptive denominator (numeric);
* ``appx-adabelief-first-step``: the length of AdaBelief's first step (numeric);
* ``appx-lion-step``: write Lion's update (checked against :func:`coursecode.lion`);
* ``appx-constant-gradient``: whose step keeps growing on a constant slope (multiple choice).

Every expected value is computed by coursecode, never typed in.

They are in the one registry, :func:`coursecode.exercises.registry`, with the
chapters'. Their static text names :func:`registry` of this module, the appendix's
view of it, which the appendix's cells use.
"""
from __future__ import annotations

import numpy as np

from .. import exercises as cx
from ..optimizers import adabelief, adam, adamax, lion, radam
from ..optimizers.beyond import LionState

# what the static page names to reach an exercise (Exercise.lookup): this module's view
REGISTRY_CALL = "coursecode.homework.appx.registry()"


# -- RAdam's warm-up -----------------------------------------------------------------------

RADAM_BETA2 = radam().hyperparameters["beta2"]


def radam_plain_steps(beta2=RADAM_BETA2, horizon=50):
    """How many of RAdam's first steps are plain momentum steps (no adaptive denominator).

    Measured with coursecode: with beta1 = 0, eps = 0 and the constant gradient 2, a plain
    step has length 2 lr, a rectified one lr * r_t < lr.
    """
    opt = radam(lr=1.0, beta1=0.0, beta2=beta2, eps=0.0)
    theta, state = np.zeros(1), opt.init(np.zeros(1))
    lengths = []
    for _ in range(horizon):
        new, state = opt.step(theta, np.array([2.0]), state)
        lengths.append(float(theta[0] - new[0]))
        theta = new
    plain = np.isclose(lengths, 2.0, rtol=1e-12)
    return int(np.argmin(plain)) if not plain.all() else horizon


def _radam_exercise():
    answer = radam_plain_steps()
    rho_inf = 2 / (1 - RADAM_BETA2) - 1
    return cx.NumericExercise(
        "appx-radam-warmup", "RAdam's warm-up",
        f"RAdam with β2 = {RADAM_BETA2:g} takes a plain momentum step, θ − γ m̂_t, as long as the length "
        "of the approximated simple moving average is ρ_t ≤ 5, and the rectified adaptive step afterwards. "
        "How many of the first steps (t = 1, 2, ...) are plain momentum steps?",
        answer=answer, atol=0.5, rtol=0.0,
        hints=[(answer + 1, f"ρ_t is just below t: ρ_{answer} ≤ 5 but ρ_{answer + 1} > 5. Count the steps "
                            "with ρ_t ≤ 5, not the first step with ρ_t > 5."),
               (answer - 1, "Compute ρ_t for t = 1, 2, ...: ρ_1 = 1 exactly, and ρ_t grows by just under 1 "
                            "per step. The test is ρ_t > 5 for the rectified step."),
               (rho_inf, f"{rho_inf:g} is ρ_∞ = 2/(1 − β2) − 1, the limit of ρ_t, not a number of steps."),
               (1, "ρ_1 = 1, but ρ_t keeps growing by almost 1 per step: how long does it stay ≤ 5?")],
        explanation=(f"ρ_t = ρ_∞ − 2tβ2^t/(1 − β2^t) starts at ρ_1 = 1 and grows by just under 1 per step, so "
                     f"the first {answer} steps are momentum steps of length γ|m̂_t|: not normalized, so a large "
                     "gradient gives a large step."),
        too_high="Hint: ρ_t is close to t for small t; compute ρ_t for t = 1, ..., 8.",
        too_low="Hint: ρ_t is close to t for small t; compute ρ_t for t = 1, ..., 8.")


# -- AdaBelief's first step ------------------------------------------------------------------

ADABELIEF = adabelief().hyperparameters
FIRST_GRADIENT = 3.0


def _first_step(opt, g=FIRST_GRADIENT):
    theta, _ = opt.step(np.zeros(1), np.array([g]), opt.init(np.zeros(1)))
    return float(abs(theta[0]))


def _adabelief_exercise():
    beta1, beta2, eps = ADABELIEF["beta1"], ADABELIEF["beta2"], ADABELIEF["eps"]
    g = FIRST_GRADIENT
    answer = _first_step(adabelief(lr=1.0))
    adam_answer = _first_step(adam(lr=1.0))
    s1 = (1 - beta2) * (beta1 * g) ** 2 + eps                 # s_1 from the prediction error g - m_1
    no_s_correction = g / (np.sqrt(s1) + eps)                 # s_1 left uncorrected
    no_m_correction = (1 - beta1) * g / (np.sqrt(s1 / (1 - beta2)) + eps)
    return cx.NumericExercise(
        "appx-adabelief-first-step", "AdaBelief's first step",
        f"AdaBelief starts with m0 = s0 = 0 and its defaults (β1 = {beta1:g}, β2 = {beta2:g}, ε = {eps:g}). The "
        f"first gradient in one coordinate is g1 = {g:g}. How long is the first step in units of the learning "
        "rate, |θ1 − θ0| / γ?",
        answer=answer, rtol=1e-3,
        hints=[(adam_answer, "That is Adam's first step (γ per coordinate). AdaBelief divides by the root of the "
                             "squared prediction error (g1 − m1)², not of g1²: what is g1 − m1?"),
               (no_s_correction, "You did not bias-correct s1: ŝ1 = s1 / (1 − β2)."),
               (no_m_correction, "You did not bias-correct m1: m̂1 = m1 / (1 − β1) = g1."),
               (1 / (1 - beta1), "Check g1 − m1: with m1 = (1 − β1) g1 it is β1 g1, so (g1 − m1)² = β1² g1²."),
               (lambda x: ("That is the signed step (θ1 − θ0)/γ; its length is positive."
                           if abs(x + answer) <= 1e-3 * answer else None))],
        explanation=(f"m̂1 = g1 and g1 − m1 = β1 g1, so ŝ1 = β1² g1² (+ a negligible ε term): the first step is "
                     f"γ/β1 = {1 / beta1:.4f} γ, a little longer than Adam's γ, whatever g1 is."),
        too_high="Hint: compute m1, then the prediction error g1 − m1, then s1 and both corrections.",
        too_low="Hint: compute m1, then the prediction error g1 − m1, then s1 and both corrections.")


# -- write Lion's step -------------------------------------------------------------------------

def _lion_reference(theta, g, m, lr, beta1, beta2, weight_decay):
    opt = lion(lr=lr, beta1=beta1, beta2=beta2, weight_decay=weight_decay)
    theta, state = opt.step(theta, g, LionState(0, m))
    return theta, state.m


def _lion_swapped(theta, g, m, lr, beta1, beta2, weight_decay):
    return _lion_reference(theta, g, m, lr, beta2, beta1, weight_decay)


def _lion_momentum_first(theta, g, m, lr, beta1, beta2, weight_decay):
    """The momentum is updated first and its sign taken (c computed from the new m)."""
    m = beta2 * m + (1 - beta2) * g
    c = beta1 * m + (1 - beta1) * g
    return theta * (1 - lr * weight_decay) - lr * np.sign(c), m


def _lion_sign_of_m(theta, g, m, lr, beta1, beta2, weight_decay):
    """The sign of the new momentum (beta1 ignored)."""
    m = beta2 * m + (1 - beta2) * g
    return theta * (1 - lr * weight_decay) - lr * np.sign(m), m


def _lion_no_sign(theta, g, m, lr, beta1, beta2, weight_decay):
    c = beta1 * m + (1 - beta1) * g
    return theta * (1 - lr * weight_decay) - lr * c, beta2 * m + (1 - beta2) * g


def _lion_decay_without_lr(theta, g, m, lr, beta1, beta2, weight_decay):
    c = beta1 * m + (1 - beta1) * g
    return theta * (1 - weight_decay) - lr * np.sign(c), beta2 * m + (1 - beta2) * g


def _lion_coupled_decay(theta, g, m, lr, beta1, beta2, weight_decay):
    g = g + weight_decay * theta
    c = beta1 * m + (1 - beta1) * g
    return theta - lr * np.sign(c), beta2 * m + (1 - beta2) * g


def _lion_uphill(theta, g, m, lr, beta1, beta2, weight_decay):
    new, m = _lion_reference(theta, g, m, lr, beta1, beta2, 0.0)
    return (2 * theta - new) * (1 - lr * weight_decay), m


def _lion_cases():
    rng = np.random.default_rng(11)
    r = lambda *shape: rng.normal(size=shape)  # noqa: E731
    # a later step: the momentum and the gradient disagree in some coordinates; in the first,
    # sign(0.9 m + 0.1 g) = +1 but the sign with the momentum updated first would be -1
    m, g = r(5), r(5)
    m[0], g[0] = 1.0, -8.5
    return [
        (r(5), g, m, 0.01, 0.9, 0.99, 0.0),
        # a batch (2 x 3), weight decay on, other betas
        (r(2, 3), r(2, 3), r(2, 3), 3e-4, 0.8, 0.95, 0.1),
        # the first step (m = 0), gradients of very different sizes, weight decay on
        (np.array([1.0, -2.0, 0.5]), np.array([1e-6, -3e4, 2.0]), np.zeros(3), 0.1, 0.9, 0.99, 0.5),
    ]


def _lion_exercise():
    return cx.UpdateExercise(
        "appx-lion-step", "Write Lion's step",
        "Write lion_step(theta, g, m, lr, beta1, beta2, weight_decay) that returns (theta, m) after one Lion "
        "step: interpolate c = β1 m + (1 − β1) g, move every coordinate by γ against sign(c), decay θ by "
        "(1 − γλ) (decoupled, as in AdamW), and only then update the momentum with β2: "
        "m = β2 m + (1 − β2) g. Return new arrays; do not change the inputs.",
        signature="lion_step(theta, g, m, lr, beta1, beta2, weight_decay)", cases=_lion_cases(),
        reference=_lion_reference, outputs=["theta", "m"],
        diagnoses=[
            (_lion_swapped, "You swapped the two betas: β1 interpolates the gradient into the update direction "
                            "c, β2 is the decay of the momentum m itself."),
            (_lion_momentum_first, "You updated m before computing c. Lion takes the sign of β1 m_{t−1} + "
                                   "(1 − β1) g_t with the old momentum, and updates m afterwards."),
            (_lion_sign_of_m, "You took the sign of the updated momentum. Lion's direction is the sign of the "
                              "interpolation c = β1 m + (1 − β1) g, with β1 and the old m."),
            (_lion_no_sign, "Your step is proportional to c. Lion takes the sign of c: every coordinate moves by "
                            "exactly γ (plus the decay)."),
            (_lion_decay_without_lr, "Your decay shrinks θ by (1 − λ); as in AdamW (PyTorch, optax) it is "
                                     "multiplied by the learning rate: θ(1 − γλ)."),
            (_lion_coupled_decay, "You added λθ to the gradient (an L2 penalty). Lion's weight decay is "
                                  "decoupled: it shrinks θ by (1 − γλ) and never enters c or m."),
            (_lion_uphill, "Your step goes uphill: subtract γ sign(c)."),
        ],
        explanation="This is coursecode.lion(lr, beta1, beta2, weight_decay).step.")


# -- a constant slope ----------------------------------------------------------------------------

def constant_slope_steps(steps=1000, g=1.0):
    """Step length / lr after ``steps`` steps of the constant gradient ``g``, per optimizer (coursecode)."""
    out = {}
    for name, factory in (("Adam", adam), ("Adamax", adamax), ("RAdam", radam), ("Lion", lion),
                          ("AdaBelief", adabelief)):
        opt = factory(lr=1.0)
        theta, state = np.zeros(1), opt.init(np.zeros(1))
        for _ in range(steps):
            new, state = opt.step(theta, np.array([g]), state)
            last = float(theta[0] - new[0])
            theta = new
        out[name] = last
    return out


def _constant_gradient_exercise():
    n = 1000
    lengths = constant_slope_steps(n)
    fmt = {k: f"{v:.3g}" for k, v in lengths.items()}
    return cx.ChoiceExercise(
        "appx-constant-gradient", "A constant slope",
        f"One coordinate sees the same gradient g = 1 at every step, {n} steps in a row, and every optimizer "
        "runs with its default hyperparameters and γ = 1. Whose step in that coordinate has grown far beyond γ?",
        [("AdaBelief", True,
          f"Right: its step is {fmt['AdaBelief']} γ after {n} steps. AdaBelief divides by the spread of g around "
          "its prediction m. On a constant slope the prediction becomes exact, the spread decays towards ε, and "
          "the step grows: large steps where the gradient is predictable."),
         ("Adam", False, f"Adam's step stays at about γ ({fmt['Adam']} γ): m̂ and √v̂ both tend to |g|."),
         ("Adamax", False, f"Adamax divides by max(β2 u, |g|) = |g| here: its step is {fmt['Adamax']} γ."),
         ("RAdam", False, f"RAdam's step is {fmt['RAdam']} γ: the rectifier r_t grows towards 1 but never "
                          "beyond, so its step stays below Adam's."),
         ("Lion", False, f"Lion moves every coordinate by exactly γ ({fmt['Lion']} γ): the sign of c has length "
                         "1 whatever the slope.")],
        explanation="AdaBelief's step is large where the gradient is predictable.")


def exercises():
    """The appendix's self-checking exercises (fresh objects on every call)."""
    items = [_radam_exercise(), _adabelief_exercise(), _lion_exercise(), _constant_gradient_exercise()]
    for ex in items:
        ex.lookup = REGISTRY_CALL
    return items


def registry():
    """Exercise id -> exercise, for this appendix: the ``appx-`` part of :func:`coursecode.exercises.registry`."""
    return {key: ex for key, ex in cx.registry().items() if key.startswith("appx-")}
