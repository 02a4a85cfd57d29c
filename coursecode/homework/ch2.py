"""Chapter 2 (momentum): self-checking exercises.

* ``ch2-memory``: the memory 1/(1 - beta) of the velocity (numeric);
* ``ch2-optimal-beta``: Polyak's optimal momentum for given mu, L (numeric);
* ``ch2-stable-lr``: the largest stable heavy-ball learning rate (numeric);
* ``ch2-zigzag``: why momentum damps the zigzag in a ravine (multiple choice);
* ``ch2-momentum-step``: write the lecture's momentum update (checked against
  :func:`coursecode.momentum`);
* ``ch2-heavy-ball-step``: write Polyak's two-step update (checked against
  :func:`coursecode.momentum` with ``form="heavy_ball"``);
* ``ch2-nesterov-step``: write Nesterov's step in the lecture's form (checked against
  :func:`coursecode.momentum` with ``nesterov=True``);
* ``ch2-fast-momentum``: set the momentum explorer to a fast pair (slider task).

Every expected value is computed from the formulas or by coursecode, never typed in.
"""
from __future__ import annotations

import math

import numpy as np

from .. import exercises as cx
from ..optimizers import MomentumState, momentum
from ..theory import momentum_optimum, momentum_rate

MEMORY_BETA = 0.95
MU, L = 1.0, 100.0          # the quadratic of ch2-optimal-beta (kappa = 100)
STABLE_BETA, STABLE_LAMBDA = 0.5, 10.0
FAST_RATE = 0.45            # the slider task asks for a predicted rate below this
KAPPA_FOR_09 = ((1 + math.sqrt(0.9)) / (1 - math.sqrt(0.9))) ** 2  # the kappa whose beta* is 0.9


optimal_pair = momentum_optimum       # Polyak's optimal (alpha, beta, rate): coursecode.theory


def heavy_ball_rate(alpha, beta, eigenvalues):
    """The heavy-ball rate for one (alpha, beta), as a float: :func:`coursecode.theory.momentum_rate`."""
    return float(momentum_rate(alpha, beta, eigenvalues))


# -- numbers ------------------------------------------------------------------------------

def _memory_exercise():
    b = MEMORY_BETA
    answer = 1 / (1 - b)
    return cx.NumericExercise(
        "ch2-memory", "How far back does the velocity remember?",
        f"The velocity v_t = βv_(t−1) + (1 − β)g_t is a moving average whose newest gradient gets "
        f"weight 1 − β. A plain average of N gradients gives each weight 1/N. For β = {b:g}, how many "
        f"gradients N does the velocity remember in this sense?",
        answer=answer, rtol=1e-3,
        hints=[(1 - b, f"{1 - b:g} = 1 − β is the weight of the newest gradient; the memory N is the "
                       "number of gradients a plain average with that weight would use."),
               (b / (1 - b), f"{b / (1 - b):g} = β/(1 − β) is the mean age of the gradients in the average; "
                             "the memory matches the newest weight 1 − β with 1/N."),
               (1 / b, "1/β is not it: the newest gradient's weight is 1 − β, not β.")],
        explanation=f"1 − β = 1/N gives N = 1/(1 − β) = {answer:g} gradients; β = 0.9 remembers about "
                    "10 and β = 0.99 about 100.",
        too_high="Hint: set the newest weight 1 − β equal to 1/N.",
        too_low="Hint: set the newest weight 1 − β equal to 1/N.")


