"""The appendices: claims made in their text, their tables, their homework and the API page.

* Beyond Adam (chapters/appendix_beyond_adam.ipynb): the properties of Adamax, NAdam, RAdam,
  AdaBelief and Lion that the text states, checked with coursecode; the homework of
  coursecode/homework/appx.py with right, wrong and garbage answers.
* Side by side (chapters/appendix_side_by_side.ipynb): the table of defaults against the
  signatures of coursecode and (when installed) torch; the conversion recipes.
* Notation (chapters/appendix_notation.md): agrees with the introduction's table; the names it
  gives exist in coursecode and (when installed) torch.
* API (chapters/appendix_api.md): every module the book relies on is documented.
"""
from __future__ import annotations

import ast
import importlib
import inspect
import json
import math
import os
import re
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import coursecode as cc  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ROOT / "chapters"
BEYOND = CHAPTERS / "appendix_beyond_adam.ipynb"
SIDE = CHAPTERS / "appendix_side_by_side.ipynb"
NOTATION = CHAPTERS / "appendix_notation.md"
API = CHAPTERS / "appendix_api.md"

try:
    import torch
except ImportError:  # the recorded traces are the comparison then
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")


def markdown(path):
    """The markdown text of a notebook (all markdown cells) or of a .md page."""
    if path.suffix == ".md":
        return path.read_text(encoding="utf8")
    nb = json.loads(path.read_text(encoding="utf8"))
    return "\n\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")


