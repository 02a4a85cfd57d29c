"""Chapter 5 (Adam): self-checking exercises.

* ``ch5-first-step``: the length of Adam's first step (numeric);
* ``ch5-adam-step``: write Adam's update (checked against :func:`coursecode.adam`);
* ``ch5-beta2``: what beta2 controls (multiple choice).

Every expected value is computed by coursecode, never typed in.
"""
from __future__ import annotations

import numpy as np

from .. import exercises as cx
from ..optimizers import AdamState, adam

DEFAULTS = adam().hyperparameters  # lr, beta1, beta2, eps as the library binds them
FIRST_GRADIENT = 250.0


def _first_step(g, **hyperparameters):
    """|theta_1 - theta_0| for Adam started at 0 with first gradient ``g`` (one coordinate)."""
    opt = adam(**hyperparameters)
    theta, _ = opt.step(np.zeros(1), np.array([g]), opt.init(np.zeros(1)))
    return float(abs(theta[0]))


def _first_step_exercise():
    lr, beta1, beta2 = DEFAULTS["lr"], DEFAULTS["beta1"], DEFAULTS["beta2"]
    g = FIRST_GRADIENT
    answer = _first_step(g)
    no_correction = lr * (1 - beta1) / np.sqrt(1 - beta2)   # both moments left uncorrected
    m_only = lr * (1 - beta1) * g / abs(g)                  # m_1 not corrected, v_1 corrected
    return cx.NumericExercise(
        "ch5-first-step", "The length of Adam's first step",
        f"Adam starts with the defaults (γ = {lr:g}, β1 = {beta1:g}, β2 = {beta2:g}, "
        f"ε = {DEFAULTS['eps']:g}) and m0 = v0 = 0. The first gradient in one coordinate is "
        f"g1 = {g:g}. How long is the first step |θ1 − θ0| in that coordinate?",
        answer=answer, rtol=1e-3,
        hints=[(lr * g, f"{lr * g:g} = γ·g1 is gradient descent's step. Adam divides the corrected first "
                        "moment by the root of the corrected second moment."),
               (g, "That is the gradient itself, not the step."),
               (no_correction, "That is the step without bias correction, γ(1 − β1)/√(1 − β2). Lines 4 and 5 "
                               "divide m1 by 1 − β1 and v1 by 1 − β2."),
               (m_only, "You corrected v1 but not m1: m̂1 = m1 / (1 − β1) = g1."),
               (lambda x: ("That is the signed step θ1 − θ0; its length |θ1 − θ0| is positive."
                           if abs(x + answer) <= 1e-3 * answer else None))],
        explanation=(f"m̂1 = g1 and v̂1 = g1², so the step is γ·|g1|/(|g1| + ε), which is γ = {lr:g} up to a "
                     "relative ε/|g1|. The size of g1 plays no role: any non-zero g1 gives the same length."),
        too_high="Hint: compute m̂1 and v̂1 first; both β's cancel.",
        too_low="Hint: compute m̂1 and v̂1 first; both β's cancel.")


# -- write the update ------------------------------------------------------------------

def _adam_reference(theta, g, m, v, t, lr, beta1, beta2, eps, inside=False):
    """coursecode's step number ``t`` from moments ``m``, ``v`` (the state after t - 1 steps)."""
    opt = adam(lr=lr, beta1=beta1, beta2=beta2, eps=eps, eps_inside_sqrt=inside)
    theta, state = opt.step(theta, g, AdamState(int(t) - 1, m, v))
    return theta, state.m, state.v


def _moments(g, m, v, beta1, beta2):
    return beta1 * m + (1 - beta1) * g, beta2 * v + (1 - beta2) * g**2


def _no_correction(theta, g, m, v, t, lr, beta1, beta2, eps):
    m, v = _moments(g, m, v, beta1, beta2)
    return theta - lr * m / (np.sqrt(v) + eps), m, v


def _corrected_with(shift):
    """Bias correction with t + shift instead of t."""
    def wrong(theta, g, m, v, t, lr, beta1, beta2, eps):
        if t + shift < 1:
            raise ValueError("does not apply")  # 1 - beta^0 = 0
        m, v = _moments(g, m, v, beta1, beta2)
        m_hat, v_hat = m / (1 - beta1 ** (t + shift)), v / (1 - beta2 ** (t + shift))
        return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m, v
    return wrong


def _undamped(theta, g, m, v, t, lr, beta1, beta2, eps):
    """Moments without the (1 - beta) factors."""
    m, v = beta1 * m + g, beta2 * v + g**2
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def _square_of_m(theta, g, m, v, t, lr, beta1, beta2, eps):
    """v averages m^2 instead of g^2."""
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * m**2
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def _uphill(theta, g, m, v, t, lr, beta1, beta2, eps):
    new, m, v = _adam_reference(theta, g, m, v, t, lr, beta1, beta2, eps)
    return 2 * theta - new, m, v


