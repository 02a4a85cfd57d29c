"""coursecode.learning as a package: the one model interface, the one data-set type, the map.

Every model offers ``loss_grad(theta, X, y)`` on any data, which must be the
derivative of its loss, agree with ``value`` and ``grad`` on the training data,
and accept one batch of data per run; ``minibatch_grad`` goes through it and
nothing else. Every generator of training and test data returns a ``Dataset``.
The package keeps every name the chapters use, and stays free of matplotlib.
"""
from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from coursecode import learning, theory

CHAPTERS = Path(__file__).resolve().parents[1] / "chapters"


def _models():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 3))
    labels = np.where(rng.random(30) < 0.5, 1.0, -1.0)
    return {
        "least squares": learning.LeastSquares(X, X @ [1.0, -2.0, 0.5] + 0.1 * rng.standard_normal(30)),
        "tiny MLP": learning.tiny_mlp_problem(seed=0, n=30, hidden=4),
        "logistic": learning.LogisticRegression(X, labels),
        "logistic, temperature": learning.LogisticRegression(X, labels, temperature=3.0),
    }


MODELS = _models()


@pytest.fixture(params=list(MODELS))
def model(request):
    return MODELS[request.param]


def other_data(model, m, lead=(), seed=1):
    """m points that are not the training data, with the model's kind of inputs and labels."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal(lead + (m, model.X.shape[1]))
    return X, np.where(rng.random(lead + (m,)) < 0.5, 1.0, -1.0)


# --- the model interface ------------------------------------------------------------

def test_loss_grad_is_the_derivative_of_the_loss_on_other_data(model):
    X, y = other_data(model, 12)
    theta = np.random.default_rng(2).standard_normal(model.dim)
    loss, g = model.loss_grad(theta, X, y)
    assert loss == pytest.approx(float(model.loss(theta, X, y)), rel=1e-12)
    h, E = 1e-6, np.eye(model.dim)
    numeric = [(model.loss(theta + h * e, X, y) - model.loss(theta - h * e, X, y)) / (2 * h) for e in E]
    np.testing.assert_allclose(g, numeric, atol=1e-7)


def test_loss_grad_on_the_training_data_is_value_and_grad(model):
    thetas = np.random.default_rng(3).standard_normal((2, 3, model.dim))
    loss, g = model.loss_grad(thetas, model.X, model.y)
    assert loss.shape == (2, 3) and g.shape == (2, 3, model.dim)
    np.testing.assert_allclose(loss, model.value(thetas), rtol=1e-12)
    np.testing.assert_allclose(g, model.grad(thetas), rtol=1e-10, atol=1e-14)


def test_loss_grad_takes_one_batch_of_data_per_run(model):
    thetas = np.random.default_rng(4).standard_normal((4, model.dim))
    X, y = other_data(model, 5, lead=(4,))
    loss, g = model.loss_grad(thetas, X, y)
    for k in range(4):
        one_loss, one_g = model.loss_grad(thetas[k], X[k], y[k])
        assert loss[k] == pytest.approx(float(one_loss), rel=1e-12)
        np.testing.assert_allclose(g[k], one_g, rtol=1e-10, atol=1e-14)


def test_loss_grad_names_mismatched_data(model):
    X, y = other_data(model, 5)
    with pytest.raises(ValueError, match="loss_grad"):
        model.loss_grad(np.zeros(model.dim), X, y[:4])


def test_predict_gives_the_outputs_whose_sign_classifies(model):
    theta = np.random.default_rng(5).standard_normal((3, model.dim))
    X, _ = other_data(model, 7)
    assert model.predict(theta).shape == (3, model.n) and model.predict(theta, X).shape == (3, 7)


def test_least_squares_condition_number_is_the_theory_one():
    f = MODELS["least squares"]
    assert f.condition_number == theory.condition_number(f.H)
    assert learning.least_squares(np.eye(3)[:2], np.ones(2)).condition_number == float("inf")


# --- minibatch gradients through the interface ------------------------------------------

def test_minibatch_grad_is_loss_grad_on_the_rows_it_draws(model):
    thetas = np.random.default_rng(6).standard_normal((4, model.dim))
    grads = learning.minibatch_grad(model, batch_size=6, seed=3)(thetas)
    idx = np.argsort(np.random.default_rng(3).random((4, model.n)), axis=-1)[:, :6]   # the same draws
    for k in range(4):
        np.testing.assert_allclose(grads[k], model.loss_grad(thetas[k], model.X[idx[k]], model.y[idx[k]])[1],
                                   rtol=1e-10, atol=1e-14)
    full = learning.minibatch_grad(model, batch_size=model.n, seed=0)(thetas)
    np.testing.assert_allclose(full, model.grad(thetas), rtol=1e-10, atol=1e-14)


def test_minibatch_grad_leaves_the_model_alone(model):
    X, y, n = model.X, model.y, model.n
    before = X.copy()
    learning.minibatch_grad(model, batch_size=3, seed=0)(np.zeros((2, model.dim)) + 0.1)
    assert model.X is X and model.y is y and model.n == n and np.array_equal(model.X, before)


def test_minibatch_logistic_gradient_is_the_model_on_the_batch():
    """Chapter 8 builds a LogisticRegression on each minibatch; minibatch_grad gives the same gradient."""
    f = MODELS["logistic, temperature"]
    theta = np.random.default_rng(7).standard_normal(f.dim)
    g = learning.minibatch_grad(f, batch_size=8, seed=5)(theta)
    idx = np.argsort(np.random.default_rng(5).random(f.n))[:8]
    batch = learning.LogisticRegression(f.X[idx], f.y[idx], temperature=f.temperature)
    np.testing.assert_allclose(g, batch.grad(theta), rtol=1e-10, atol=1e-14)


# --- the one data-set type -----------------------------------------------------------------

GENERATORS = {
    "overparameterized_least_squares": lambda: learning.overparameterized_least_squares(n=6, d=10, seed=0),
    "wilson_data": lambda: learning.wilson_data(n=10, seed=0, n_test=40),
    "mlp_classification": lambda: learning.mlp_classification(seed=0, n_train=20, n_test=30, hidden=3, extra=1),
    "logistic_data": lambda: learning.logistic_data(n=20, d=4, seed=0, n_test=30),
}


@pytest.mark.parametrize("name", list(GENERATORS))
def test_every_generator_returns_a_dataset_that_unpacks_as_x_y_problem(name):
    data = GENERATORS[name]()
    assert isinstance(data, learning.Dataset)
    X, y, problem = data
    assert X is data.X and y is data.y and problem is data.problem
    np.testing.assert_array_equal(problem.X, X)
    np.testing.assert_array_equal(problem.y, y)
    assert isinstance(problem, learning.Model)
    with pytest.raises(dataclasses.FrozenInstanceError):
        data.X = None


def test_the_former_names_are_the_dataset_type():
    assert learning.WilsonData is learning.ClassificationTask is learning.LogisticData is learning.Dataset


@pytest.mark.parametrize("name", ["wilson_data", "mlp_classification", "logistic_data"])
def test_dataset_scores_any_model_through_its_outputs(name):
    data = GENERATORS[name]()
    f = data.problem
    thetas = np.random.default_rng(8).standard_normal((3, f.dim))
    X_test, y_test = data.X_test, data.y_test
    np.testing.assert_array_equal(data.train_error(thetas), learning.error_rate(f.predict(thetas), data.y))
    np.testing.assert_array_equal(data.test_error(thetas), learning.error_rate(f.predict(thetas, X_test), y_test))
    np.testing.assert_array_equal(data.test_accuracy(thetas), 1.0 - data.test_error(thetas))
    np.testing.assert_allclose(data.test_loss(thetas), f.loss_grad(thetas, X_test, y_test)[0], rtol=1e-12)


def test_dataset_extras_of_the_former_types():
    logistic = GENERATORS["logistic_data"]()
    w = np.random.default_rng(9).standard_normal((2, 4))
    expected = learning.accuracy(w, logistic.X_test, logistic.y_test)
    np.testing.assert_array_equal(logistic.test_accuracy(w), expected)
    assert logistic.w_true.shape == (4,) and GENERATORS["wilson_data"]().w_true is None
    task = GENERATORS["mlp_classification"]()
    mlp = task.problem
    inits = task.inits([4, 5])
    np.testing.assert_array_equal(inits[1], mlp.init_weights(5))
    np.testing.assert_array_equal(inits[0], learning.TinyMLP(mlp.X, mlp.y, hidden=mlp.hidden, seed=4).theta0)


def test_accuracy_is_one_minus_the_error_rate_of_a_linear_classifier():
    data = GENERATORS["logistic_data"]()
    w = np.random.default_rng(10).standard_normal((5, 4))
    expected = 1.0 - learning.error_rate(w @ data.X.T, data.y)
    np.testing.assert_array_equal(learning.accuracy(w, data.X, data.y), expected)


@pytest.mark.parametrize("make", [
    lambda s: learning.correlated_inputs(seed=s), lambda s: learning.linear_regression(seed=s),
    lambda s: learning.tiny_mlp_problem(seed=s), lambda s: learning.two_moons(5, seed=s),
    lambda s: learning.minibatch_grad(MODELS["tiny MLP"], 2, seed=s),
    lambda s: learning.random_directions(np.ones(3), seed=s),
    lambda s: GENERATORS["mlp_classification"]().problem.init_weights(s),
])
def test_every_seed_goes_through_the_one_rule(make):
    make(np.random.default_rng(0))
    for bad in ("0", 1.5, True, None):
        with pytest.raises(ValueError, match="seed"):
            make(bad)


# --- the package -------------------------------------------------------------------------------

def test_every_public_name_resolves():
    for name in learning.__all__:
        assert hasattr(learning, name), name


def test_every_name_the_chapters_use_resolves():
    used = set()
    for notebook in CHAPTERS.glob("*.ipynb"):
        for cell in json.loads(notebook.read_text(encoding="utf8"))["cells"]:
            if cell["cell_type"] == "code":
                used |= set(re.findall(r"\blearning\.(\w+)", "".join(cell["source"])))
    assert {"linear_regression", "minibatch_grad", "_wilson_rows"} <= used   # the scan sees the chapters
    assert not [name for name in used if not hasattr(learning, name)]


def test_importing_learning_loads_no_plotting():
    code = ("import sys, coursecode.learning; "
            "print(sorted(m for m in ('matplotlib', 'ipywidgets') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
