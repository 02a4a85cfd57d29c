"""Chapter 6 (Adam's properties): self-checking exercises.

* ``ch6-bias-m1``: the expected first moment after one step (numeric);
* ``ch6-sparse-bound``: Kingma & Ba's step bound for a lone spike (numeric);
* ``ch6-worst-step``: the largest step any gradient sequence can cause (numeric);
* ``ch6-nsr-step``: the mean progress per step at a given noise-to-signal ratio (numeric);
* ``ch6-eps-breaks``: which property epsilon breaks (multiple choice).

Every expected value is computed with coursecode or from the closed forms of the
chapter, never typed in.
"""
from __future__ import annotations

import math

import numpy as np

from .. import exercises as cx
from ..optimizers import adam

DEFAULTS = adam().hyperparameters  # lr, beta1, beta2, eps as the library binds them


def expected_m(t, mu, beta1):
    """E[m_t] for stationary gradients of mean ``mu``: (1 - beta1^t) mu."""
    return (1 - beta1**t) * mu


def spike_bound(beta1, beta2):
    """Kingma & Ba's sparse-case step bound, in units of lr: (1 - beta1) / sqrt(1 - beta2)."""
    return (1 - beta1) / math.sqrt(1 - beta2)


def worst_step(beta1, beta2):
    """sup over all gradient sequences of |step| / lr (eps = 0), or inf when beta1^2 >= beta2.

    Cauchy-Schwarz on m = sum a_j g_{t-j}, v = sum b_j g_{t-j}^2 with the steady-state
    weights a_j = (1 - beta1) beta1^j, b_j = (1 - beta2) beta2^j.
    """
    q = beta1**2 / beta2
    if q >= 1:
        return math.inf
    return (1 - beta1) / math.sqrt((1 - beta2) * (1 - q))


def nsr_progress(nsr):
    """|E m_hat| / sqrt(E v_hat) for stationary gradients: 1 / sqrt(1 + NSR^2)."""
    return 1 / math.sqrt(1 + nsr**2)


def _measured_first_moment(mu, beta1):
    """m_1 from coursecode for the gradient mu (E[m_1] = m_1 when g_1 = mu)."""
    opt = adam(beta1=beta1)
    _, state = opt.step(np.zeros(1), np.array([mu]), opt.init(np.zeros(1)))
    return float(state.m[0])


def _bias_m1_exercise():
    beta1, mu = DEFAULTS["beta1"], 2.0
    answer = _measured_first_moment(mu, beta1)
    return cx.NumericExercise(
        "ch6-bias-m1", "The first moment after one step",
        f"Adam starts with m0 = 0 and β1 = {beta1:g}. The gradients are stationary with mean "
        f"E[g_t] = μ = {mu:g}. What is E[m1], the expected first moment after the first step "
        "(before bias correction)?",
        answer=answer, rtol=1e-3,
        hints=[(mu, f"{mu:g} = μ is E[m̂1], the bias-corrected value. The raw m1 = (1 − β1) g1 "
                    "still carries the weight β1 of the zero it started from."),
               (beta1 * mu, f"{beta1 * mu:g} = β1 μ: the new gradient enters with weight 1 − β1, "
                            "and the old m0 = 0 with weight β1."),
               ((1 - beta1) * mu**2, "That squares μ; m averages the gradients themselves, not their "
                                     "squares."),
               (1 - beta1, f"{1 - beta1:g} = 1 − β1 is the weight; multiply it by μ.")],
        explanation=(f"m1 = β1·0 + (1 − β1) g1, so E[m1] = (1 − β1) μ = {answer:g}: ten times too small. "
                     "Dividing by 1 − β1^1 = 1 − β1 gives E[m̂1] = μ."),
        too_high="Write m1 from its definition with m0 = 0, then take the expectation.",
        too_low="Write m1 from its definition with m0 = 0, then take the expectation.")


def _sparse_bound_exercise():
    beta1, beta2 = DEFAULTS["beta1"], DEFAULTS["beta2"]
    answer = spike_bound(beta1, beta2)
    return cx.NumericExercise(
        "ch6-sparse-bound", "A spike after a long silence",
        f"A coordinate's gradient has been 0 for a very long time (so the bias corrections are 1), "
        f"then it is g ≠ 0 once. With β1 = {beta1:g}, β2 = {beta2:g} and ε = 0, how long is Adam's "
        "step, in units of the learning rate γ?",
        answer=answer, rtol=2e-3,
        hints=[((1 - beta1) / (1 - beta2), "That divides by 1 − β2; the step divides by the square root "
                                           "of v, so by √(1 − β2)."),
               (1.0, "1 is the step for a constant gradient. Here m and v hold only the spike: "
                     "m = (1 − β1) g and v = (1 − β2) g²."),
               (1 - beta1, "That is m/g; divide by √v/|g| = √(1 − β2) as well."),
               (1 / math.sqrt(1 - beta2), "That forgets the factor 1 − β1 of m."),
               (worst_step(beta1, beta2), "That is the worst case over all gradient sequences (a gradient "
                                          "growing by β2/β1 per step), not the lone spike.")],
        explanation=(f"m = (1 − β1) g and √v = √(1 − β2) |g|, so the step is γ (1 − β1)/√(1 − β2) = "
                     f"{answer:.3f} γ: Kingma & Ba's sparse-case bound."),
        too_high="Write m and v when the spike is the only non-zero gradient.",
        too_low="Write m and v when the spike is the only non-zero gradient.")