def table_rows(text, header_start):
    """The rows (lists of cell texts) of the markdown table whose header line starts with header_start."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header_start))
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append([c.strip() for c in line.strip().strip("|").split("|")])
    return rows


def code_spans(cell):
    return re.findall(r"`([^`]+)`", cell)


# ============================================================================ Beyond Adam

def test_adamax_is_the_limit_of_lp_averages():
    """Adamax section: (v_T^(p))^(1/p) climbs towards u_T as p grows."""
    rng = np.random.default_rng(7)
    grads = rng.standard_normal(300)
    grads /= np.abs(grads).max()
    opt = cc.adamax(lr=1e-3, eps=0.0)
    theta, state = np.zeros(1), opt.init(np.zeros(1))
    for g in grads:
        theta, state = opt.step(theta, np.array([g]), state)
    powers = np.array([2, 8, 32, 128, 512, 2048])
    v = np.zeros(powers.size)
    for g in grads:
        v = 0.999**powers * v + (1 - 0.999**powers) * abs(g) ** powers
    ratio = v ** (1 / powers) / state.u[0]
    assert np.all(np.diff(ratio) > 0) and ratio[-1] > 0.999 and ratio[0] < 0.5


def test_adamax_step_bound_is_attained_by_shrinking_gradients():
    """Exercise ex-appx-adamax-limit, part 3: |step| <= lr (1-b1)(1-(b1/b2)^t) / ((1-b1^t)(1-b1/b2))."""
    b1, b2, lr = 0.9, 0.999, 1.0
    opt = cc.adamax(lr=lr, beta1=b1, beta2=b2, eps=0.0)
    theta, state = np.zeros(1), opt.init(np.zeros(1))
    for t in range(1, 200):
        g = np.array([b2**t])                           # every past gradient ties for the running maximum
        new, state = opt.step(theta, g, state)
        bound = lr * (1 - b1) * (1 - (b1 / b2) ** t) / ((1 - b1**t) * (1 - b1 / b2))
        assert abs(new - theta)[0] == pytest.approx(bound, rel=1e-9)
        theta = new
    assert bound > lr  # the limit (1-b1)/(1-b1/b2) is a little above lr


def test_nadam_schedule_starts_near_half_beta1_and_warms_up_slowly():
    b1, psi = 0.9, 4e-3
    mu = lambda t: b1 * (1 - 0.5 * 0.96 ** (t * psi))  # noqa: E731
    assert mu(1) == pytest.approx(0.45, abs=1e-3)
    assert mu(1000) < 0.6 and 0.8 < mu(10_000) < b1
    # cc.nadam uses this schedule: its first step weights g_1 by (1 - mu_1)/(1 - mu_1) = 1
    opt = cc.nadam(lr=1.0, eps=0.0)
    theta, state = opt.step(np.zeros(1), np.array([2.0]), opt.init(np.zeros(1)))
    expected = 1.0 + mu(2) / (1 - mu(1) * mu(2)) * (1 - b1)  # g/|g| plus the look-ahead momentum
    assert -theta[0] == pytest.approx(expected, rel=1e-12)
    assert state.mu_product == pytest.approx(mu(1))


def _optax_nadam_reference(lr, b1, b2, eps, eps_root=0.0):
    """optax.nadam = optax.adam(nesterov=True), written out in float64 from optax's documented update
    (optax/_src/alias.py, the docstring of nadam; transform.scale_by_adam with nesterov=True):

        m_t = b1 m_{t-1} + (1 - b1) g_t,   v_t = b2 v_{t-1} + (1 - b2) g_t^2
        m_hat = b1 m_t / (1 - b1^(t+1)) + (1 - b1) g_t / (1 - b1^t),   v_hat = v_t / (1 - b2^t)
        update = -lr m_hat / (sqrt(v_hat + eps_root) + eps)

    optax is not installed here, so this is the reference (a live check below runs when it is)."""
    def run(theta0, grad, steps):
        theta, m, v = theta0.copy(), np.zeros_like(theta0), np.zeros_like(theta0)
        out = [theta.copy()]
        for t in range(1, steps + 1):
            g = grad(theta, t - 1)
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            m_hat = b1 * m / (1 - b1 ** (t + 1)) + (1 - b1) * g / (1 - b1 ** t)
            v_hat = v / (1 - b2 ** t)
            theta = theta - lr * m_hat / (np.sqrt(v_hat + eps_root) + eps)
            out.append(theta.copy())
        return np.stack(out)
    return run


def _nadam_quadratic(shape, seed, steps):
    rng = np.random.default_rng(seed)
    A = rng.uniform(0.1, 5.0, shape)
    b = rng.standard_normal(shape)
    noise = 0.3 * rng.standard_normal((steps,) + shape)
    return rng.standard_normal(shape), (lambda theta, k: A * theta + b + noise[k])


# optax.nadam's parameters after 100 and 600 steps on the cases below, recorded with optax 0.2.8 and
# jax 0.10.2 in float64 (jax_enable_x64) in a separate environment (the book's has no JAX), by the same
# loop as test_nadam_live_against_optax; cc.nadam(momentum_schedule=False) differed from optax by at
# most 1.5e-12 (relative) over the 600 steps of each case.
OPTAX_NADAM = {
    0: {100: [-0.07562941134572496], 600: [0.04536229305071376]},
    1: {100: [0.23799598877344083, -0.11934414910504615, -0.37917321984858454, -0.07969014384383717,
              -0.05618831652532446, -0.09832140607384741],
        600: [0.22084096707479722, -0.12406870486936031, -0.35046679293288785, -0.04576868668274182,
              0.04581598859551979, -0.23352006758456303]},
    2: {100: [-0.20712658868515807, 0.18960779720186666, -0.21646859047350078, -0.966168434672121,
              -0.3895353663884701, 0.24117988438332347, -0.40821441339814746, 0.29390534464441914],
        600: [-0.25603581102791023, 0.34481915897602816, -0.24032599176907124, 0.49805065253025965,
              0.11723502955827733, 0.20492934606917484, -0.39167004478280315, 0.28741656630461176]},
}


@pytest.mark.parametrize("shape, seed, kwargs", [
    ((1,), 0, dict(lr=2e-3)),
    ((3, 2), 1, dict(lr=0.05, beta1=0.8, beta2=0.99, eps=1e-6)),
    ((2, 2, 2), 2, dict(lr=0.01, beta1=0.95, beta2=0.9999, eps=0.0)),
])
def test_nadam_without_momentum_schedule_equals_optax_nadam(shape, seed, kwargs):
    """cc.nadam(momentum_schedule=False) equals optax.nadam in float64 over 600 moving steps: against
    optax's recorded parameters (OPTAX_NADAM) and, at every step, a hand-written float64 optax.nadam."""
    steps = 600
    theta0, grad = _nadam_quadratic(shape, seed, steps)
    opt = cc.nadam(momentum_schedule=False, **kwargs)
    theta, state = theta0.copy(), opt.init(theta0)
    ours = [theta]
    for k in range(steps):
        theta, state = opt.step(theta, grad(theta, k), state)
        ours.append(theta)
    ours = np.stack(ours)
    full = dict(lr=2e-3, beta1=0.9, beta2=0.999, eps=1e-8) | kwargs
    ref = _optax_nadam_reference(full["lr"], full["beta1"], full["beta2"], full["eps"])(theta0, grad, steps)
    assert np.max(np.abs(ours[-1] - ours[0])) > 1e-2                      # the run moves
    np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-14)
    for step, values in OPTAX_NADAM[seed].items():
        np.testing.assert_allclose(ours[step].ravel(), values, rtol=1e-10, atol=1e-13)
    # PyTorch's schedule (the default) is a different optimizer on the same gradients
    assert cc.nadam(**kwargs).hyperparameters["momentum_schedule"] is True
    opt_t = cc.nadam(**kwargs)
    theta, state = theta0.copy(), opt_t.init(theta0)
    for k in range(50):
        theta, state = opt_t.step(theta, grad(theta, k), state)
    assert np.max(np.abs(theta - ref[50])) > 1e-4


def test_nadam_live_against_optax():
    """When optax (and jax) are installed: the same case, step by step, in float64."""
    optax = pytest.importorskip("optax")
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    steps = 300
    theta0, grad = _nadam_quadratic((4,), 5, steps)
    tx = optax.nadam(learning_rate=0.02, b1=0.9, b2=0.999, eps=1e-8)
    params, state = jnp.asarray(theta0), None
    state = tx.init(params)
    opt = cc.nadam(lr=0.02, momentum_schedule=False)
    theta, cstate = theta0.copy(), opt.init(theta0)
    for k in range(steps):
        g = grad(theta, k)
        updates, state = tx.update(jnp.asarray(g), state, params)
        params = optax.apply_updates(params, updates)
        theta, cstate = opt.step(theta, g, cstate)
        np.testing.assert_allclose(theta, np.asarray(params), rtol=1e-10, atol=1e-12)


