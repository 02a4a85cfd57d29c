"""The controls an explorer is made of: sliders (linear or log scale) and menus.

Only ipywidgets API that 7.7 (Colab) and 8 share. A menu's options are values or
``(label, value)`` pairs; :func:`option_values` and :func:`option_label` read both.
"""
from __future__ import annotations

import math

import ipywidgets as W

# the description is shown whole, not cut to the default width
_WIDE = {"description_width": "initial"}


def log_slider(description, value, lo, hi, step=0.01):
    """A slider on a log10 scale from ``lo`` to ``hi`` (both > 0)."""
    return W.FloatLogSlider(value=value, base=10, min=math.log10(lo), max=math.log10(hi), step=step,
                            description=description, continuous_update=True, readout_format=".3g",
                            style=_WIDE)


def slider(description, value, lo, hi, step):
    return W.FloatSlider(value=value, min=lo, max=hi, step=step, description=description,
                         continuous_update=True, readout_format=".3g", style=_WIDE)


def dropdown(description, options, value):
    return W.Dropdown(options=options, value=value, description=description, style=_WIDE)


def option_values(control):
    """The values a menu offers (its options without their labels)."""
    return [o[1] if isinstance(o, (tuple, list)) else o for o in control.options]


def option_label(control, value):
    """The label a menu shows for ``value``."""
    for o in control.options:
        if isinstance(o, (tuple, list)) and o[1] == value:
            return o[0]
    return str(value)