def _worst_step_exercise():
    beta1, beta2 = DEFAULTS["beta1"], DEFAULTS["beta2"]
    answer = worst_step(beta1, beta2)
    return cx.NumericExercise(
        "ch6-worst-step", "The longest possible step",
        f"With β1 = {beta1:g}, β2 = {beta2:g}, ε = 0 and t large (bias corrections 1), what is the "
        "largest |Δθ|/γ that any sequence of gradients can produce? (Cauchy–Schwarz with the weights "
        "of m and v; give three significant digits.)",
        answer=answer, rtol=2e-3,
        hints=[(spike_bound(beta1, beta2), "That is the lone spike, Kingma & Ba's case. Gradients that "
                                           "grow by β2/β1 per step do better."),
               (1.0, "1 holds when β1 = β2. With β1 < β2, m weighs recent gradients more than v does."),
               ((1 - beta1) ** 2 / ((1 - beta2) * (1 - beta1**2 / beta2)),
                "That is the square of the bound: take the square root."),
               (math.sqrt((1 - beta1) / (1 - beta2)), "√((1 − β1)/(1 − β2)) bounds the ratio of the newest "
                                                      "weights only; sum a_j²/b_j over all j.")],
        explanation=(f"sup = √(Σ a_j²/b_j) = (1 − β1)/√((1 − β2)(1 − β1²/β2)) = {answer:.3f}, reached by "
                     "gradients growing by the factor β2/β1 per step."),
        too_high="Apply Cauchy–Schwarz to m = Σ a_j g_j with the weights b_j of v.",
        too_low="A lone spike already gives 3.16: can a growing sequence give more?")


def _nsr_exercise():
    nsr = 2.0
    answer = nsr_progress(nsr)
    return cx.NumericExercise(
        "ch6-nsr-step", "Progress at a noise-to-signal ratio of 2",
        f"A coordinate's gradients are stationary with standard deviation twice their mean (NSR = "
        f"{nsr:g}). Using |E m̂| / √(E v̂), what is Adam's mean progress per step in units of γ?",
        answer=answer, rtol=5e-3,
        hints=[(1 / (1 + nsr**2), "That is 1/(1 + NSR²): take the square root of E v̂ = μ² + σ²."),
               (1 / nsr, "1/NSR = |μ|/σ forgets the mean's own contribution to E v̂ = μ² + σ²."),
               (1 / math.sqrt(1 + nsr), "The variance is σ² = NSR² μ², so E v̂ = μ²(1 + NSR²)."),
               (1.0, "1 is the noiseless case; noise enlarges v̂ and so shrinks the step.")],
        explanation=(f"E m̂ = μ and E v̂ = μ² + σ² = μ²(1 + NSR²), so the ratio is 1/√(1 + NSR²) = "
                     f"1/√5 = {answer:.3f}."),
        too_high="Noise enlarges E v̂ = μ² + σ².",
        too_low="E m̂ = μ and E v̂ = μ² + σ²; take their ratio with a square root.")


def _eps_exercise():
    return cx.ChoiceExercise(
        "ch6-eps-breaks", "What does ε break?",
        "Of the four properties in this chapter, which one does a positive ε in γ m̂ / (√v̂ + ε) break?",
        [("Bias correction: E[m̂_t] = μ no longer holds.", False,
          "ε does not enter m or v at all, so their expectations and the corrections are unchanged."),
         ("Scale invariance: multiplying the gradients by c is the same as running Adam with ε/c, so "
          "very small gradients get smaller steps.", True,
          "Right: c m̂ / (c √v̂ + ε) = m̂ / (√v̂ + ε/c). Once c|g| is near ε, ε takes over and Adam "
          "slows down like gradient descent."),
         ("The bounded step: with ε the step can exceed γ.", False,
          "ε only enlarges the denominator, so every step gets shorter: any bound that holds with ε = 0 "
          "still holds."),
         ("The noise-to-signal behaviour: with ε noisy coordinates take larger steps.", False,
          "ε is the same for all coordinates and far below √v̂ for gradients of ordinary size; it does not "
          "favour noisy coordinates.")],
        explanation="ε breaks scale invariance.")


def exercises():
    """Chapter 6's self-checking exercises (fresh objects on every call)."""
    return [_bias_m1_exercise(), _sparse_bound_exercise(), _worst_step_exercise(), _nsr_exercise(),
            _eps_exercise()]