def test_nadam_weights_of_the_two_forms():
    """The NAdam table: PyTorch's weight of m_1 is mu_2/(1 - mu_1 mu_2) = 0.565; optax's
    beta1/(1 - beta1^2) = 4.74; optax's weights reach 1 - beta1 and beta1 within a hundred steps."""
    b1, psi = 0.9, 4e-3
    mu = lambda t: b1 * (1 - 0.5 * 0.96 ** (t * psi))  # noqa: E731
    assert round(mu(2) / (1 - mu(1) * mu(2)), 3) == 0.565
    assert round(b1 / (1 - b1**2), 3) == 4.737
    t = 100
    assert (1 - b1) / (1 - b1**t) == pytest.approx(0.1, rel=1e-4)
    assert b1 / (1 - b1 ** (t + 1)) == pytest.approx(0.9, rel=1e-4)
    # the first step on a constant gradient, eps = 0: the docstring's 1.47368 (optax) and 1.05645 (PyTorch)
    first = [float(-o.step(np.zeros(1), np.ones(1), o.init(np.zeros(1)))[0][0])
             for o in (cc.nadam(lr=1.0, eps=0.0, momentum_schedule=False), cc.nadam(lr=1.0, eps=0.0))]
    assert first == pytest.approx([1 + b1 * (1 - b1) / (1 - b1**2), 1 + (1 - b1) * mu(2) / (1 - mu(1) * mu(2))])


# -- the comparison of the appendix, recomputed ------------------------------------------------------

@pytest.fixture(scope="module")
def sweep():
    from coursecode import learning

    sweep_opts = {"Adam": cc.adam, "Adamax": cc.adamax, "NAdam (PyTorch)": cc.nadam,
                  "NAdam (optax)": lambda **kw: cc.nadam(momentum_schedule=False, **kw), "RAdam": cc.radam,
                  "AdaBelief": cc.adabelief, "Lion": cc.lion}
    lrs = np.logspace(-4, 0, 17)
    opt = cc.stacked([f(lr=lrs[:, None]) for f in sweep_opts.values()], rows=len(lrs))
    data = learning.logistic_data(n=100, d=10, seed=0, scales=np.logspace(-1, 1, 10))
    f_star = float(data.problem.value(data.problem.l2_minimizer(1e-12)))
    problems = {"ravine": (cc.ravine(), [-0.987, 0.813], 0.0, 150),
                "Rosenbrock": (cc.rosenbrock(), [-1.213, 1.087], 0.0, 600),
                "saddle": (cc.saddle(), [0.973, 1e-3], -0.5, 150),
                "logistic regression": (data.problem, np.zeros(10), f_star, 300)}
    n = len(sweep_opts)
    out = {"names": list(sweep_opts), "lrs": lrs, "gaps": {}, "thetas": {}, "runs": {}}
    for name, (problem, theta0, fs, steps) in problems.items():
        run = cc.run(opt, problem, np.tile(theta0, (n * len(lrs), 1)), steps, record_grads=False)
        out["gaps"][name] = (run.losses - fs).reshape(steps + 1, n, len(lrs))
        out["thetas"][name] = run.thetas.reshape(steps + 1, n, len(lrs), -1)
    return out


def _settled(gap, tol=1e-6):
    above = ~(gap <= tol)
    last_above = len(gap) - 1 - np.argmax(above[::-1], axis=0)
    return np.where(above[-1], len(gap), np.where(above.any(axis=0), last_above + 1, 0))


def _best_settle(sweep, name, k):
    gap = sweep["gaps"][name][:, k]
    final = np.where(np.isfinite(gap[-1]), gap[-1], np.inf)
    i = int(np.lexsort((final, _settled(gap)))[0])
    return i, int(_settled(gap[:, i:i + 1])[0])


def test_sweep_windows_of_good_learning_rates(sweep):
    """The text after fig-appx-beyond: the counts of good learning rates, NAdam in both forms."""
    good = {opt: int(sum((g[-1, k] <= 1e-6).sum() for g in sweep["gaps"].values()))
            for k, opt in enumerate(sweep["names"])}
    assert good == {"Adam": 22, "Adamax": 19, "NAdam (PyTorch)": 11, "NAdam (optax)": 19, "RAdam": 10,
                    "AdaBelief": 24, "Lion": 0}
    assert good["AdaBelief"] == max(good.values()) and good["Lion"] == 0
    assert max(good["NAdam (PyTorch)"], good["RAdam"]) < min(good[o] for o in ("Adam", "Adamax", "AdaBelief",
                                                                                 "NAdam (optax)"))
    assert good["NAdam (optax)"] == good["Adamax"]
    # the two NAdams differ more than Adam and Adamax do, in the window and in speed
    assert abs(good["NAdam (optax)"] - good["NAdam (PyTorch)"]) > abs(good["Adam"] - good["Adamax"])
    ix = {o: k for k, o in enumerate(sweep["names"])}
    for name in ("ravine", "saddle", "logistic regression"):
        s = {o: _best_settle(sweep, name, k)[1] for o, k in ix.items()}
        ratio = lambda a, b: max(s[a], s[b]) / min(s[a], s[b])  # noqa: E731
        assert ratio("NAdam (optax)", "NAdam (PyTorch)") > ratio("Adam", "Adamax")
    # AdaBelief's window reaches furthest towards small learning rates
    lrs = sweep["lrs"]
    for name in ("ravine", "saddle", "logistic regression"):
        smallest = {o: lrs[np.flatnonzero(sweep["gaps"][name][-1, k] <= 1e-6)].min()
                    for o, k in ix.items() if o != "Lion"}
        assert smallest["AdaBelief"] == min(smallest.values())          # furthest (a tie on the saddle)