def _cases():
    rng = np.random.default_rng(5)
    r = lambda *shape: rng.normal(size=shape)  # noqa: E731
    # the first step comes last: a bias correction with t - 1 divides by zero there,
    # and the later steps give that mistake a clearer diagnosis
    return [
        # a later step from non-zero moments
        (r(3), r(3), 0.1 * r(3), np.abs(r(3)), 4, 0.01, 0.9, 0.999, 1e-8),
        # a batch of parameters (2 x 2) and other betas
        (r(2, 2), r(2, 2), 0.1 * r(2, 2), np.abs(r(2, 2)), 7, 1e-3, 0.8, 0.99, 1e-6),
        # a large eps, comparable to v_hat: eps inside or outside the root changes the step by ~17%
        (np.array([0.3]), np.array([2e-3]), np.array([1e-3]), np.array([4e-6]), 2, 0.1, 0.9, 0.999, 1e-3),
        # the first step, two coordinates of very different scale
        (np.array([1.0, -2.0]), np.array([0.5, -300.0]), np.zeros(2), np.zeros(2), 1, 0.1, 0.9, 0.999, 1e-8),
    ]


def _adam_step_exercise():
    return cx.UpdateExercise(
        "ch5-adam-step", "Write Adam's step",
        "Write adam_step(theta, g, m, v, t, lr, beta1, beta2, eps) that returns (theta, m, v) after Adam's "
        "step number t (t = 1 for the first step), given the moments m and v from the step before: "
        "lines 2 to 6 of the algorithm, with ε outside the square root, θ − γ m̂ / (√v̂ + ε). "
        "Return new arrays; do not change the inputs.",
        signature="adam_step(theta, g, m, v, t, lr, beta1, beta2, eps)", cases=_cases(),
        reference=_adam_reference, outputs=["theta", "m", "v"],
        diagnoses=[
            (lambda *c: _adam_reference(*c, inside=True),
             "You put ε inside the square root, √(v̂ + ε), as the lecture's slides write it. This exercise, "
             "the paper, PyTorch and coursecode put it outside: √v̂ + ε. (The two differ only where v̂ is "
             "not much larger than ε, as in one of the test inputs.)"),
            (_no_correction, "Your moments are right, but θ moved without bias correction: divide m by "
                             "1 − β1^t and v by 1 − β2^t before the update (lines 4 and 5)."),
            (_corrected_with(-1), "Your bias correction uses t − 1. Here t is the number of the step being "
                                  "taken (1 for the first), so m̂ = m / (1 − β1^t)."),
            (_corrected_with(+1), "Your bias correction uses t + 1. Here t is already the number of the step "
                                  "being taken (1 for the first), so m̂ = m / (1 − β1^t)."),
            (_undamped, "Your moments add the new gradient without the factor (1 − β): m = β1 m + (1 − β1) g "
                        "and v = β2 v + (1 − β2) g²."),
            (_square_of_m, "Your v averages the square of m; it should average the square of the gradient, "
                           "g²."),
            (_uphill, "Your step goes uphill: subtract γ m̂ / (√v̂ + ε) from θ."),
        ],
        explanation="This is coursecode.adam(lr, beta1, beta2, eps).step.")


# -- multiple choice -------------------------------------------------------------------

def _beta2_exercise():
    memory_v = 1 / (1 - DEFAULTS["beta2"])
    memory_m = 1 / (1 - DEFAULTS["beta1"])
    return cx.ChoiceExercise(
        "ch5-beta2", "What does β2 control?",
        "In Adam, v_t = β2 v_{t−1} + (1 − β2) g_t². Which statement best describes what β2 controls?",
        [("How long v remembers squared gradients, and so how quickly each coordinate's step size adapts "
          "when the gradients change scale.", True,
          f"Right. The weights of old squared gradients decay like β2^k, so v follows about 1/(1 − β2) = "
          f"{memory_v:.0f} steps for the default. A large β2 gives a steady denominator that is slow to "
          "catch up after the gradients shrink or grow."),
         ("How long m remembers gradients, and so how smooth the direction of the step is.", False,
          f"That is β1: m averages the gradients over about 1/(1 − β1) = {memory_m:.0f} steps. β2 sets the "
          "memory of v, the average of the squared gradients."),
         ("The largest step Adam can take in a coordinate.", False,
          "That is mainly γ: when a coordinate's gradient keeps its sign, its step is about γ, whatever β2 is. "
          "β2 decides how fast the denominator √v̂ follows the gradients."),
         ("The smallest gradient for which Adam's step is still normalized.", False,
          "That is ε: the step stays close to γ only while |g| is well above ε (ε outside the root) or √ε "
          "(ε inside)."),
         ("How fast the learning rate decays during training, like a schedule.", False,
          "Adam has no built-in decay: v̂ can shrink as well as grow, so the effective step can grow again. "
          "β2 only sets how long v remembers.")],
        explanation="β2 sets the memory of the second moment.")


def exercises():
    """Chapter 5's self-checking exercises (fresh objects on every call)."""
    return [_first_step_exercise(), _adam_step_exercise(), _beta2_exercise()]
