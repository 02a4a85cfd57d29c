"""Optimizer factories: each binds and validates hyperparameters and returns an
object with pure ``init(theta)`` and ``step(theta, g, state) -> (theta, state)``."""
from ._base import Optimizer
from .adam import AdamState, AMSGradState, adam, adam_l2, adamw, amsgrad
from .adaptive import AdagradState, RMSPropState, adagrad, rmsprop
from .adopt import AdoptState, adopt
from .beyond import adabelief, adamax, lion, nadam, radam
from .matrix import AdafactorState, MuonState, adafactor, muon
from .schedule_free import ScheduleFreeState, schedule_free_adamw
from .sgd import GDState, MomentumState, gd, momentum
from .stacked import Stacked, stacked

#: The lecture's optimizers, name -> factory.
LECTURE = {"gd": gd, "momentum": momentum, "adagrad": adagrad, "rmsprop": rmsprop, "adam": adam,
           "adam_l2": adam_l2, "adamw": adamw, "amsgrad": amsgrad}
#: Every optimizer in coursecode, name -> factory.
ALL = {**LECTURE, "adamax": adamax, "nadam": nadam, "radam": radam, "lion": lion,
       "adabelief": adabelief, "adopt": adopt, "adafactor": adafactor, "muon": muon,
       "schedule_free_adamw": schedule_free_adamw}

__all__ = ["Optimizer", "gd", "momentum", "adagrad", "rmsprop", "adam", "adam_l2", "adamw", "amsgrad",
           "adamax", "nadam", "radam", "lion", "adabelief", "adopt", "stacked", "Stacked", "LECTURE", "ALL", "GDState", "MomentumState",
           "AdagradState", "RMSPropState", "AdamState", "AMSGradState", "AdoptState"]
__all__ += ["adafactor", "muon", "AdafactorState", "MuonState"]
__all__ += ["schedule_free_adamw", "ScheduleFreeState"]