def test_sweep_settling_order(sweep):
    """Adam, Adamax, RAdam and AdaBelief within a factor 2; optax's NAdam first on all three problems
    (at the largest learning rate on the ravine and the saddle); PyTorch's second on the ravine and the
    saddle and last on the logistic regression; Lion never settles; on Rosenbrock only Adam does."""
    ix = {o: k for k, o in enumerate(sweep["names"])}
    for name in ("ravine", "saddle", "logistic regression"):
        s = {o: _best_settle(sweep, name, k) for o, k in ix.items()}
        others = [s[o][1] for o in ("Adam", "Adamax", "RAdam", "AdaBelief")]
        assert max(others) <= 2 * min(others)
        assert s["NAdam (optax)"][1] < s["NAdam (PyTorch)"][1] and s["NAdam (optax)"][1] < min(others)
        if name == "logistic regression":
            assert s["NAdam (PyTorch)"][1] > max(others)
        else:
            assert s["NAdam (PyTorch)"][1] < min(others)
            assert s["NAdam (optax)"][0] == len(sweep["lrs"]) - 1
            assert sweep["gaps"][name][-1, ix["NAdam (optax)"], -1] <= 1e-16
        assert s["Lion"][1] == len(sweep["gaps"][name])
    rosen = {o: _best_settle(sweep, "Rosenbrock", k) for o, k in ix.items()}
    assert rosen["Adam"][1] < 601 and rosen["Adam"][0] == 16
    assert all(v[1] == 601 for o, v in rosen.items() if o != "Adam")
    # AdaBelief comes close: its best run ends next to (1, 1)
    k = ix["AdaBelief"]
    end = sweep["thetas"]["Rosenbrock"][-1, k, rosen["AdaBelief"][0]]
    assert sweep["gaps"]["Rosenbrock"][-1, k, rosen["AdaBelief"][0]] < 1e-5 and np.linalg.norm(end - 1) < 0.01


def test_sweep_rosenbrock_only_radam_diverges_and_lion_rates(sweep):
    ix = {o: k for k, o in enumerate(sweep["names"])}
    lrs = sweep["lrs"]
    bad = np.isnan(sweep["gaps"]["Rosenbrock"][-1])
    assert bad.sum() == bad[ix["RAdam"]].sum() == 9
    first_bad = lrs[bad[ix["RAdam"]]].min()
    assert np.all(bad[ix["RAdam"]][lrs >= first_bad]) and round(first_bad, 4) == 0.01
    # Lion's best learning rates are 3 to 178 times smaller than Adam's
    ratios = [lrs[_best_settle(sweep, n, ix["Adam"])[0]] / lrs[_best_settle(sweep, n, ix["Lion"])[0]]
              for n in sweep["gaps"]]
    assert round(min(ratios)) == 3 and round(max(ratios)) == 178
    # RAdam's first step on the ravine and the saddle is a long straight jump, many times Adam's
    for name, start in (("ravine", [-0.987, 0.813]), ("saddle", [0.973, 1e-3])):
        th = sweep["thetas"][name]
        jump = {o: np.linalg.norm(th[1, ix[o], _best_settle(sweep, name, ix[o])[0]] - start) for o in ("RAdam", "Adam")}
        assert jump["RAdam"] > 3 * jump["Adam"]


def test_sweep_logistic_curves_named_in_the_alt_text(sweep):
    ix = {o: k for k, o in enumerate(sweep["names"])}
    g = sweep["gaps"]["logistic regression"]
    curve = {o: g[:, k, _best_settle(sweep, "logistic regression", k)[0]] for o, k in ix.items()}
    for o in ("Adam", "Adamax", "AdaBelief"):
        assert 3e-16 < curve[o][-1] < 1e-14                                   # about 1e-15
    assert 3e-14 < curve["RAdam"][-1] < 1e-12                                 # about 1e-13
    assert _settled(curve["NAdam (optax)"][:, None])[0] == 78                 # below 1e-6 from step 78 on
    assert all(_settled(curve[o][:, None])[0] > 78 for o in curve if o != "NAdam (optax)")   # fastest
    spike = 100 + int(np.argmax(curve["NAdam (PyTorch)"][100:]))
    assert abs(spike - 190) <= 5 and 2e-3 < curve["NAdam (PyTorch)"][spike] < 8e-3   # about 4e-3
    assert curve["NAdam (PyTorch)"][-1] < 1e-6 and curve["Lion"][-1] > 1e-4


def test_radam_takes_five_unnormalized_steps_then_rectified_ones():
    from coursecode.homework import appx

    b2 = 0.999
    t = np.arange(1, 50)
    rho = 2 / (1 - b2) - 1 - 2 * t * b2**t / (1 - b2**t)
    assert rho[0] == pytest.approx(1.0)
    assert int(np.sum(rho <= 5)) == appx.radam_plain_steps(b2) == 5
    # a plain step is lr * m_hat: proportional to the gradient, not normalized
    opt = cc.radam(lr=0.01)
    g = cc.rosenbrock().grad(np.array([-1.213, 1.087]))
    theta, _ = opt.step(np.array([-1.213, 1.087]), g, opt.init(np.zeros(2)))
    assert np.linalg.norm(theta - [-1.213, 1.087]) == pytest.approx(0.01 * np.linalg.norm(g), rel=1e-12)
    assert np.linalg.norm(theta - [-1.213, 1.087]) > 2


