"""Explorers: sliders and menus that drive a figure, for live notebooks.

Each explorer is built by a factory in :func:`registry` (name -> factory)::

    from coursecode import widgets
    ex = widgets.registry()["landscape"](problem="ravine", lr=0.15)
    ex                       # a cell ending with it shows the controls and the figure
    ex.controls["lr"]        # the ipywidgets control behind each setting
    ex.update(lr=0.25)       # what moving the slider runs: set, compute, redraw
    ex.message, ex.diverged  # what the status line says

Design, so that a redraw stays well under 50 ms:

* one figure per explorer, made once (``matplotlib.figure.Figure`` with the Agg
  canvas, never pyplot: nothing is shown twice and no display is needed); what
  does not change with the sliders (contours, axes, colour bars) is drawn once
  per scene and kept as a bitmap; an update restores it and draws only the
  moving lines (``set_data``, blitting), then sends a JPEG to an
  ``ipywidgets.Image``;
* each update makes one batched :func:`coursecode.run` call: several runs (the
  optimizer and its comparison) are rows of one batch;
* a run that diverges is data: it is drawn, and the status line says so.

Explorers use only ipywidgets API that 7.7 (Colab) and 8 share. Displayed in a
notebook, an explorer sends the live widget together with a static picture at
its current settings: a live frontend shows the widget; the HTML book, whose
``_config.yml`` drops the widget view (``nb_mime_priority_overrides``: there is no
widget JavaScript offline), shows the picture and a sentence on how to run it live. :meth:`Explorer.precomputed`
turns one control's sweep into a slider that works offline.

The package, one idea a module (the explorers, their factories and controls are
importable from here, as ``widgets.NAME``; the helpers the explorers share stay in
their modules):

* ``controls``: the sliders and menus (:func:`log_slider`, ``slider``, ``dropdown``);
* ``explorer``: the :class:`Explorer` base class (controls, cache, blitting, the
  static fallback) and the base of the explorers that draw runs on a landscape;
* one module per chapter's explorer: ``landscape`` (chapter 1,
  :class:`LandscapeExplorer`), ``momentum`` (2, :class:`MomentumExplorer`), ``adam``
  (5, :class:`AdamExplorer`), ``amsgrad`` (7, :class:`AMSGradExplorer`), ``adamw``
  (8, :class:`AdamWExplorer`), ``schedules`` (11, :class:`ScheduleExplorer`) and
  ``imbalance`` (13, :class:`ImbalanceExplorer`);
* here: the registry of explorers by name (:func:`registry`, :func:`build`,
  :func:`precomputed`).

The closed forms the momentum explorer draws (``momentum_optimum``,
``momentum_rate``) live in :mod:`coursecode.theory`, and the landscapes the menus
offer (``PROBLEMS``) in :mod:`coursecode.problems`; both are importable from here too.
"""
from __future__ import annotations

# re-exported for the chapters, exercises and tests that import them from here
from ..problems import PROBLEMS  # noqa: F401
from ..theory import momentum_optimum, momentum_rate  # noqa: F401
from .adam import ADAM_PROBLEMS, AdamExplorer, adam_explorer
from .adamw import AdamWExplorer, adamw_explorer
from .amsgrad import (AMSGRAD_ALPHA, AMSGRAD_GRID, AMSGRAD_STEPS, AMSGradExplorer, amsgrad_explorer,
                      amsgrad_grid)
from .controls import dropdown, log_slider, slider
from .explorer import LIVE_NOTE, Explorer
from .landscape import OPTIMIZERS as _OPTIMIZERS
from .landscape import LandscapeExplorer, landscape
from .imbalance import ImbalanceExplorer, imbalance_explorer
from .momentum import MomentumExplorer, momentum_explorer
from .schedules import ScheduleExplorer, schedule_explorer

# autodoc reads a table's documentation from a comment on its assignment in this file
#: name -> menu label, for the lecture's optimizers (their default hyperparameters)
OPTIMIZERS = _OPTIMIZERS

# The order of the API page (autodoc documents the names listed here, in this order);
# momentum_optimum, momentum_rate and PROBLEMS are documented where they live.
__all__ = [
    "LIVE_NOTE", "log_slider", "slider", "dropdown", "Explorer", "OPTIMIZERS", "LandscapeExplorer",
    "MomentumExplorer", "ADAM_PROBLEMS", "AdamExplorer", "AMSGRAD_GRID", "AMSGRAD_STEPS", "AMSGRAD_ALPHA",
    "amsgrad_grid", "AMSGradExplorer", "AdamWExplorer", "landscape", "momentum_explorer", "adam_explorer",
    "amsgrad_explorer", "adamw_explorer", "ScheduleExplorer", "schedule_explorer", "ImbalanceExplorer",
    "imbalance_explorer", "registry", "build", "precomputed",
]

_REGISTRY = {"landscape": landscape, "momentum": momentum_explorer, "adam": adam_explorer,
             "amsgrad": amsgrad_explorer, "adamw": adamw_explorer, "schedules": schedule_explorer,
             "imbalance": imbalance_explorer}


def registry():
    """Explorer name -> factory; ``registry()[name](**values)`` builds one."""
    return dict(_REGISTRY)


def build(name, **values):
    """Build explorer ``name`` with some controls set: ``build("landscape", lr=0.15)``."""
    if name not in _REGISTRY:
        raise ValueError(f"Invalid explorer: {name!r} (choose one of {sorted(_REGISTRY)})")
    return _REGISTRY[name](**values)


def precomputed(name, control, values, label=None, fmt="{:.3g}", **fixed):
    """A pre-computed slider over one control of explorer ``name`` (HTML, works offline).

    ``precomputed("landscape", "lr", [0.05, 0.1, 0.15, 0.19, 0.21], problem="ravine")``
    """
    ex = build(name)
    try:
        return ex.precomputed(control, values, label=label, fmt=fmt, **fixed)
    finally:
        ex.close()
