"""coursecode.report: numbers rounded to what carries meaning, the same on every CPU."""
import numpy as np
import pytest

from coursecode import report


@pytest.mark.parametrize("x", [0.09960322274001995, 1411.8451793091328, -1.714285714285715, 7.949201196410589,
                               2.656139888758746e-05, 0.14285714285714277])
def test_last_bit_differences_round_away(x):
    """A value and its neighbours a few ulps away read the same."""
    for ulps in (1, 3, 8):
        up = x
        down = x
        for _ in range(ulps):
            up, down = np.nextafter(up, np.inf), np.nextafter(down, -np.inf)
        assert report.significant(up) == report.significant(x) == report.significant(down)


def test_types_are_kept_and_numpy_becomes_python():
    out = report.significant({"a": np.float64(1 / 3), "n": np.int64(7), "ok": np.bool_(True), "s": "x",
                              "t": (0.1 + 0.2, [2 / 3])})
    assert out == {"a": 0.333333, "n": 7, "ok": True, "s": "x", "t": (0.3, [0.666667])}
    assert type(out["a"]) is float and type(out["n"]) is int and type(out["ok"]) is bool
    arr = report.significant(np.array([[1 / 3, -0.0], [np.inf, np.nan]]))
    assert arr.shape == (2, 2) and arr[0, 0] == 0.333333 and str(arr[0, 1]) == "0.0"
    assert np.isinf(arr[1, 0]) and np.isnan(arr[1, 1])
    assert report.significant(2 / 3, digits=2) == 0.67


def test_minus_zero_never_shows():
    assert str(report.significant(-0.0)) == "0.0"
    assert str(report.significant(-1e-300, digits=3)) == "-1e-300"   # tiny but not zero stays signed


def test_below_writes_rounding_noise_as_a_bound():
    assert report.below(5.6e-16) == report.below(2.8e-16) == report.below(-1e-13) == "below 1e-12"
    assert report.below(0.0, floor=1e-20) == "below 1e-20"
    assert report.below(2.2e-13, floor=1e-10) == "below 1e-10"
    assert report.below(1.2345e-9) == "1.2e-09"
    assert report.below(0.25, fmt=".3f") == "0.250"


def test_glue_rounds_before_it_glues(monkeypatch):
    import sys
    import types
    seen = {}
    fake = types.ModuleType("myst_nb")
    fake.glue = lambda name, value, display=True: seen.update({name: (value, display)})
    monkeypatch.setitem(sys.modules, "myst_nb", fake)
    report.glue("x", 0.09960322274002016)
    report.glue("y", 0.561192345, digits=3, display=True)
    assert seen == {"x": (0.0996032, False), "y": (0.561, True)}


def test_glue_without_myst_nb_is_quiet(monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "myst_nb", None)      # import fails, as on a bare Colab runtime
    assert report.glue("x", 1.0) is None
