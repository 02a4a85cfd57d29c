"""Chapter 8 (AdamW): self-checking exercises.

* ``ch8-lambda-convert``: PyTorch's weight decay in the paper's units (numeric);
* ``ch8-decay-factor``: AdamW's shrink factor per step at the lecture's defaults (numeric);
* ``ch8-decay-ratio``: how much weaker Adam + L2's pull is on a high-gradient coordinate (numeric);
* ``ch8-less-regularized``: which coordinates Adam + L2 regularizes less (multiple choice);
* ``ch8-adamw-step``: write AdamW's step (checked against :func:`coursecode.adamw`).

Every expected value is computed by coursecode, never typed in.
"""
from __future__ import annotations

import numpy as np

from .. import exercises as cx
from ..optimizers import AdamState, adam, adam_l2, adamw

DEFAULTS = adamw().hyperparameters          # lr 1e-3, weight_decay 1e-2: the lecture's and PyTorch's
OPTAX_WEIGHT_DECAY = 1e-4                   # optax.adamw's default (references.md)


def _one_step(opt, theta, g):
    """theta after one step of ``opt`` from a fresh state."""
    theta, g = np.atleast_1d(np.asarray(theta, float)), np.atleast_1d(np.asarray(g, float))
    return opt.step(theta, g, opt.init(theta))[0]


# -- numbers ---------------------------------------------------------------------------

def _lambda_convert_exercise():
    lr, wd = DEFAULTS["lr"], DEFAULTS["weight_decay"]
    # the paper's decay with eta_t = 1 is theta <- (1 - lambda_paper) theta: read it off one AdamW step
    # taken with a zero gradient (the Adam part of the step is then exactly zero)
    answer = 1.0 - float(_one_step(adamw(lr=lr, weight_decay=wd), 1.0, 0.0)[0])
    return cx.NumericExercise(
        "ch8-lambda-convert", "From PyTorch's λ to the paper's",
        f"A training script uses torch.optim.AdamW(lr={lr:g}, weight_decay={wd:g}) with a constant learning "
        "rate. Loshchilov and Hutter write the decay as θ ← θ − η_t λ θ with the schedule multiplier η_t = 1, "
        "so their λ is not multiplied by the learning rate. Which λ (in the paper's units) makes the same "
        "update?", answer=answer, rtol=1e-3,
        hints=[(wd, f"{wd:g} is PyTorch's weight_decay itself. PyTorch multiplies it by lr before shrinking θ; "
                    "the paper does not, so the paper's λ must already contain that factor."),
               (wd / lr, f"{wd / lr:g} divides by the learning rate; PyTorch shrinks θ by lr · weight_decay per "
                         "step, so the paper's λ is the product, not the ratio."),
               (lr, f"{lr:g} is the learning rate alone; the shrink per step is lr · weight_decay."),
               (OPTAX_WEIGHT_DECAY, f"{OPTAX_WEIGHT_DECAY:g} is optax.adamw's default weight decay, a different "
                                    "library default, not the converted value."),
               (1 - answer, f"{1 - answer:g} is the factor 1 − λ that multiplies θ; the question asks for λ.")],
        explanation=(f"λ_paper = lr · λ_torch = {lr:g} × {wd:g} = {answer:g}: both then shrink θ by the factor "
                     f"1 − {answer:g} in every step."),
        too_high="Hint: write both updates for a gradient of zero and compare the factors that multiply θ.",
        too_low="Hint: write both updates for a gradient of zero and compare the factors that multiply θ.")