@pytest.mark.parametrize("g", [3.0, -0.02, 1e4])
def test_adabelief_first_step_is_lr_over_beta1(g):
    """Exercise ex-appx-adabelief-slope, part 2 (eps is 1e-16: negligible here)."""
    opt = cc.adabelief(lr=0.1)
    theta, _ = opt.step(np.zeros(1), np.array([g]), opt.init(np.zeros(1)))
    assert abs(theta[0]) == pytest.approx(0.1 / 0.9, rel=1e-9)


def test_adabelief_step_grows_on_a_constant_slope_while_adams_does_not():
    steps = {}
    for name, factory in (("adam", cc.adam), ("adabelief", cc.adabelief)):
        traj = cc.run(factory(lr=1.0), lambda theta: np.ones_like(theta), np.zeros(1), steps=1000)
        steps[name] = np.abs(np.diff(traj.thetas[:, 0]))
    assert steps["adam"][-1] == pytest.approx(1.0, rel=1e-6)
    assert steps["adabelief"][-1] > 10 and np.all(np.diff(steps["adabelief"][10:]) > 0)


def test_lion_moves_every_coordinate_by_exactly_lr():
    rng = np.random.default_rng(3)
    g = rng.standard_normal((5, 4)) * np.logspace(-8, 8, 4)
    m = rng.standard_normal((5, 4))
    opt = cc.lion(lr=0.01, weight_decay=0.0)
    theta, state = opt.step(np.zeros((5, 4)), g, cc.optimizers.beyond.LionState(3, m))
    np.testing.assert_array_equal(np.abs(theta), 0.01)
    # the direction uses the old momentum with beta1, the new momentum decays with beta2
    np.testing.assert_array_equal(np.sign(-theta), np.sign(0.9 * m + 0.1 * g))
    np.testing.assert_allclose(state.m, 0.99 * m + 0.01 * g, rtol=1e-13)


def test_lion_weight_decay_is_decoupled_and_multiplied_by_lr():
    opt = cc.lion(lr=0.1, weight_decay=0.5)
    theta, _ = opt.step(np.array([2.0]), np.array([1e-3]), opt.init(np.zeros(1)))
    assert theta[0] == pytest.approx(2.0 * (1 - 0.1 * 0.5) - 0.1)


# -- the homework ------------------------------------------------------------------------

def _homework():
    from coursecode.homework import appx

    return appx.registry()


GARBAGE = [None, "", "   ", "abc", "nan", "inf", float("nan"), 1e308 * 10, [1, 2], {"a": 1}, True, 3 + 4j,
           np.array([5.0]), "x" * 10_000, b"\xff", object(), "1/0", "__import__('os')", print]


def test_homework_ids_kinds_and_static_text():
    from coursecode import exercises as cx

    ex = _homework()
    assert list(ex) == ["appx-radam-warmup", "appx-adabelief-first-step", "appx-lion-step",
                        "appx-constant-gradient"]
    kinds = [cx.NumericExercise, cx.NumericExercise, cx.UpdateExercise, cx.ChoiceExercise]
    assert all(isinstance(e, kind) for e, kind in zip(ex.values(), kinds))
    for key, e in ex.items():
        html = e.static_html()
        assert f'coursecode.homework.appx.registry()["{key}"]' in html
        assert "coursecode.exercises.registry()" not in html
    # the appendix's view is a part of the one registry: the same exercises, and grade() knows them
    everything = cx.registry()
    assert all(everything[key] is e for key, e in ex.items())
    assert cx.grade({"appx-radam-warmup": "5"})["appx-radam-warmup"].correct


def test_homework_expected_values_come_from_coursecode():
    ex = _homework()
    assert ex["appx-radam-warmup"].answer == 5
    opt = cc.adabelief(lr=1.0)
    theta, _ = opt.step(np.zeros(1), np.array([3.0]), opt.init(np.zeros(1)))
    assert ex["appx-adabelief-first-step"].answer == pytest.approx(abs(theta[0]))


@pytest.mark.parametrize("exercise_id, right, wrongs", [
    ("appx-radam-warmup", ["5", 5, " 5.0 "], ["6", "4", "1999", "1", "50"]),
    ("appx-adabelief-first-step", ["1.1111", "10/9"], ["1", "10", "-1.1111", "0.111", "35.14"]),
    ("appx-constant-gradient", ["a", "(A)", 0, "AdaBelief"], ["b", "c", "d", "e"]),
])
def test_numeric_and_choice_answers(exercise_id, right, wrongs):
    ex = _homework()[exercise_id]
    for answer in right:
        assert ex.check(answer).correct, answer
    messages = set()
    for answer in wrongs:
        feedback = ex.check(answer)
        assert not feedback.correct and feedback.message, answer
        messages.add(feedback.message)
    assert len(messages) == len(wrongs), "each typical mistake gets its own message"
    for answer in GARBAGE:
        feedback = ex.check(answer)
        assert not feedback.correct and feedback.message


