"""Large arrays are updated block by block (Optimizer._blocked): the result must be the same, bit for bit."""
import numpy as np
import pytest

import coursecode as cc
from coursecode.optimizers import _base

SETTINGS = [("gd", {"lr": 0.1}), ("momentum", {"lr": 0.1}), ("adagrad", {}), ("rmsprop", {}), ("adam", {}),
            ("adam_l2", {"weight_decay": 0.1}), ("adamw", {"lr": 0.1, "weight_decay": 0.1}),
            ("amsgrad", {}), ("amsgrad", {"bias_correction": True, "max_of": "corrected"}),
            ("adamax", {}), ("nadam", {}), ("radam", {}), ("lion", {}), ("adabelief", {})]


@pytest.mark.parametrize("name,kwargs", SETTINGS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(SETTINGS)])
def test_blocks_give_the_same_steps(monkeypatch, name, kwargs):
    rng = np.random.default_rng(7)
    theta, opt = rng.standard_normal((37, 53)), cc.ALL[name](**kwargs)   # 1961 elements, not a multiple
    gs = rng.standard_normal((3, 37, 53))

    def three_steps():
        th, st = theta, opt.init(theta)
        for g in gs:
            th, st = opt.step(th, g, st)
        return th, st

    monkeypatch.setattr(_base, "BLOCK", 10**9)
    whole = three_steps()
    monkeypatch.setattr(_base, "BLOCK", 64)                # 31 blocks, the last one short
    blocks = three_steps()
    assert np.array_equal(whole[0], blocks[0])
    assert type(whole[1]) is type(blocks[1])
    for a, b in zip(whole[1], blocks[1]):
        assert np.array_equal(a, b) and np.shape(a) == np.shape(b)


def test_array_hyperparameters_and_schedules_are_not_blocked(monkeypatch):
    monkeypatch.setattr(_base, "BLOCK", 8)
    theta = np.ones((4, 16))
    lrs = np.array([[0.1], [0.2], [0.3], [0.4]])
    assert not cc.adam(lr=lrs)._blockable(lrs)
    opt = cc.adam(lr=lambda t: 0.1 / t)
    assert opt._blockable(opt.lr_at(1))                   # a schedule's value at a step is a scalar
    th, st = cc.adam(lr=lrs).step(theta, np.ones_like(theta), cc.adam(lr=lrs).init(theta))
    np.testing.assert_allclose(th[:, 0], 1 - lrs[:, 0], rtol=1e-6)
