"""Small seeded data sets and models for the book's experiments (numpy only).

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
``training``: stochastic gradients
    :func:`minibatch_grad`.

Randomness
----------
Every function that draws random numbers takes ``seed``: an int or a
``numpy.random.Generator``. The same seed gives the same data, the same
initial weights and the same directions, on every machine.

References
----------
H. Li, Z. Xu, G. Taylor, C. Studer, T. Goldstein (2018), Visualizing the loss
landscape of neural nets. NeurIPS.
"""
from .datasets import (ClassificationTask, Dataset, LogisticData, WilsonData, accuracy, error_rate,
                       standardize)
from .landscape import filter_normalize, numerical_hessian, random_directions, slice_2d
from .models import LeastSquares, LogisticRegression, Model, TinyMLP, least_squares
from .synthetic import (_wilson_rows, correlated_inputs, linear_regression, logistic_data,  # noqa: F401
                        mlp_classification, overparameterized_least_squares, tiny_mlp_problem, two_moons,
                        wilson_data)
from .training import minibatch_grad

# _wilson_rows is not public, but chapter 9 prints its source as learning._wilson_rows

__all__ = [
    "Model", "LeastSquares", "least_squares", "TinyMLP", "LogisticRegression",
    "Dataset", "WilsonData", "ClassificationTask", "LogisticData", "standardize", "error_rate", "accuracy",
    "correlated_inputs", "linear_regression", "tiny_mlp_problem", "overparameterized_least_squares",
    "wilson_data", "two_moons", "mlp_classification", "logistic_data",
    "random_directions", "filter_normalize", "slice_2d", "numerical_hessian",
    "minibatch_grad",
]
