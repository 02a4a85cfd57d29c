"""Chapter 10 (real data): self-checking exercises.

* ``ch10-which-split``: which part of the data may choose the learning rate (multiple choice);
* ``ch10-test-noise``: the standard error of a test error measured on 359 images, in
  percentage points (numeric);
* ``ch10-xent-grad``: write the gradient of the mean cross-entropy with respect to the
  logits, checked against :mod:`coursecode.learning.mlp`.

Every expected value is computed (with numpy or coursecode), never typed in.
"""
from __future__ import annotations

import math

import numpy as np

from .. import exercises as cx
from ..learning.mlp import _log_softmax

TEST_SIZE = 359          # ch10-test-noise: the test part of learning.digits()
TEST_ERRORS = 18         # ... and the misclassified images of a run


def xent_grad(z, y):
    """The gradient of the mean cross-entropy of logits ``z (m, K)`` for labels ``y (m,)``: (softmax(z) - e_y) / m."""
    z = np.asarray(z, dtype=float)
    onehot = np.asarray(y).astype(int)[:, None] == np.arange(z.shape[1])
    return (np.exp(_log_softmax(z)) - onehot) / z.shape[0]


# -- numbers ------------------------------------------------------------------------------

def _test_noise_exercise():
    m, k = TEST_SIZE, TEST_ERRORS
    p = k / m
    answer = 100 * math.sqrt(p * (1 - p) / m)

    def fraction(x):
        if math.isclose(x, answer / 100, rel_tol=1e-2):
            return f"{x:g} is the standard error as a fraction; the question asks for percentage points ({answer:.3g})."
        return None

    return cx.NumericExercise(
        "ch10-test-noise", "How precise is a test error on 359 images?",
        f"A trained network misclassifies {k} of the {m} test images, a test error of {100 * p:.2f} %. Treat "
        "each test image as an independent draw that the network gets wrong with probability p. What is the "
        "standard error of the measured test error, in percentage points?",
        answer=answer, rtol=2e-2,
        hints=[(100 * p * (1 - p) / m, "That is the variance p(1 − p)/m (in per cent); the standard error is its "
                                       "square root."),
               (100 * math.sqrt(p * (1 - p)), "You left out the number of images: divide p(1 − p) by m before "
                                              "taking the root."),
               (100 * math.sqrt(p / m), "Close, but the variance of a Bernoulli draw is p(1 − p), not p."),
               fraction],
        explanation=(f"The count of errors is binomial, so the measured error p̂ = {k}/{m} has standard error "
                     f"√(p̂(1 − p̂)/m) = {answer / 100:.4f}, that is {answer:.2f} percentage points: about four "
                     "images. Differences between optimizers smaller than that are invisible on one test set."),
        too_high="Divide by the number of images inside the square root.",
        too_low="Check the units: percentage points are 100 times the fraction.")


# -- multiple choice ------------------------------------------------------------------------

def _which_split_exercise():
    return cx.ChoiceExercise(
        "ch10-which-split", "Which data may choose the learning rate?",
        "The digits are split into a training, a validation and a test part. You try nine learning rates for "
        "SGD and want to report how well the best of them does on new images. On which part should you pick "
        "the learning rate?",
        [("The training part: the learning rate with the lowest training loss.", False,
          "The lowest training loss rewards the setting that fits the training images best, memorized ones "
          "included; it says little about new images, which is what the choice is for."),
         ("The validation part: the learning rate with the lowest validation error.", True,
          "Right: the validation images take no part in training, so their error estimates the error on new "
          "images, and the test part stays untouched for the one final measurement."),
         ("The test part: the learning rate with the lowest test error.", False,
          "Then the test error is no longer a measurement on new images: you chose the setting that happens "
          "to suit these particular test images, and the reported number is too optimistic."),
         ("Any of them: with a good optimizer the three give the same choice.", False,
          "They need not agree: the training loss keeps falling with larger learning rates long after the "
          "validation error has stopped improving.")])


# -- write a function ------------------------------------------------------------------------

def _cases():
    rng = np.random.default_rng(10)
    return [
        (np.array([[2.0, 0.0, -1.0], [0.5, 0.5, 0.5]]), np.array([0, 2])),
        (rng.normal(size=(5, 10)), rng.integers(0, 10, 5)),
        (np.array([[1000.0, 0.0, -1000.0], [0.0, 800.0, 0.0]]), np.array([1, 1])),   # exp would overflow
    ]


def _softmax(z):
    return np.exp(_log_softmax(np.asarray(z, dtype=float)))


def _xent_grad_exercise():
    return cx.UpdateExercise(
        "ch10-xent-grad", "The gradient of the cross-entropy",
        "Write xent_grad(z, y) that returns the gradient of the mean cross-entropy "
        "(1/m) Σ_i (log Σ_k exp(z_ik) − z_i,y_i) with respect to the logits z, for z of shape (m, K) and integer "
        "labels y of shape (m,). Return a new array of shape (m, K). It must work for logits as large as 1000.",
        signature="xent_grad(z, y)", cases=_cases(), reference=xent_grad, outputs=["gradient"],
        diagnoses=[(lambda z, y: xent_grad(z, y) * np.shape(z)[0],
                    "Your gradient is m times too large: the loss is the mean over the m points, so divide by m."),
                   (lambda z, y: -xent_grad(z, y),
                    "Your gradient has the wrong sign: it is softmax(z) minus the one-hot labels, not the "
                    "other way round."),
                   (lambda z, y: _softmax(z) / np.shape(z)[0],
                    "You returned softmax(z)/m: subtract the one-hot vector of the label from each row first."),
                   (lambda z, y: (_softmax(z) - (np.asarray(y)[:, None] == np.arange(np.shape(z)[1]))),
                    "Your gradient is m times too large: the loss is the mean over the m points, so divide by m.")],
        explanation="Each row of the gradient is (softmax(z_i) − e_(y_i))/m: its entries sum to zero, and "
                    "subtracting the row's largest logit before exp keeps it finite.")


def exercises():
    """The chapter's self-checking exercises, in the order the chapter uses them."""
    return [_xent_grad_exercise(), _which_split_exercise(), _test_noise_exercise()]
