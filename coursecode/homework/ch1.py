"""Chapter 1 (the loss landscape): self-checking exercises.

* ``ch1-ravine-condition``: the condition number of the ravine x² + 5y² (numeric);
* ``ch1-ravine-max-lr``: the largest stable learning rate of GD on the ravine (numeric);
* ``ch1-normalize-inputs``: is normalizing the inputs enough? (multiple choice);
* ``ch1-saddle-hessian``: the signs of the Hessian's eigenvalues at a saddle (multiple choice);
* ``ch1-cliff-jump``: how far one GD step moves off a cliff (numeric);
* ``ch1-ravine-largest-lr``: set the landscape explorer to the edge of stability (slider task);
* ``ch1-saddle-start``: find a start from which GD stays at the saddle (slider task);
* ``ch1-gd-step``: write the gradient-descent step (checked against :func:`coursecode.gd`).

The slider tasks are checked on the explorer's values with coursecode's own runs;
the menus they accept are the core's catalogue :data:`coursecode.problems.PROBLEMS`,
which the explorer offers too, so checking needs no figure.
"""
from __future__ import annotations

import math

import numpy as np

from .. import optimizers
from ..exercises import ChoiceExercise, Feedback, NumericExercise, SliderTask, UpdateExercise
from ..problems import PROBLEMS
from ..run import run

# -- the slider tasks: checked on the explorer's values, with coursecode's runs --------------

def _landscape_values(values, problem, optimizer):
    """A message when the explorer is not on the asked problem/optimizer, else None."""
    if values["problem"] != problem:
        return Feedback(False, f"The explorer shows the {values['problem']!r} problem: choose {problem!r} in "
                               "the problem menu.")
    if values["optimizer"] != optimizer:
        return Feedback(False, f"The optimizer is {values['optimizer']!r}: choose {optimizer!r} in the "
                               "optimizer menu.")
    return None


def _ravine_largest_lr(values):
    wrong = _landscape_values(values, "ravine", "gd")
    if wrong:
        return wrong
    lr = values["lr"]
    if lr >= 0.2:
        factor = abs(1 - 10 * lr)
        what = "oscillates forever without converging" if math.isclose(lr, 0.2, rel_tol=1e-9) else "diverges"
        return Feedback(False, f"At lr = {lr:.3g} GD on the ravine {what}: along y the curvature is 10, and "
                               f"each step multiplies the y-error by 1 − 10·lr = {1 - 10 * lr:.3g} "
                               f"(|·| = {factor:.3g} ≥ 1). Move the slider left.")
    if lr < 0.18:
        return Feedback(False, f"GD converges at lr = {lr:.3g}, but a larger learning rate still converges: "
                               "move the slider right until the run is about to blow up.")
    return Feedback(True, f"lr = {lr:.3g} still converges, just below the limit 2/λmax = 2/10 = 0.2: the "
                          f"y-error is multiplied by 1 − 10·lr = {1 - 10 * lr:.2f} per step, so it flips sign "
                          "and shrinks slowly (the zigzag). Past 0.2 the zigzag grows instead.")


def _saddle_start(values):
    wrong = _landscape_values(values, "saddle", "gd")
    if wrong:
        return wrong
    # the explorer's landscape and number of steps, so the check sees the run the student sees
    saddle = PROBLEMS["saddle"]
    steps = saddle.steps
    traj = run(optimizers.gd(lr=values["lr"]), saddle.factory(), [values["x0"], values["y0"]], steps)
    if traj.diverged:
        return Feedback(False, f"GD diverged at step {int(traj.diverged_at)} with lr = {values['lr']:.3g}: "
                               "take a smaller learning rate (below 1, the limit of the x-direction).")
    end = traj.thetas[-1]
    if np.linalg.norm(end) < 0.05:
        return Feedback(True, f"Started at y0 = {values['y0']:.3g}, GD ends at the saddle point "
                              f"({end[0]:.2g}, {end[1]:.2g}): on the line y = 0 the gradient has no y-component, "
                              "so GD never leaves it. Any nonzero y0, however small, grows by (1 + 2·lr) per step "
                              "near the saddle and GD escapes to a minimum — only after a long stay.")
    if abs(end[1]) > 0.5:
        return Feedback(False, f"GD ended near the minimum (0, {np.sign(end[1]):.0f}), not at the saddle: with "
                               f"y0 = {values['y0']:.3g} the unstable direction y grows by (1 + 2·lr) per step "
                               "near the saddle. Which start makes y stay exactly where it is?")
    return Feedback(False, f"After {steps} steps GD is at ({end[0]:.2g}, {end[1]:.2g}), not yet at the saddle "
                           "point: make sure x gets there in time (a larger learning rate) and that y stays put.")