def test_lion_step_exercise_accepts_the_update_and_names_typical_mistakes():
    from coursecode.homework import appx

    ex = _homework()["appx-lion-step"]
    assert ex.check(ex.reference).correct

    def mine(theta, g, m, lr, beta1, beta2, weight_decay):
        c = beta1 * m + (1 - beta1) * g
        return theta * (1 - lr * weight_decay) - lr * np.sign(c), beta2 * m + (1 - beta2) * g

    assert ex.check(mine).correct
    mistakes = {appx._lion_swapped: "swapped", appx._lion_momentum_first: "before computing c",
                appx._lion_sign_of_m: "updated momentum", appx._lion_no_sign: "proportional to c",
                appx._lion_decay_without_lr: "(1 − λ)", appx._lion_coupled_decay: "L2 penalty",
                appx._lion_uphill: "uphill"}
    for wrong, words in mistakes.items():
        feedback = ex.check(wrong)
        assert not feedback.correct and words in feedback.message, (wrong.__name__, feedback.message)

    def in_place(theta, g, m, lr, beta1, beta2, weight_decay):
        c = beta1 * m + (1 - beta1) * g
        theta *= 1 - lr * weight_decay
        theta -= lr * np.sign(c)
        return theta, beta2 * m + (1 - beta2) * g

    assert "in place" in ex.check(in_place).message
    for answer in GARBAGE:
        assert not ex.check(answer).correct


def test_homework_widgets_check_what_the_field_holds():
    pytest.importorskip("ipywidgets")
    ex = _homework()
    box = ex["appx-radam-warmup"].widget()
    box.answer_field.value = "5"
    box.check_button.click()
    assert "Correct" in box.feedback.value
    box.answer_field.value = "6"
    box.check_button.click()
    assert "Not yet" in box.feedback.value


# ============================================================================ Side by side

def _defaults_table():
    return table_rows(markdown(SIDE), "| `coursecode` | PyTorch")


def _call(text):
    """name, {keyword: value} and the bare positional names of a call written in the table."""
    node = ast.parse(text, mode="eval").body
    assert isinstance(node, ast.Call), text
    keywords = {k.arg: ast.literal_eval(k.value) for k in node.keywords}
    positional = [a.id for a in node.args if isinstance(a, ast.Name)]
    return node.func.id, keywords, positional


def test_defaults_table_lists_every_coursecode_optimizer():
    names = [_call(code_spans(row[0])[0])[0] for row in _defaults_table()]
    assert names == list(cc.ALL)


def test_defaults_table_matches_coursecode_signatures():
    for row in _defaults_table():
        name, keywords, positional = _call(code_spans(row[0])[0])
        params = inspect.signature(cc.ALL[name]).parameters
        for key, value in keywords.items():
            assert params[key].default == value, (name, key, value, params[key].default)
        for key in positional:
            assert params[key].default is inspect.Parameter.empty, (name, key)


@needs_torch
def test_defaults_table_matches_torch_signatures():
    for row in _defaults_table():
        spans = code_spans(row[1])
        if not spans:
            assert row[1] == "—"
            continue
        name, keywords, _ = _call(spans[0])
        params = inspect.signature(getattr(torch.optim, name)).parameters
        for key, value in keywords.items():
            default = params[key].default
            default = tuple(default) if isinstance(default, (tuple, list)) else default
            assert default == value, (name, key, value, default)


def test_optax_column_names_optax_functions_only():
    """The optax cells are calls of optax functions with learning_rate first (optax has no default lr)."""
    known = {"sgd", "adagrad", "rmsprop", "adam", "chain", "adamw", "amsgrad", "adamax", "nadam", "radam",
             "lion", "adabelief", "contrib.adopt", "adafactor", "contrib.muon", "contrib.schedule_free_adamw"}
    for row in _defaults_table():
        call = code_spans(row[2])[0]
        assert call.split("(")[0] in known
        assert call.startswith("chain(") or "(learning_rate" in call


def _noisy_quadratic(seed=0, steps=400):
    rng = np.random.default_rng(seed)
    A, b, noise = np.array([1.0, 10.0, 0.1]), rng.normal(size=3), 0.1 * rng.normal(size=(steps, 3))
    return lambda theta, k: A * theta + b + noise[k]


def _trace(opt, grad, steps=400, theta0=np.ones(3)):
    theta, state, out = theta0.copy(), opt.init(theta0), [theta0]
    for k in range(steps):
        theta, state = opt.step(theta, grad(theta, k), state)
        out.append(theta)
    return np.array(out)


def test_momentum_recipe_ema_equals_heavy_ball_with_scaled_lr():
    grad = _noisy_quadratic()
    ema = _trace(cc.momentum(lr=0.05, beta=0.9), grad)
    heavy = _trace(cc.momentum(lr=0.05 * 0.1, beta=0.9, form="heavy_ball"), grad)
    np.testing.assert_allclose(ema, heavy, rtol=0, atol=1e-12)


