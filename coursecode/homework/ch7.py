"""Chapter 7 (AMSGrad): self-checking exercises.

* ``ch7-cycle-sum``: the loss of one cycle of the counterexample at x = -1 (numeric);
* ``ch7-beta2``: Reddi et al.'s choice beta2 = 1/(1 + C^2) for C = 3 (numeric);
* ``ch7-drift``: Adam's net move over one cycle, in units of the step size (numeric);
* ``ch7-max``: what the running maximum of AMSGrad guarantees (multiple choice);
* ``ch7-amsgrad-step``: write Reddi et al.'s Algorithm 2 step (checked against
  :func:`coursecode.amsgrad` with ``bias_correction=False, eps=0``).

Every expected value is computed by coursecode, never typed in.
"""
from __future__ import annotations

import numpy as np

from .. import exercises as cx
from ..online import reddi_cycle
from ..optimizers import AMSGradState, adam, amsgrad
from ..run import run

C = 3.0          # the counterexample's large gradient in every exercise
DRIFT_LR = 0.01  # constant step size of the drift exercise
DRIFT_START = 300  # the cycle of steps 301..303 is measured: v has settled, x is inside (-1, 1)


def _cycle_sum_exercise():
    problem = reddi_cycle(C=C)
    c = problem.coefficient(np.arange(1, 4))            # C, -1, -1
    answer = float(np.sum(c * -1.0))                      # F_cycle(-1) = (C - 2)(-1)
    return cx.NumericExercise(
        "ch7-cycle-sum", "The loss of one cycle at the optimum",
        f"In the counterexample f_t(x) = C x when t mod 3 = 1 and f_t(x) = −x otherwise, with C = {C:g}. "
        "One cycle of three steps adds up to F_cycle(x) = f_1(x) + f_2(x) + f_3(x). What is F_cycle(−1)?",
        answer=answer, atol=1e-6, rtol=1e-6,
        hints=[(-answer, "That is F_cycle(+1), or a sign slip: F_cycle(x) = (C − 2) x, evaluated at x = −1."),
               (-(C + 2), "You added the two small losses as +x instead of −x: F_cycle(x) = C x − x − x."),
               (C + 2, "Check the signs: F_cycle(x) = C x − x − x = (C − 2) x, then put x = −1."),
               (0.0, "F_cycle is zero only at x = 0; the optimum of the cycle is the end x = −1."),
               (-C, "That is the first loss alone, f_1(−1) = −C; add the two others, −x = +1 each.")],
        explanation=(f"F_cycle(x) = (C − 2) x = ({C:g} − 2) x, so F_cycle(−1) = {answer:g}: the smallest value on "
                     "[−1, 1], because C > 2 makes the slope positive. At x = +1 the cycle costs "
                     f"{-answer:g}, so a learner stuck at +1 loses {-2 * answer:g} per cycle against x = −1."))


def _beta2_exercise():
    answer = 1.0 / (1.0 + C**2)
    return cx.NumericExercise(
        "ch7-beta2", "Reddi et al.'s β2",
        f"Reddi et al. run Adam on the counterexample with β1 = 0 and β2 = 1/(1 + C²). What is β2 for C = {C:g}?",
        answer=answer, rtol=1e-3,
        hints=[(1 / C**2, "That is 1/C²; the formula has 1 + C² in the denominator."),
               (1 / (1 + C), "That is 1/(1 + C); the formula squares C."),
               (1 / np.sqrt(1 + C**2), "That is 1/√(1 + C²); β2 itself is 1/(1 + C²), without the root."),
               (1 - 1 / (1 + C**2), "That is 1 − β2; β2 = 1/(1 + C²).")],
        explanation=(f"β2 = 1/(1 + {C:g}²) = {answer:g}: a very short memory for v, about 1/(1 − β2) ≈ "
                     f"{1 / (1 - answer):.2f} steps, so v forgets the large gradient within the cycle."))


def measured_drift(C=C, lr=DRIFT_LR, beta2=None, start=DRIFT_START):
    """Adam's move x_{start+3} - x_start over the cycle of steps start+1..start+3, divided by lr."""
    beta2 = 1.0 / (1.0 + C**2) if beta2 is None else beta2
    traj = run(adam(lr=lr, beta1=0.0, beta2=beta2), reddi_cycle(C=C), [0.0], start + 3)
    return float((traj.thetas[start + 3, 0] - traj.thetas[start, 0]) / lr)