# -- write the gradient-descent step -------------------------------------------------------

def _gd_reference(theta, g, lr):
    opt = optimizers.gd(lr=lr)
    return opt.step(theta, g, opt.init(theta))[0]


def _gd_cases():
    rng = np.random.default_rng(20240601)
    return [(np.array([1.0, 2.0]), np.array([10.0, 10.0]), 0.1),
            (rng.normal(size=3), rng.normal(size=3), 0.05),
            (rng.normal(size=(2, 3)), rng.normal(size=(2, 3)), 0.5),
            (np.array([0.5]), np.array([-4.0]), 1e-3)]


# -- the chapter's exercises, in the order the chapter uses them ---------------------------

def exercises():
    """The chapter's self-checking exercises (fresh objects on every call)."""
    return [
        NumericExercise(
            "ch1-ravine-condition", "Condition number of the ravine",
            "The lecture's ravine is f(x, y) = x² + 5y². What is the condition number κ = λmax / λmin of its "
            "Hessian?", answer=5.0, rtol=1e-3,
            hints=[(0.2, "You computed λmin / λmax. The condition number puts the largest eigenvalue on top, so "
                         "κ ≥ 1."),
                   (10.0, "10 is λmax: the Hessian is diag(2, 10). κ divides it by λmin."),
                   (2.0, "2 is λmin: the Hessian is diag(2, 10). κ is the ratio λmax / λmin."),
                   (25.0, "25 = 5²: κ is the ratio of the eigenvalues themselves, not of their squares."),
                   (math.sqrt(5), "√5 ≈ 2.24 is the ratio of the contour ellipses' axes (contours stretch by "
                                  "√κ); κ is the ratio of the curvatures.")],
            explanation="The Hessian is diag(2, 10), so κ = 10 / 2 = 5; the bowl x² + y² has κ = 1.",
            too_high="Write down the Hessian (the second derivatives) first.",
            too_low="Write down the Hessian (the second derivatives) first; κ ≥ 1 always."),
        NumericExercise(
            "ch1-ravine-max-lr", "The largest stable learning rate on the ravine",
            "Gradient descent θ ← θ − γ∇f on the ravine f = x² + 5y² converges from every start exactly when "
            "γ < γmax. What is γmax?", answer=0.2, rtol=1e-3,
            hints=[(1.0, "1 = 2/λmin: the flat direction (curvature 2) would tolerate γ < 1, but the steep one "
                         "(curvature 10) diverges first."),
                   (0.4, "0.4 = 2/5: the coefficient 5 is not the curvature; ∂²f/∂y² = 10."),
                   (0.1, "0.1 = 1/λmax solves the steep direction in one step; the limit is where the factor "
                         "1 − γλmax reaches −1."),
                   (1 / 6, "1/6 = 2/(λmin + λmax) is the best fixed step, not the largest stable one.")],
            explanation="Along each eigenvector the error is multiplied by 1 − γλ per step; it shrinks iff "
                        "|1 − γλ| < 1, i.e. γ < 2/λ. The steep direction (λmax = 10) binds: γ < 2/10 = 0.2.",
            too_high="There the steep direction's factor |1 − 10γ| exceeds 1, so GD diverges.",
            too_low="GD converges there, but larger steps do too: where does |1 − 10γ| reach 1?"),
        ChoiceExercise(
            "ch1-normalize-inputs", "Is normalizing the inputs enough?",
            "The lecture asks whether normalizing the input features solves differential curvature. Which "
            "statement is right?",
            [("Yes: once every input feature has mean 0 and variance 1, the loss curves equally in every "
              "direction.", False,
              "Normalization evens out the scales of the inputs x, but curvature is a property of the loss as a "
              "function of the parameters θ: correlated features, the model's structure and, in a deep network, "
              "the other layers' weights all shape it, so κ can stay large."),
             ("It helps and is good practice, but it is no cure: differential curvature is about how sensitive "
              "the loss is to each parameter θ, and normalizing the inputs x changes that only indirectly.", True,
              "Right: normalizing x can round the contours (for a linear model with uncorrelated features it "
              "does), but the problem lives in the parameters' sensitivities, which is what momentum and "
              "preconditioning address."),
             ("No: normalizing the inputs never changes the loss landscape, so it does not help gradient "
              "descent.", False,
              "It does change the landscape (for a linear model the Hessian is built from the inputs) and it is "
              "recommended; it is just not a complete fix."),
             ("Yes, provided the learning rate is also divided by the number of features.", False,
              "No single rescaled step fits directions whose curvatures differ: that needs a different step per "
              "direction (preconditioning).")]),
        ChoiceExercise(
            "ch1-saddle-hessian", "Eigenvalues at a saddle point",
            "f(x, y) = x² − y² + y⁴/2 has a critical point (∇f = 0) at (0, 0). What are the signs of the Hessian's "
            "eigenvalues there?",
            [("Both positive.", False, "Both positive would make (0, 0) a local minimum; but ∂²f/∂y² = −2 + 6y² "
                                       "= −2 at y = 0."),
             ("One positive, one negative.", True,
              "The Hessian is diag(2, −2): f curves up along x and down along y, so (0, 0) is a saddle point — the "
              "gradient vanishes but it is not an extremum. GD is repelled along y, but only slowly near y = 0."),
             ("Both negative.", False, "That would be a local maximum; along x, f = x² curves up (∂²f/∂x² = 2)."),
             ("Both zero.", False, "A zero Hessian would be a degenerate point; here the second derivatives are 2 "
                                   "and −2.")]),
        NumericExercise(
            "ch1-cliff-jump", "One step off a cliff",
            "On the cliff f = (0.1x² + y²)/2 + h·σ(k(x − 1.5)) with h = 1 and k = 50, the slope is steepest at the "
            "edge x = 1.5, where ∂f/∂x = 0.1·1.5 + h·k/4 = 12.65. How far in x does one GD step with γ = 0.3 "
            "move from there?", answer=0.3 * 12.65, rtol=0.02,
            hints=[(12.65, "12.65 is the gradient; the step is γ times the gradient."),
                   (0.3, "0.3 is the learning rate; the step is γ times the gradient."),
                   (-1.5 + 0.3 * 12.65, "That is the distance from the minimum after the step; the question asks "
                                        "how far the step moves.")],
            explanation="γ·12.65 ≈ 3.8: from x = 1.5 one step lands near x = −2.3, farther from the minimum at 0 "
                        "than where it started. A large gradient times a fixed step size is an explosion; "
                        "gradient clipping and Adam's bounded step size are the cures."),
        SliderTask(
            "ch1-ravine-largest-lr", "Find the edge of stability",
            "In the landscape explorer, choose GD on the ravine and set the learning rate as large as you can "
            "while GD still converges (within 10% of the limit).",
            explorer="landscape", condition=_ravine_largest_lr,
            controls={"problem": list(PROBLEMS), "optimizer": list(optimizers.LECTURE), "lr": "number"},
            start={"problem": "bowl", "optimizer": "gd", "lr": 0.05},
            solution={"problem": "ravine", "optimizer": "gd", "lr": 0.19}),
        SliderTask(
            "ch1-saddle-start", "Stuck at a saddle",
            "In the landscape explorer, choose GD on the saddle x² − y² + y⁴/2 and find a start point from which "
            "GD ends at the saddle point (0, 0) instead of a minimum.",
            explorer="landscape", condition=_saddle_start,
            controls={"problem": list(PROBLEMS), "optimizer": list(optimizers.LECTURE), "lr": "number",
                      "x0": "number", "y0": "number"},
            start={"problem": "saddle", "optimizer": "gd", "lr": 0.1},
            solution={"problem": "saddle", "optimizer": "gd", "lr": 0.1, "x0": -1.2, "y0": 0.0}),
        UpdateExercise(
            "ch1-gd-step", "Write the gradient-descent step",
            "Write a function step(theta, g, lr) that returns the parameters after one gradient-descent step, "
            "θ − γg, as a new array (do not change theta in place). theta and g are numpy arrays of the same shape.",
            signature="step(theta, g, lr)", cases=_gd_cases(), reference=_gd_reference, outputs=["theta"],
            diagnoses=[(lambda th, g, lr: th + lr * g, "Your step goes uphill: it adds lr·g. Gradient descent "
                                                       "subtracts it: θ − γg."),
                       (lambda th, g, lr: th - g, "Your step ignores the learning rate: multiply g by lr."),
                       (lambda th, g, lr: -lr * g, "You returned the change −γg; return the new parameters "
                                                   "θ − γg.")],
            explanation="This is coursecode.gd(lr).step."),
    ]