@needs_torch
def test_momentum_recipe_against_torch_and_the_dampening_trap():
    grad = _noisy_quadratic()
    ours = _trace(cc.momentum(lr=0.05, beta=0.9), grad)

    def torch_trace(**kwargs):
        p = torch.tensor(np.ones(3), dtype=torch.float64, requires_grad=True)
        opt = torch.optim.SGD([p], foreach=False, **kwargs)
        out = [p.detach().numpy().copy()]
        for k in range(400):
            p.grad = torch.from_numpy(grad(p.detach().numpy(), k))
            opt.step()
            out.append(p.detach().numpy().copy())
        return np.array(out)

    np.testing.assert_allclose(torch_trace(lr=0.05 * 0.1, momentum=0.9), ours, rtol=1e-10, atol=1e-12)
    damped = torch_trace(lr=0.05, momentum=0.9, dampening=0.9)
    first = (damped[1] - damped[0]) / (ours[1] - ours[0])
    np.testing.assert_allclose(first, 10.0, rtol=1e-12)  # the first buffer is undamped: 1/(1 - beta)


def test_adamw_recipe_paper_and_optax_forms_equal_the_library_form():
    grad = _noisy_quadratic(seed=1)
    lr, lam = 1e-2, 0.1
    reference = _trace(cc.adamw(lr=lr, weight_decay=lam), grad, steps=300)[-1]
    for form in ("paper", "optax"):
        opt = cc.adam(lr=1.0)
        theta, state = np.ones(3), opt.init(np.ones(3))
        for k in range(300):
            new, state = opt.step(theta, grad(theta, k), state)
            direction = theta - new
            if form == "paper":  # eta = 1, alpha = lr, lambda_paper = lr * lambda_torch
                theta = theta - (lr * direction + lr * lam * theta)
            else:  # scale_by_adam, add_decayed_weights(lam), scale_by_learning_rate(lr)
                theta = theta - lr * (direction + lam * theta)
        np.testing.assert_allclose(theta, reference, rtol=0, atol=1e-12)


def test_amsgrad_forms_differ_as_the_text_says():
    rng = np.random.default_rng(1)
    grads = 0.1 + rng.standard_normal((2000, 1))
    finals, firsts = [], []
    for opt in (cc.amsgrad(), cc.amsgrad(bias_correction=True),
                cc.amsgrad(bias_correction=True, max_of="corrected")):
        theta, state = np.zeros(1), opt.init(np.zeros(1))
        for t, g in enumerate(grads):
            new, state = opt.step(theta, g, state)
            if t == 0:
                firsts.append(abs(new - theta)[0] / 1e-3)
            theta = new
        finals.append(theta[0])
    assert firsts[0] == pytest.approx(0.1 / math.sqrt(0.001), rel=1e-6)   # (1 - b1)/sqrt(1 - b2)
    assert firsts[1] == pytest.approx(1.0, rel=1e-6) and firsts[2] == pytest.approx(1.0, rel=1e-6)
    assert abs(finals[2] - finals[1]) < abs(finals[1] - finals[0])
    assert abs(finals[2]) < abs(finals[1])          # optax's maximum keeps the noisy early estimates


def test_optax_like_rmsprop_and_adagrad_first_steps():
    """Recipe 4: first steps (in units of lr) with optax's defaults expressed in coursecode."""
    g = np.array([1.0, 1e-2, 1e-4, 1e-6])
    rms = cc.rmsprop(lr=1.0, rho=0.9, eps_inside_sqrt=True)
    step = np.abs(rms.step(np.zeros(4), g, rms.init(np.zeros(4)))[0])
    np.testing.assert_allclose(step, g / np.sqrt(0.1 * g**2 + 1e-8), rtol=1e-12)
    ada = cc.adagrad(lr=1.0, eps=1e-7, initial_accumulator_value=0.1, eps_inside_sqrt=True)
    step = np.abs(ada.step(np.zeros(4), g, ada.init(np.zeros(4)))[0])
    np.testing.assert_allclose(step, g / np.sqrt(0.1 + g**2 + 1e-7), rtol=1e-12)


# ============================================================================ Notation

def _symbol_rows(path, header):
    rows = {}
    text = markdown(path)
    for start in [m.start() for m in re.finditer(re.escape(header), text)]:
        for row in table_rows(text[start:], header):
            rows.setdefault(row[0], row)
    return rows


def test_notation_agrees_with_the_introduction():
    intro = _symbol_rows(CHAPTERS / "intro.md", "| Symbol | Meaning")
    appendix = _symbol_rows(NOTATION, "| symbol | meaning")
    assert intro, "the introduction's notation table was not found"
    for symbol, row in intro.items():
        assert symbol in appendix, f"{symbol} of the introduction is missing from the notation appendix"
        for column in (2, 3):  # coursecode, PyTorch
            for name in code_spans(row[column]):
                assert name in appendix[symbol][column], (symbol, name, appendix[symbol][column])