def _decay_factor_exercise():
    lr, wd = DEFAULTS["lr"], DEFAULTS["weight_decay"]
    answer = float(_one_step(adamw(lr=lr, weight_decay=wd), 1.0, 0.0)[0])   # 1 - lr * wd
    return cx.NumericExercise(
        "ch8-decay-factor", "AdamW's shrink factor",
        f"AdamW with the lecture's defaults (γ = {lr:g}, λ = {wd:g}, PyTorch's convention) first multiplies "
        "every weight by a factor, then takes the Adam step. What is that factor? Give at least five decimals.",
        answer=answer, rtol=0.0, atol=2e-7,
        hints=[(1 - wd, f"{1 - wd:g} = 1 − λ leaves out the learning rate: PyTorch's AdamW multiplies θ by "
                        "1 − γλ."),
               (1 - lr, f"{1 - lr:g} = 1 − γ leaves out λ."),
               (lr * wd, f"{lr * wd:g} = γλ is the fraction removed per step; the factor is 1 minus it."),
               (1 + lr * wd, "The factor is below 1: weight decay shrinks θ (1 − γλ, not 1 + γλ)."),
               (lambda x: ("Rounded to four decimals this is 1.0000, which cannot be told apart from no decay: "
                           "give five or more decimals." if abs(x - 1.0) < 1e-12 or abs(x - 0.9999) < 1e-12
                           else None))],
        explanation=(f"1 − γλ = 1 − {lr:g}·{wd:g} = {answer:.5f}. Each step removes a fraction γλ = {lr * wd:g} of "
                     "every weight, whatever that weight's gradient history."))


def _decay_ratio_exercise():
    lr, wd, v_hat = 0.01, 0.1, 400.0
    theta = 2.0
    # Adam + L2 with beta1 = 0 (no momentum) and a gradient of f equal to zero, from a state whose
    # v_hat is 400: its step is the penalty's pull gamma * lambda * D * theta
    beta2 = 0.999
    v_prev = v_hat * (1 - beta2**2) / beta2 - (1 - beta2) * (wd * theta) ** 2 / beta2  # so that v_hat_2 = 400
    opt = adam_l2(lr=lr, beta1=0.0, beta2=beta2, weight_decay=wd)
    new = opt.step(np.array([theta]), np.array([0.0]), AdamState(1, np.zeros(1), np.array([v_prev])))[0]
    l2_pull = theta - float(new[0])
    adamw_pull = lr * wd * theta
    answer = adamw_pull / l2_pull                                  # sqrt(v_hat) + eps
    return cx.NumericExercise(
        "ch8-decay-ratio", "How much weaker is the penalty's pull?",
        f"Take Adam + L2 without momentum (β1 = 0), γ = {lr:g}, λ = {wd:g}, and a coordinate whose bias-corrected "
        f"second moment is v̂ = {v_hat:g} (its gradients have been about {np.sqrt(v_hat):g} in size). In one step "
        "the penalty moves that coordinate by γλ D θ with D = 1/(√v̂ + ε); AdamW moves it by γλθ. How many "
        "times smaller is Adam + L2's pull? (ε = 1e-8 is negligible.)",
        answer=answer, rtol=1e-3,
        hints=[(v_hat, f"{v_hat:g} is v̂ itself; D divides by its square root."),
               (1 / answer, f"{1 / answer:g} is the ratio the other way round (Adam + L2's pull over AdamW's); "
                            "the question asks how many times smaller, a number above 1."),
               (1.0, "The two pulls differ: in Adam + L2 the penalty's gradient λθ is divided by √v̂ + ε like any "
                     "other gradient."),
               (lr * wd, f"{lr * wd:g} is γλ, the AdamW pull per unit of θ.")],
        explanation=(f"The ratio is 1/D = √v̂ + ε ≈ {answer:.4g}: the penalty is divided by the size of the "
                     "coordinate's past gradients, so a coordinate with gradients of size 20 is regularized about "
                     "20 times less per step than under AdamW."))


# -- multiple choice -----------------------------------------------------------------------

