"""Numbers as a reader sees them: rounded to the digits that carry meaning.

The last bits of a floating-point result depend on the CPU that computed it:
OpenBLAS and numpy choose their kernels by CPU, and each kernel adds in its own
order. A value printed at full precision, 0.09960322274001995 on one machine,
reads 0.09960322274002016 on another, and a difference that is zero up to
rounding reads 5.6e-16 on one and 2.8e-16 on the next. The chapters therefore
print and glue numbers through this module:

- :func:`significant` rounds to six significant digits (by default), far more
  than any sentence needs and far fewer than the CPU disturbs;
- :func:`below` writes a value that is zero up to rounding as the bound it is
  below ("below 1e-12"), so the reader sees what carries meaning;
- :func:`glue` is myst-nb's ``glue`` with :func:`significant` applied first, so
  a stored notebook output is what every CPU prints.

Imports numpy only (myst-nb when :func:`glue` is called, if it is installed).

Examples
--------
>>> significant(0.09960322274001995), significant(0.09960322274002016)
(0.0996032, 0.0996032)
>>> significant({"loss": 1411.8451793091328, "steps": 207, "ok": True})
{'loss': 1411.85, 'steps': 207, 'ok': True}
>>> below(3.885780586188048e-16), below(2.5e-3, floor=1e-12, fmt=".1e")
('below 1e-12', '2.5e-03')
"""
from __future__ import annotations

import numbers

import numpy as np

#: Significant digits kept by :func:`significant` and :func:`glue`.
DIGITS = 6


def _round(x: float, digits: int) -> float:
    if not np.isfinite(x):
        return float(x)
    # "%g" rounds to `digits` significant digits; + 0.0 turns -0.0 into 0.0
    return float(f"{x:.{digits}g}") + 0.0


def significant(value, digits: int = DIGITS):
    """``value`` with every float rounded to ``digits`` significant digits.

    Booleans, integers and strings pass unchanged; numpy scalars become Python
    numbers; arrays, lists, tuples and dict values are rounded element by element.
    """
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return _round(float(value), digits)
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "f":
            return np.array([_round(float(v), digits) for v in value.ravel()]).reshape(value.shape)
        return value
    if isinstance(value, (list, tuple)):
        return type(value)(significant(v, digits) for v in value)
    if isinstance(value, dict):
        return {k: significant(v, digits) for k, v in value.items()}
    return value


def below(x, floor: float = 1e-12, fmt: str = ".1e") -> str:
    """``"below 1e-12"`` when ``|x| < floor`` (zero up to rounding), else ``x`` in ``fmt``."""
    x = float(x)
    if abs(x) < floor:
        return f"below {floor:.0e}".replace("e-0", "e-").replace("e+0", "e+")
    return format(significant(x), fmt)


def glue(name: str, value, display: bool = False, digits: int = DIGITS):
    """Glue ``value`` (rounded by :func:`significant`) for the book's prose, as myst-nb does.

    Where myst-nb is not installed (a bare Colab runtime), the value is shown
    when ``display`` is set and otherwise nothing happens: the prose of a
    generated notebook already carries the number.
    """
    value = significant(value, digits)
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        if display:
            from IPython.display import display as show
            show(value)
        return
    myst_glue(name, value, display=display)