def test_notation_names_exist_in_coursecode():
    appendix = _symbol_rows(NOTATION, "| symbol | meaning")
    from coursecode import schedules
    from coursecode.learning import imbalance

    hyper = {name for f in cc.ALL.values() for name in inspect.signature(f).parameters}
    hyper |= {name for f in (schedules.constant, schedules.step, schedules.cosine, schedules.warmup,
                             schedules.wsd, imbalance.zipf, imbalance.zipf_pairs)
              for name in inspect.signature(f).parameters}
    hyper |= {name for name in vars(imbalance.Bigram(imbalance.zipf_pairs(vocab=4, pairs=40)))}  # floor
    fields = {field for module in ("coursecode.optimizers.sgd", "coursecode.optimizers.adaptive",
                                   "coursecode.optimizers.adam", "coursecode.optimizers.beyond",
                                   "coursecode.optimizers.adopt", "coursecode.optimizers.schedule_free",
                                   "coursecode.optimizers.matrix")
              for obj in vars(importlib.import_module(module)).values()
              if isinstance(obj, type) and issubclass(obj, tuple) and hasattr(obj, "_fields")
              for field in obj._fields}
    local = {"theta", "g", "m_hat", "v_hat", "mu", "c", "steps", "rho_inf", "rho_t", "rect", "_update"}
    for symbol, row in appendix.items():
        cell = row[2]
        named_fields = re.findall(r"state field `(\w+)`", cell)
        assert all(name in fields for name in named_fields), (symbol, named_fields)
        for name in code_spans(cell):
            if re.fullmatch(r"[a-z_0-9]+", name) and name not in named_fields:
                assert name in hyper | fields | local, (symbol, name)
    for name in ("lr", "beta", "rho", "beta1", "beta2", "eps", "weight_decay", "momentum_decay",
                 "initial_accumulator_value", "eps_inside_sqrt"):
        assert name in hyper


@needs_torch
def test_notation_names_the_real_torch_state():
    keys = set()
    for name, kwargs in [("SGD", {"lr": 0.1, "momentum": 0.9}), ("Adagrad", {}), ("RMSprop", {}),
                         ("Adam", {"amsgrad": True}), ("Adamax", {}), ("NAdam", {})]:
        p = torch.nn.Parameter(torch.ones(2, dtype=torch.float64))
        opt = getattr(torch.optim, name)([p], **kwargs)
        p.grad = torch.ones(2, dtype=torch.float64)
        opt.step()
        keys |= set(opt.state[p])
    text = markdown(NOTATION)
    for key in ("momentum_buffer", "exp_avg", "exp_avg_sq", "max_exp_avg_sq", "sum", "square_avg",
                "exp_inf", "mu_product"):
        assert f"`{key}`" in text and key in keys, key
    assert 'state["step"]' in text and "step" in keys


# ============================================================================ API page

def test_api_page_documents_every_module_of_the_package():
    text = API.read_text(encoding="utf8")
    documented = set(re.findall(r"\.\. automodule:: ([\w.]+)", text))
    for module in ("coursecode", "coursecode.optimizers", "coursecode.problems", "coursecode.online",
                   "coursecode.learning", "coursecode.plots", "coursecode.widgets", "coursecode.exercises"):
        assert module in documented, module
    # coursecode.run (the module) is hidden by coursecode.run (the function): the top-level
    # automodule documents run and Trajectory, which are all that the module holds
    assert {"run", "Trajectory"} <= set(cc.__all__)
    for module in documented:
        importlib.import_module(module)


def test_api_page_member_lists_name_real_objects():
    text = API.read_text(encoding="utf8")
    for module, members in re.findall(r"\.\. automodule:: ([\w.]+)\n   :members: ([^\n]+)", text):
        mod = importlib.import_module(module)
        for name in members.split(", "):
            assert hasattr(mod, name.strip()), (module, name)
    for target in re.findall(r"\.\. autoclass:: ([\w.]+)", text):
        module, name = target.rsplit(".", 1)
        assert hasattr(importlib.import_module(module), name), target


def test_api_page_covers_every_state_class():
    text = API.read_text(encoding="utf8")
    for module in ("coursecode.optimizers.sgd", "coursecode.optimizers.adaptive", "coursecode.optimizers.adam",
                   "coursecode.optimizers.beyond"):
        for name, obj in vars(importlib.import_module(module)).items():
            if name.endswith("State") and isinstance(obj, type):
                assert name in text, name


# ============================================================================ the notebooks

@pytest.mark.parametrize("path", [BEYOND, SIDE], ids=lambda p: p.name)
def test_notebook_template(path):
    nb = json.loads(path.read_text(encoding="utf8"))
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    cells = nb["cells"]
    assert "remove-cell" in cells[1]["metadata"].get("tags", [])
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        images = [o for o in cell.get("outputs", []) if "image/png" in o.get("data", {})]
        if images:
            meta = cell["metadata"].get("mystnb", {})
            assert meta.get("image", {}).get("alt") and meta.get("figure", {}).get("caption"), cell["id"]
    text = markdown(path)
    exercises = re.findall(r"```\{exercise\}[^\n]*\n:label: (ex-appx-[\w-]+)", text)
    solutions = re.findall(r"```\{solution\} (ex-appx-[\w-]+)\n:class: dropdown", text)
    assert len(exercises) >= 3 and set(exercises) == set(solutions)
    labels = re.findall(r"\$\$ \((eq-[\w-]+)\)", text)
    assert labels and all(label.startswith("eq-appx-") for label in labels)


def test_beyond_adam_has_one_figure_and_cites_every_paper():
    nb = json.loads(BEYOND.read_text(encoding="utf8"))
    figures = [c for c in nb["cells"] if c["cell_type"] == "code"
               and any("image/png" in o.get("data", {}) for o in c.get("outputs", []))]
    assert len(figures) == 1
    text = markdown(BEYOND)
    for key in ("kingma2015adam", "dozat2016incorporating", "liu2020variance", "zhuang2020adabelief",
                "chen2023symbolic"):
        assert f"{{cite}}`{key}`" in text, key
    side = markdown(SIDE)
    assert "paszke2019pytorch" in side and "deepmind2020jax" in side