def _optimal_beta_exercise():
    alpha, beta, rate = optimal_pair(MU, L)
    kappa = L / MU
    return cx.NumericExercise(
        "ch2-optimal-beta", "The optimal momentum",
        f"The Hessian of a quadratic has eigenvalues between μ = {MU:g} and L = {L:g}. Which momentum β* "
        "makes the heavy ball θ ← θ − αg + β(θ − θ_prev) converge fastest (with its best α)?",
        answer=beta, rtol=2e-3,
        hints=[(rate, f"{rate:.4g} = (√L − √μ)/(√L + √μ) is the rate √β*, the factor per step; β* is its "
                      "square."),
               ((kappa - 1) / (kappa + 1), "That is (κ − 1)/(κ + 1), the best rate of gradient descent, "
                                           "not a momentum."),
               (alpha, f"{alpha:.4g} = 4/(√L + √μ)² is the optimal learning rate α*, not β*."),
               (0.9, f"0.9 is the usual default, which is optimal only for κ ≈ {KAPPA_FOR_09:.0f}; here "
                     f"κ = {kappa:g}."),
               (((L - MU) / (L + MU)) ** 2, "You squared (L − μ)/(L + μ); the formula uses square roots "
                                             "of the eigenvalues.")],
        explanation=f"β* = ((√L − √μ)/(√L + √μ))² = ({math.sqrt(L) - math.sqrt(MU):g}/"
                    f"{math.sqrt(L) + math.sqrt(MU):g})² ≈ {beta:.4f}, with α* = 4/(√L + √μ)² = "
                    f"{alpha:.4f} and rate √β* ≈ {rate:.4f} per step (gradient descent: "
                    f"{(kappa - 1) / (kappa + 1):.4f}).",
        too_high="Hint: β* = ((√L − √μ)/(√L + √μ))²: compute √L and √μ first.",
        too_low="Hint: β* = ((√L − √μ)/(√L + √μ))²: compute √L and √μ first.")


def _stable_lr_exercise():
    b, lam = STABLE_BETA, STABLE_LAMBDA
    answer = 2 * (1 + b) / lam
    return cx.NumericExercise(
        "ch2-stable-lr", "The edge of stability with momentum",
        f"The heavy ball θ ← θ − αg + β(θ − θ_prev) with β = {b:g} runs on f(θ) = λθ²/2 with "
        f"λ = {lam:g}. It converges from every start exactly when 0 < α < α_max. What is α_max?",
        answer=answer, rtol=1e-3,
        hints=[(2 / lam, f"{2 / lam:g} = 2/λ is the limit of gradient descent (β = 0); momentum moves it."),
               (2 * (1 + b) / (lam * (1 - b)), "That is the limit for the lecture's EMA learning rate "
                                               "γ = α/(1 − β); the question asks for the heavy-ball α."),
               ((1 + math.sqrt(b)) ** 2 / lam, "(1 + √β)²/λ is where the roots stop being complex, not "
                                               "where they leave the unit circle.")],
        explanation=f"The roots of z² − (1 + β − αλ)z + β stay inside the unit circle iff 0 < αλ < 2(1 + β), "
                    f"so α_max = 2(1 + β)/λ = {answer:g}: momentum tolerates larger steps than gradient "
                    f"descent's 2/λ = {2 / lam:g}.",
        too_high="There the root near −1 leaves the unit circle: evaluate z² − (1 + β − αλ)z + β at z = −1.",
        too_low="The heavy ball still converges there; find where the root at z = −1 appears.")


# -- multiple choice ------------------------------------------------------------------------

def _zigzag_exercise():
    return cx.ChoiceExercise(
        "ch2-zigzag", "Why momentum damps the zigzag",
        "On the ravine x² + 5y², gradient descent with a large learning rate zigzags across the narrow "
        "direction y. Why does momentum reduce the zigzag?",
        [("The y-components of successive gradients alternate in sign, so they largely cancel in the "
          "velocity, while the x-components keep the same sign and add up.", True,
          "Right: the velocity is a weighted sum of past gradients; alternating terms cancel, consistent "
          "ones accumulate. On a quadratic: gradient descent's factor 1 − αλ < 0 flips the sign of y at "
          "every step, and momentum replaces it with two roots whose product is β."),
         ("Momentum lowers the learning rate in the steep direction y and raises it in the flat "
          "direction x.", False,
          "That is preconditioning (the next chapter): momentum uses one learning rate for every "
          "coordinate. What differs between x and y is how the past gradients combine."),
         ("The factor 1 − β in the velocity makes every step smaller, so the iterate cannot overshoot.",
          False,
          "On a constant slope the EMA velocity grows to the full gradient, and the heavy ball's step "
          "even to α g/(1 − β): steps are not smaller. Too much momentum overshoots more, not less."),
         ("Momentum follows the Newton direction H⁻¹g, which points straight at the minimum.", False,
          "Momentum uses only gradients, never the Hessian; its path on the ravine is not straight, just "
          "less jagged.")])


# -- write the update -----------------------------------------------------------------------

def _ema_reference(theta, v, g, lr, beta):
    """coursecode's momentum step from velocity ``v``: returns (theta, v)."""
    opt = momentum(lr=lr, beta=beta)
    theta, state = opt.step(theta, g, MomentumState(0, np.asarray(v, float)))
    return theta, state.v


