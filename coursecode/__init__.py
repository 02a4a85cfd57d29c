"""coursecode: the optimizers, problems and tools behind the book *Adam and its variants*.

>>> import numpy as np, coursecode as cc
>>> opt = cc.adam(lr=1e-3)
>>> state = opt.init(np.zeros(3))
>>> theta, state = opt.step(np.zeros(3), np.ones(3), state)

The package is layered; each layer imports only the layers below it
(``tests/test_layers.py`` enforces it):

- core: ``optimizers``, ``schedules``, ``problems``, ``online``, ``theory``, ``run``, ``report``
  (numpy only);
- ``learning``: data sets, models, landscape tools, mini-batch training;
- ``plots`` (matplotlib), then ``widgets`` (ipywidgets);
- ``exercises``: exercise kinds, the sandbox for students' code, one registry
  (grading needs numpy only; plots and widgets are loaded to display);
- ``homework``: one module of exercises per chapter.
"""
from .online import OnlineLinear, reddi_cycle, reddi_spike, reddi_stochastic
from .optimizers import (ALL, LECTURE, Optimizer, adabelief, adagrad, adam, adam_l2, adamax, adamw,
                         adopt, amsgrad, gd, lion, momentum, nadam, radam, rmsprop, stacked)
from .problems import (Problem, Quadratic, Stochastic, bowl, cliff, plateau, quadratic, ravine,
                       rosenbrock, rotated_ravine, saddle, stochastic)
from .run import Trajectory, run
from .optimizers import schedule_free_adamw
from . import schedules
from .optimizers import adafactor, muon

__version__ = "0.1.0"

__all__ = [
    "Optimizer", "gd", "momentum", "adagrad", "rmsprop", "adam", "adam_l2", "adamw", "amsgrad",
    "adamax", "nadam", "radam", "lion", "adabelief", "adopt", "stacked", "LECTURE", "ALL",
    "Problem", "Quadratic", "Stochastic", "quadratic", "bowl", "ravine", "rotated_ravine",
    "rosenbrock", "saddle", "plateau", "cliff", "stochastic",
    "OnlineLinear", "reddi_cycle", "reddi_spike", "reddi_stochastic",
    "Trajectory", "run",
]
__all__ += ["adafactor", "muon"]
__all__ += ["schedule_free_adamw", "schedules"]