def _drift_exercise():
    answer = measured_drift()
    beta2 = 1.0 / (1.0 + C**2)
    ams = run(amsgrad(lr=DRIFT_LR, beta1=0.0, beta2=beta2), reddi_cycle(C=C), [0.0], DRIFT_START + 3)
    ams_drift = float((ams.thetas[DRIFT_START + 3, 0] - ams.thetas[DRIFT_START, 0]) / DRIFT_LR)
    return cx.NumericExercise(
        "ch7-drift", "Adam's net move over one cycle",
        f"Adam with β1 = 0, β2 = 1/(1 + C²), C = {C:g} and a constant step size γ runs on the counterexample "
        "(gradients C, −1, −1, ...). Once v has settled into its repeating cycle, and while x stays inside "
        "(−1, 1), how far does x move over one full cycle of three steps, in units of γ? (Positive means "
        "towards +1; ε is negligible. Two significant digits are enough.)",
        answer=answer, rtol=0.02,
        hints=[(1.0, "That is the lecture's rough count: −γ + γ + γ. It assumes √v ≈ C at the large gradient and "
                     "√v ≈ 1 at the small ones. With β2 = 0.1, v is not there yet: compute the repeating values "
                     "v_a, v_b, v_c of the cycle and the three steps −C/√v_a, 1/√v_b, 1/√v_c."),
               (ams_drift, "That is AMSGrad's move over a cycle, with one shared denominator √v̂ = √v_a. Adam "
                           "divides each step by its own current √v."),
               (-answer, "Right size, wrong sign: Adam drifts towards +1, the wrong end."),
               (-1.0, "That is only the step at the large gradient in the lecture's count; add the two small ones.")],
        too_high="The two small steps are shorter than γ, because v has not decayed to 1 by then.",
        too_low="The step at the large gradient is about −C/√v_a with v_a < C², a little longer than γ.",
        explanation=(f"The stationary cycle of v is v_a = (C² + β2 + β2²)/(1 + β2 + β2²) at the large gradient, "
                     "then v_b = β2 v_a + 1 − β2 and v_c = β2 v_b + 1 − β2. The three steps are −C/√v_a, "
                     f"+1/√v_b and +1/√v_c, which add up to {answer:.3f}γ: positive, so Adam drifts to +1, but "
                     "not the full γ of the rough count."))


def _max_exercise():
    first = amsgrad(lr=1.0, eps=0.0)                          # defaults beta1 = 0.9, beta2 = 0.999
    x, _ = first.step(np.zeros(1), np.ones(1), first.init(np.zeros(1)))
    first_step = float(abs(x[0]))
    return cx.ChoiceExercise(
        "ch7-max", "What does the maximum in AMSGrad guarantee?",
        "AMSGrad keeps v̂_t = max(v̂_{t−1}, v_t) and steps x_t = x_{t−1} − γ_t m_t / √v̂_t. Which statement "
        "does the maximum guarantee?",
        [("v̂_t never decreases, so with a non-increasing step size γ_t the effective step size γ_t/√v̂_t of "
          "every coordinate never increases.", True,
          "Right. Adam's v_t can shrink after a large gradient, and its effective step size then grows again: "
          "that is what lets the small gradients of the counterexample outweigh the rare large one. The maximum "
          "rules it out; this monotonicity is what the proof of Reddi et al.'s Theorem 4 uses."),
         ("x_t converges to the minimizer for any choice of step sizes.", False,
          "No: with a constant step size AMSGrad keeps moving by about γ around the optimum, and its regret "
          "bound (Theorem 4) needs γ_t = γ/√t and β1 < √β2. The maximum alone guarantees no convergence."),
         ("v̂_t is an unbiased estimate of the mean squared gradient.", False,
          "No: a running maximum over-estimates the average of g², and AMSGrad (Algorithm 2) has no bias "
          "correction either. Over-estimating is the point: it keeps the steps small after a rare large gradient."),
         ("Every step is at most γ_t long in each coordinate.", False,
          f"No: |m_t|/√v̂_t can exceed 1. With the default β1 = 0.9, β2 = 0.999 the paper's first step is "
          f"(1 − β1)/√(1 − β2) ≈ {first_step:.2f} times γ."),
         ("The step direction always points towards the minimizer of the average loss.", False,
          "No: the step still follows m_t, the recent gradients; in the counterexample two of every three steps "
          "point away from the optimum. The maximum only keeps those steps from growing.")],
        explanation="The maximum makes the denominator, and so the per-coordinate step size, monotone.")


# -- write the update ------------------------------------------------------------------

def _reference(x, g, m, v, v_hat, lr, beta1, beta2):
    """Reddi et al.'s Algorithm 2, one step without projection: coursecode with eps = 0."""
    opt = amsgrad(lr=lr, beta1=beta1, beta2=beta2, eps=0.0, bias_correction=False)
    x, state = opt.step(x, g, AMSGradState(0, m, v, v_hat))
    return x, state.m, state.v, state.v_max


def _moments(g, m, v, beta1, beta2):
    return beta1 * m + (1 - beta1) * g, beta2 * v + (1 - beta2) * g**2


def _no_max(x, g, m, v, v_hat, lr, beta1, beta2):
    """Adam without bias correction (RMSProp with momentum): divides by the current v."""
    m, v = _moments(g, m, v, beta1, beta2)
    return x - lr * m / np.sqrt(v), m, v, np.maximum(v_hat, v)