def _ema_cases():
    rng = np.random.default_rng(20)
    r = lambda *shape: rng.normal(size=shape)  # noqa: E731
    return [
        (np.array([1.0, -1.0]), np.zeros(2), np.array([2.0, 4.0]), 0.1, 0.9),
        (r(3), r(3), r(3), 0.05, 0.5),
        (r(2, 2), r(2, 2), r(2, 2), 1.0, 0.99),
    ]


def _momentum_step_exercise():
    return cx.UpdateExercise(
        "ch2-momentum-step", "Write the momentum step",
        "Write step(theta, v, g, lr, beta) returning (theta, v) after one step of momentum in the "
        "lecture's form: v ← βv + (1 − β)g, then θ ← θ − γv. Return new arrays.",
        signature="step(theta, v, g, lr, beta)", cases=_ema_cases(), reference=_ema_reference,
        outputs=["theta", "v"],
        diagnoses=[(lambda th, v, g, lr, b: (th - lr * (b * v + g), b * v + g),
                    "You used the heavy-ball accumulation v ← βv + g (PyTorch's buffer). The lecture's form "
                    "averages: v ← βv + (1 − β)g."),
                   (lambda th, v, g, lr, b: (th - lr * v, b * v + (1 - b) * g),
                    "Your v is right, but θ moved with the old velocity: update v first, then θ ← θ − γv."),
                   (lambda th, v, g, lr, b: (th - lr * ((1 - b) * v + b * g), (1 - b) * v + b * g),
                    "You swapped β and 1 − β: the old velocity keeps the large share β, the new gradient "
                    "gets 1 − β.")],
        explanation="This is coursecode.momentum(lr, beta).step.")


def _reference(theta, theta_prev, g, alpha, beta):
    """Polyak's step computed by coursecode: theta is theta_(t-1), theta_prev is theta_(t-2), and the
    buffer is b_(t-1) = (theta_(t-2) - theta_(t-1)) / alpha."""
    opt = momentum(lr=alpha, beta=beta, form="heavy_ball")
    buffer = (np.asarray(theta_prev, float) - np.asarray(theta, float)) / alpha
    new, _ = opt.step(theta, g, MomentumState(1, buffer))
    return new


def _cases():
    rng = np.random.default_rng(2)
    r = lambda *shape: rng.normal(size=shape)  # noqa: E731
    return [
        (np.array([1.0, -1.0]), np.array([1.5, -0.5]), np.array([2.0, 4.0]), 0.1, 0.9),
        (r(3), r(3), r(3), 0.05, 0.5),
        (r(2, 2), r(2, 2), r(2, 2), 0.2, 0.99),
        (np.array([0.3]), np.array([0.3]), np.array([-1.0]), 1.0, 0.0),
    ]


def _heavy_ball_exercise():
    return cx.UpdateExercise(
        "ch2-heavy-ball-step", "Write Polyak's heavy-ball step",
        "Write polyak_step(theta, theta_prev, g, alpha, beta) returning θ_t = θ_(t−1) − αg_t + "
        "β(θ_(t−1) − θ_(t−2)), where theta is θ_(t−1), theta_prev is θ_(t−2) and g = ∇f(θ_(t−1)) is "
        "the gradient at theta. Return a new array.",
        signature="polyak_step(theta, theta_prev, g, alpha, beta)", cases=_cases(), reference=_reference,
        outputs=["theta"],
        diagnoses=[(lambda th, tp, g, a, b: th - a * g + b * (tp - th),
                    "Your momentum term points backwards: it is β(θ_(t−1) − θ_(t−2)), the last "
                    "displacement applied again, not β(θ_(t−2) − θ_(t−1))."),
                   (lambda th, tp, g, a, b: th - a * (1 - b) * g + b * (th - tp),
                    "You damped the gradient by 1 − β as in the EMA form; Polyak's form uses αg itself "
                    "(the EMA's γ equals α/(1 − β))."),
                   (lambda th, tp, g, a, b: th - a * g,
                    "Your step is plain gradient descent: add the momentum term β(θ_(t−1) − θ_(t−2))."),
                   (lambda th, tp, g, a, b: th + a * g + b * (th - tp),
                    "Your gradient term goes uphill: subtract αg.")],
        explanation="This is coursecode.momentum(lr=alpha, beta=beta, form=\"heavy_ball\").step with the "
                    "buffer b_(t−1) = (θ_(t−2) − θ_(t−1))/α, and the lecture's form with γ = α/(1 − β).")


