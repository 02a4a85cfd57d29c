"""Small seeded data sets and models for the book's experiments (numpy; scikit-learn only to load the digits).

The problems here are real learning problems, kept tiny so that every chapter
runs in seconds on a laptop. They follow the interface of
:mod:`coursecode.problems`: ``value(theta)`` and ``grad(theta)`` take
parameters of shape ``(..., d)`` (leading axes are a batch of parameter
vectors) and return values of shape ``(...)`` and gradients of shape
``(..., d)``, so :func:`coursecode.run` and the plotting helpers accept them.

Contents
--------
One module per idea; this package re-exports every public name, so ``learning.X`` is the way in.

``models``: the models, one interface ``loss_grad(theta, X, y)``
    :class:`Model`, :class:`LeastSquares`, :func:`least_squares`, :class:`TinyMLP`,
    :class:`LogisticRegression`.
``datasets``: a data set, its inputs, a classifier's score
    :class:`Dataset` (also under its former names ``WilsonData``, ``ClassificationTask``,
    ``LogisticData``), :func:`standardize`, :func:`error_rate`, :func:`accuracy`.
``synthetic``: the seeded generators
    :func:`correlated_inputs`, :func:`linear_regression` (chapter 1), :func:`tiny_mlp_problem`
    (chapter 1), :func:`overparameterized_least_squares`, :func:`wilson_data`,
    :func:`two_moons`, :func:`mlp_classification` (chapter 9), :func:`logistic_data` (chapter 8).
``landscape``: looking at a landscape (Li et al. 2018)
    :func:`random_directions`, :func:`filter_normalize`, :func:`slice_2d`,
    :func:`numerical_hessian`.
``training``: stochastic gradients and epochs of them
    :func:`minibatch_grad`, :func:`train` (records a :class:`History`).
``mlp``: classifiers for many classes (chapter 10)
    :class:`MLP` (a ReLU network, softmax output, cross-entropy), :func:`softmax_regression`.
``tuning``: comparing optimizers as Wilson et al. did (chapter 10)
    :func:`compare` (:func:`tune` on validation data, then :func:`final_runs` from fresh seeds),
    :func:`sweep`, :class:`Sweep`, :class:`Comparison`, :func:`linear_decay`, ``OPTIMIZERS``.
``digits``: real data (chapter 10)
    :func:`load_digits` (scikit-learn's handwritten digits; needs scikit-learn),
    :func:`stratified_split`, :func:`digits`, :class:`Split`.
``digits_record``: the comparison of chapter 10 on ten splits, recorded by ``tools/record_digits.py``
    ``DIGITS_RECORD``.

Two modules are imported by name, not re-exported (their ``train``, ``tune`` and ``compare`` are
their own): ``from coursecode.learning import schedule_runs, imbalance``.

``schedule_runs``: learning-rate schedules at several horizons, in one batched run (chapter 11)
    ``update_sizes``, ``horizon_sweep``, ``schedule_free_sweep``, ``digits_runs``.
``imbalance``: heavy-tailed class imbalance (chapter 13)
    ``zipf``, ``zipf_pairs``, ``Bigram``, ``train``, ``tune``, ``compare``, ``steps_to_close``.

Randomness
----------
Every function that draws random numbers takes ``seed``: an int or a
``numpy.random.Generator`` (:func:`train` also takes a sequence of int seeds, one
data order per seed). The same seed gives the same data, the same initial
weights and the same directions, on every machine.

References
----------
H. Li, Z. Xu, G. Taylor, C. Studer, T. Goldstein (2018), Visualizing the loss
landscape of neural nets. NeurIPS.
"""
from .datasets import (ClassificationTask, Dataset, LogisticData, WilsonData, accuracy, error_rate,
                       standardize)
from .digits import Split, digits, load_digits, stratified_split
from .digits_record import RECORD as DIGITS_RECORD
from .landscape import filter_normalize, numerical_hessian, random_directions, slice_2d
from .mlp import MLP, softmax_regression
from .models import LeastSquares, LogisticRegression, Model, TinyMLP, least_squares
from .synthetic import (_wilson_rows, correlated_inputs, linear_regression, logistic_data,  # noqa: F401
                        mlp_classification, overparameterized_least_squares, tiny_mlp_problem, two_moons,
                        wilson_data)
from .training import History, minibatch_grad, train
from .tuning import OPTIMIZERS, Comparison, Sweep, compare, final_runs, linear_decay, sweep, tune

# _wilson_rows is not public, but chapter 9 prints its source as learning._wilson_rows

__all__ = [
    "Model", "LeastSquares", "least_squares", "TinyMLP", "LogisticRegression",
    "Dataset", "WilsonData", "ClassificationTask", "LogisticData", "standardize", "error_rate", "accuracy",
    "correlated_inputs", "linear_regression", "tiny_mlp_problem", "overparameterized_least_squares",
    "wilson_data", "two_moons", "mlp_classification", "logistic_data",
    "random_directions", "filter_normalize", "slice_2d", "numerical_hessian",
    "minibatch_grad", "train", "History",
    "MLP", "softmax_regression", "load_digits", "stratified_split", "digits", "Split",
    "DIGITS_RECORD", "OPTIMIZERS", "compare", "tune", "sweep", "final_runs", "linear_decay", "Sweep", "Comparison",
]
