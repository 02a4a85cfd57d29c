"""The explorers and exercise widgets under ipywidgets 7.7 (what Colab ships) and 8.

A small script builds every explorer, moves each control to its extremes, builds
every exercise's widget and presses Check, and makes the notebook display bundle.
It runs in this environment (ipywidgets 8) and in a second, throwaway one at
.venv-ipyw7 with ``ipywidgets==7.7.*`` (``make ipyw7`` creates it). Without that
environment the 7.7 test is skipped, unless CC_REQUIRE_IPYW7=1 (set by
``make test``) makes it a failure.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from coursecode import widgets

EXPLORERS = len(widgets.registry())   # every registered explorer is built in each environment

ROOT = Path(__file__).resolve().parents[1]
# make passes its IPYW7 folder (make test IPYW7=... uses another one, as the benchmark does)
IPYW7_PYTHON = Path(os.environ.get("CC_IPYW7", ROOT / ".venv-ipyw7")) / "bin" / "python"

SCRIPT = r'''
import os, sys, warnings
warnings.simplefilter("error", DeprecationWarning)  # API that one of the versions deprecates
os.environ["MPLBACKEND"] = "Agg"
sys.path.insert(0, ROOT)
import ipywidgets as W
from coursecode import exercises, widgets

print("ipywidgets", W.__version__)
assert W.__version__.startswith(EXPECTED), W.__version__
for name, factory in widgets.registry().items():
    ex = factory()
    for control_name, c in ex.controls.items():
        if isinstance(c, W.Dropdown):
            values = [o[1] if isinstance(o, tuple) else o for o in c.options]
        elif isinstance(c, W.Checkbox):
            values = [True, False]
        elif isinstance(c, W.FloatLogSlider):
            values = [c.base ** c.min, c.base ** c.max]
        else:
            values = [c.min, c.max]
        for value in values:
            ex.update(**{control_name: value})
            assert ex.message and (not ex.diverged or "diverged" in ex.message)
    first = list(ex.controls)[-1]
    c = ex.controls[first]
    if not isinstance(c, (W.Dropdown, W.Checkbox)):
        c.value = (c.base ** c.min) if isinstance(c, W.FloatLogSlider) else c.min  # the observer path
    bundle = ex._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == ex.widget.model_id
    assert "<img" in bundle["text/html"]
    ex.close()
    print("explorer", name, "ok")
for key, ex in exercises.registry().items():
    box = ex.widget()
    box.check_button.click()
    assert box.feedback.value, key
    ex._repr_mimebundle_()
    if hasattr(box, "explorer"):
        box.explorer.close()
print("exercises ok:", len(exercises.registry()))
'''


def run_script(python, expected):
    code = f"ROOT = {str(ROOT)!r}\nEXPECTED = {expected!r}\n" + SCRIPT
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=str(ROOT))
    proc = subprocess.run([str(python), "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    return proc.stdout


def test_ipywidgets8_here():
    out = run_script(sys.executable, "8.")
    assert out.count("explorer") == EXPLORERS and "exercises ok" in out


def test_ipywidgets7_in_a_second_environment():
    if not IPYW7_PYTHON.exists():
        message = f"no ipywidgets 7.7 environment at {IPYW7_PYTHON.parent.parent} (make ipyw7 creates it)"
        if os.environ.get("CC_REQUIRE_IPYW7") == "1":
            pytest.fail(message)
        pytest.skip(message)
    out = run_script(IPYW7_PYTHON, "7.7")
    assert out.count("explorer") == EXPLORERS and "exercises ok" in out