def _less_regularized_exercise():
    return cx.ChoiceExercise(
        "ch8-less-regularized", "Who is regularized less?",
        "Adam with an L2 penalty adds λθ to the gradient before the moments, so the step is about "
        "θ − γD(m̂ + λθ) with D = diag(1/(√v̂ + ε)). Compared with AdamW, which coordinates does the penalty "
        "pull toward zero less strongly in each step?",
        [("Coordinates whose past gradients were large (large v̂).", True,
          "Right. Their D_ii = 1/(√v̂_i + ε) is small, and the penalty's pull γλD_ii θ_i shrinks with it. AdamW "
          "pulls every coordinate by γλθ_i, whatever its gradient history."),
         ("Coordinates whose past gradients were small (small v̂).", False,
          "Those have a large D_ii, so Adam + L2 pulls them harder, even harder than AdamW when √v̂_i < 1. The "
          "weak pull is where v̂ is large."),
         ("Coordinates with large weights |θ_i|.", False,
          "In both methods the pull is proportional to θ_i, so a large weight is pulled harder in absolute terms. "
          "What differs between the two methods is the factor D_ii, which depends on the gradient history."),
         ("None: the preconditioner scales the gradient and the penalty alike, so the balance is the same as "
          "in AdamW.", False,
          "Adam + L2 scales both alike; AdamW does not scale the decay at all. So, relative to AdamW, the penalty "
          "of Adam + L2 is weaker by the factor D_ii wherever v̂ is large."),
         ("Coordinates with a small learning rate.", False,
          "Adam + L2 and AdamW use the same γ for every coordinate; the difference is D_ii = 1/(√v̂_i + ε).")],
        explanation="The penalty's pull per step is γλD_ii θ_i in Adam + L2 and γλθ_i in AdamW.")


# -- write the update ------------------------------------------------------------------

def _adamw_reference(theta, g, m, v, t, lr, beta1, beta2, eps, weight_decay):
    """coursecode's AdamW step number ``t`` from moments ``m``, ``v`` (the state after t - 1 steps)."""
    opt = adamw(lr=lr, beta1=beta1, beta2=beta2, eps=eps, weight_decay=weight_decay)
    theta, state = opt.step(theta, g, AdamState(int(t) - 1, m, v))
    return theta, state.m, state.v


def _adam_part(theta, g, m, v, t, lr, beta1, beta2, eps, inside=False):
    opt = adam(lr=lr, beta1=beta1, beta2=beta2, eps=eps, eps_inside_sqrt=inside)
    theta, state = opt.step(theta, g, AdamState(int(t) - 1, m, v))
    return theta, state.m, state.v


def _coupled(theta, g, m, v, t, lr, beta1, beta2, eps, weight_decay):
    opt = adam_l2(lr=lr, beta1=beta1, beta2=beta2, eps=eps, weight_decay=weight_decay)
    theta, state = opt.step(theta, g, AdamState(int(t) - 1, m, v))
    return theta, state.m, state.v


def _decay_after(theta, g, m, v, t, lr, beta1, beta2, eps, weight_decay):
    new, m, v = _adam_part(theta, g, m, v, t, lr, beta1, beta2, eps)
    return new * (1 - lr * weight_decay), m, v


def _decay_without_lr(theta, g, m, v, t, lr, beta1, beta2, eps, weight_decay):
    new, m, v = _adam_part(theta, g, m, v, t, lr, beta1, beta2, eps)
    return new - weight_decay * theta, m, v


def _decay_grows(theta, g, m, v, t, lr, beta1, beta2, eps, weight_decay):
    new, m, v = _adam_part(theta, g, m, v, t, lr, beta1, beta2, eps)
    return new + lr * weight_decay * theta, m, v


def _no_decay(theta, g, m, v, t, lr, beta1, beta2, eps, weight_decay):
    return _adam_part(theta, g, m, v, t, lr, beta1, beta2, eps)


def _eps_inside(theta, g, m, v, t, lr, beta1, beta2, eps, weight_decay):
    new, m, v = _adam_part(theta, g, m, v, t, lr, beta1, beta2, eps, inside=True)
    return new - lr * weight_decay * theta, m, v