def _nesterov_reference(theta, v, g, lr, beta):
    """coursecode's Nesterov step in the lecture's form: returns (theta, v)."""
    opt = momentum(lr=lr, beta=beta, nesterov=True)
    theta, state = opt.step(theta, g, MomentumState(0, np.asarray(v, float)))
    return theta, state.v


def _nesterov_exercise():
    return cx.UpdateExercise(
        "ch2-nesterov-step", "Write Nesterov's momentum step",
        "Write nesterov_step(theta, v, g, lr, beta) returning (theta, v) after one step of Nesterov's "
        "momentum in the lecture's form: v ← βv + (1 − β)g as before, then θ ← θ − γ(βv + (1 − β)g) with "
        "the new v (PyTorch's SGD(nesterov=True) with lr = γ(1 − β)). Return new arrays.",
        signature="nesterov_step(theta, v, g, lr, beta)", cases=_ema_cases(), reference=_nesterov_reference,
        outputs=["theta", "v"],
        diagnoses=[(_ema_reference,
                    "That is plain momentum, θ ← θ − γv: Nesterov steps with βv + (1 − β)g, the new "
                    "velocity with the gradient averaged in once more."),
                   (lambda th, v, g, lr, b: (th - lr * (g + b * (b * v + g)), b * v + g),
                    "You used PyTorch's undamped buffer v ← βv + g; the lecture's form averages: "
                    "v ← βv + (1 − β)g and steps with βv + (1 − β)g."),
                   (lambda th, v, g, lr, b: (th - lr * (b * (b * v + (1 - b) * g) + g), b * v + (1 - b) * g),
                    "The gradient term of the step needs the factor 1 − β too: βv + (1 − β)g."),
                   (lambda th, v, g, lr, b: (th - lr * b * (b * v + (1 - b) * g), b * v + (1 - b) * g),
                    "Your step has only βv: add the fresh gradient's share (1 − β)g.")],
        explanation="This is coursecode.momentum(lr, beta, nesterov=True).step, which equals "
                    "torch.optim.SGD(lr=lr*(1 - beta), momentum=beta, nesterov=True).")


# -- set the sliders ------------------------------------------------------------------------

def _fast_condition(values):
    gamma, beta = values["lr"], values["beta"]
    mu, L_ = 2.0, 10.0  # the ravine x² + 5y²
    alpha = gamma * (1 - beta)  # the explorer's default (EMA) form
    rate = heavy_ball_rate(alpha, beta, [mu, L_])
    _, _, best = optimal_pair(mu, L_)
    if rate >= 1:
        return cx.Feedback(False, f"At γ = {gamma:.3g}, β = {beta:.3g} the predicted rate is {rate:.3f} ≥ 1: "
                                  "momentum diverges. Lower γ or raise β.")
    if rate >= FAST_RATE:
        return cx.Feedback(False, f"Predicted rate {rate:.3f} per step: not yet below {FAST_RATE:g}. The "
                                  "rate map's dark region is where you want to be; the snap checkbox shows "
                                  "the centre.")
    return cx.Feedback(True, f"Predicted rate {rate:.3f} per step (the optimum is {best:.3f}, gradient descent "
                             f"at its best {(L_ - mu) / (L_ + mu):.3f}).")


def _fast_momentum_task():
    return cx.SliderTask(
        "ch2-fast-momentum", "Find a fast pair",
        f"In the momentum explorer (the lecture's form), set the learning rate γ and momentum β so that "
        f"the predicted rate on the ravine is below {FAST_RATE:g} per step.",
        explorer="momentum", condition=_fast_condition, controls={"lr": "number", "beta": "number"},
        start={"lr": 1.0, "beta": 0.9})


def exercises():
    """The chapter's self-checking exercises, in the order the chapter uses them."""
    return [_memory_exercise(), _optimal_beta_exercise(), _stable_lr_exercise(), _zigzag_exercise(),
            _momentum_step_exercise(), _heavy_ball_exercise(), _nesterov_exercise(), _fast_momentum_task()]