def _max_of_old_v(x, g, m, v, v_hat, lr, beta1, beta2):
    """The maximum taken with the previous v, before the update."""
    v_hat = np.maximum(v_hat, v)
    m, v = _moments(g, m, v, beta1, beta2)
    return x - lr * m / np.sqrt(v_hat), m, v, v_hat


def _max_of_g2(x, g, m, v, v_hat, lr, beta1, beta2):
    """The maximum over g^2 instead of over the moving average v."""
    m, v = _moments(g, m, v, beta1, beta2)
    v_hat = np.maximum(v_hat, g**2)
    return x - lr * m / np.sqrt(v_hat), m, v, v_hat


def _step_with_g(x, g, m, v, v_hat, lr, beta1, beta2):
    """The numerator uses g instead of m."""
    m, v = _moments(g, m, v, beta1, beta2)
    v_hat = np.maximum(v_hat, v)
    return x - lr * g / np.sqrt(v_hat), m, v, v_hat


def _bias_corrected(x, g, m, v, v_hat, lr, beta1, beta2, t=1):
    """PyTorch's form at step t (the cases do not carry t; the first step is the telling one)."""
    m, v = _moments(g, m, v, beta1, beta2)
    v_hat = np.maximum(v_hat, v)
    return x - lr * (m / (1 - beta1**t)) / np.sqrt(v_hat / (1 - beta2**t)), m, v, v_hat


def _uphill(x, g, m, v, v_hat, lr, beta1, beta2):
    new, m, v, v_hat = _reference(x, g, m, v, v_hat, lr, beta1, beta2)
    return 2 * x - new, m, v, v_hat


def _cases():
    rng = np.random.default_rng(7)
    r = lambda *shape: rng.normal(size=shape)  # noqa: E731
    return [
        # the running maximum holds: v_hat_prev is larger than the new v
        (np.array([0.2]), np.array([-1.0]), np.array([0.5]), np.array([2.0]), np.array([9.0]), 0.1, 0.0, 0.1),
        # the new v sets a new maximum (a large gradient)
        (np.array([-0.4]), np.array([3.0]), np.array([-0.8]), np.array([1.2]), np.array([1.5]), 0.01, 0.9, 0.99),
        # three coordinates, some with a new maximum and some without
        (r(3), np.array([0.3, -2.0, 5.0]), 0.1 * r(3), np.array([0.5, 0.1, 4.0]),
         np.array([2.0, 0.2, 4.0]), 0.05, 0.9, 0.999),
        # the first step from zero moments, two coordinates of very different scale
        (np.array([1.0, -2.0]), np.array([0.5, -300.0]), np.zeros(2), np.zeros(2), np.zeros(2), 0.1, 0.9, 0.999),
    ]


def _amsgrad_step_exercise():
    return cx.UpdateExercise(
        "ch7-amsgrad-step", "Write AMSGrad's step (Reddi et al., Algorithm 2)",
        "Write amsgrad_step(x, g, m, v, v_hat, lr, beta1, beta2) that returns (x, m, v, v_hat) after one step of "
        "Reddi et al.'s Algorithm 2: m = β1 m + (1 − β1) g, v = β2 v + (1 − β2) g², v̂ = max(v̂, v), "
        "x = x − lr·m/√v̂. No bias correction, no ε and no projection. Return new arrays; do not change the "
        "inputs.",
        signature="amsgrad_step(x, g, m, v, v_hat, lr, beta1, beta2)", cases=_cases(),
        reference=_reference, outputs=["x", "m", "v", "v_hat"],
        diagnoses=[
            (_no_max, "Your step divides by the current √v: that is Adam without bias correction, whose step "
                      "grows again when v shrinks. AMSGrad divides by √v̂, the running maximum of v."),
            (_max_of_old_v, "Your maximum uses v from before the update. Update v first, then v̂ = max(v̂, v), "
                            "then step with the new v̂."),
            (_max_of_g2, "Your maximum is over g². AMSGrad keeps the maximum of the moving average v, "
                         "v̂ = max(v̂, v)."),
            (_step_with_g, "Your step uses the gradient g; it should use the first moment m (after updating it)."),
            (_bias_corrected, "You bias-corrected m and v, as PyTorch's Adam(amsgrad=True) does. Algorithm 2 of "
                              "the paper has no bias correction: x − lr·m/√v̂."),
            (_uphill, "Your step goes uphill: subtract lr·m/√v̂ from x."),
        ],
        explanation="This is coursecode.amsgrad(lr, beta1, beta2, eps=0.0, bias_correction=False).step.")


def exercises():
    """Chapter 7's self-checking exercises (fresh objects on every call)."""
    return [_cycle_sum_exercise(), _beta2_exercise(), _drift_exercise(), _max_exercise(),
            _amsgrad_step_exercise()]