def _no_correction(theta, g, m, v, t, lr, beta1, beta2, eps, weight_decay):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g**2
    return theta * (1 - lr * weight_decay) - lr * m / (np.sqrt(v) + eps), m, v


def _cases():
    rng = np.random.default_rng(8)
    r = lambda *shape: rng.normal(size=shape)  # noqa: E731
    return [
        # a later step from non-zero moments; gamma * lambda large enough to tell "decay before" from "after"
        (r(3), r(3), 0.1 * r(3), np.abs(r(3)), 4, 0.05, 0.9, 0.999, 1e-8, 0.5),
        # a batch of parameters (2 x 2), other betas, PyTorch's default lambda
        (r(2, 2), r(2, 2), 0.1 * r(2, 2), np.abs(r(2, 2)), 7, 1e-3, 0.8, 0.99, 1e-6, 1e-2),
        # a large eps, comparable to sqrt(v_hat)
        (np.array([0.3]), np.array([2e-3]), np.array([1e-3]), np.array([4e-6]), 2, 0.1, 0.9, 0.999, 1e-3, 0.1),
        # the first step with a zero gradient: only the decay moves theta
        (np.array([1.0, -2.0]), np.zeros(2), np.zeros(2), np.zeros(2), 1, 0.1, 0.9, 0.999, 1e-8, 0.5),
    ]


def _adamw_step_exercise():
    return cx.UpdateExercise(
        "ch8-adamw-step", "Write AdamW's step",
        "Write adamw_step(theta, g, m, v, t, lr, beta1, beta2, eps, weight_decay) that returns (theta, m, v) "
        "after AdamW's step number t (t = 1 for the first step), given the moments m and v from the step "
        "before: shrink θ by the factor 1 − γλ (PyTorch's convention), then take Adam's step with the raw "
        "gradient g (ε outside the square root). Return new arrays; do not change the inputs.",
        signature="adamw_step(theta, g, m, v, t, lr, beta1, beta2, eps, weight_decay)", cases=_cases(),
        reference=_adamw_reference, outputs=["theta", "m", "v"],
        diagnoses=[
            (_coupled, "You added λθ to the gradient before the moments: that is Adam + L2 (torch.optim.Adam's "
                       "weight_decay), whose penalty is preconditioned like the gradient. AdamW keeps g as it is "
                       "and shrinks θ separately: θ ← (1 − γλ)θ, then the Adam step."),
            (_no_decay, "Your step is plain Adam: the weight decay is missing. Multiply θ by 1 − γλ."),
            (_decay_without_lr, "Your decay subtracts λθ; PyTorch's convention (and this exercise) multiplies λ "
                                "by the learning rate: θ ← (1 − γλ)θ. (Without the γ you have the paper's λ "
                                "with η_t = 1.)"),
            (_decay_grows, "Your decay has the wrong sign: it grows θ. Multiply by 1 − γλ."),
            (_decay_after, "You shrank θ after the Adam step, so the Adam step was shrunk too. AdamW (PyTorch, "
                           "coursecode) shrinks the current θ and then subtracts the full Adam step: "
                           "θ(1 − γλ) − γ m̂/(√v̂ + ε)."),
            (_eps_inside, "You put ε inside the square root, √(v̂ + ε). This exercise, PyTorch and coursecode "
                          "put it outside: √v̂ + ε."),
            (_no_correction, "Your decay is right, but the Adam part has no bias correction: divide m by "
                             "1 − β1^t and v by 1 − β2^t before the update."),
        ],
        explanation="This is coursecode.adamw(lr, beta1, beta2, eps, weight_decay).step.")


def exercises():
    """Chapter 8's self-checking exercises (fresh objects on every call)."""
    return [_lambda_convert_exercise(), _decay_factor_exercise(), _decay_ratio_exercise(),
            _less_regularized_exercise(), _adamw_step_exercise()]
