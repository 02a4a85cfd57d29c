#!/usr/bin/env python3
"""Record chapter 10's comparison of optimizers on many splits of the digits (too long for the notebook).

The chapter runs the protocol of ``coursecode.learning.compare`` (tune every
optimizer's learning rate on the validation part, then train it from five fresh
seeds) on one split of scikit-learn's digits, split 0. One split is one draw of
a training, a validation and a test set; its 359 test images make a noisy ruler.
This script runs the same protocol, unchanged, on splits 0 .. N-1, for softmax
regression and for the MLP, and writes the numbers to
``coursecode/learning/digits_record.py``, which the chapter imports (a module,
not a data file, so that it is installed with coursecode on Colab too).

    python tools/record_digits.py                 # splits 0..9, about 2 minutes on 2 cores
    python tools/record_digits.py --splits 3      # a quicker, smaller record
    python tools/record_digits.py --check 4       # rerun split 4 and compare with the record

``tests/test_ch10.py`` reruns one split and checks it against the record.
"""
from __future__ import annotations

import argparse
import pprint
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from coursecode import learning  # noqa: E402
from coursecode.learning import tuning  # noqa: E402

OUT = ROOT / "coursecode" / "learning" / "digits_record.py"
#: The models of the chapter: name -> hidden layers.
MODELS = {"softmax": (), "mlp": (32,)}
#: The protocol: what compare() is called with (its defaults, written out so that the record states them).
PROTOCOL = {"validation": 0.2, "test": 0.2, "epochs": 20, "batch_size": 32, "tune_seeds": [0, 1],
            "final_seeds": [2, 3, 4, 5, 6], "weight_decays": list(tuning.WEIGHT_DECAYS),
            "grids": {name: [float(x) for x in g] for name, g in tuning.GRIDS.items()},
            "schedule": "linear decay to zero", "hidden": {k: list(v) for k, v in MODELS.items()}}

HEADER = '''"""Chapter 10's comparison of optimizers on {n} splits of the digits, recorded by tools/record_digits.py.

Written by the script; do not edit by hand (run ``python tools/record_digits.py`` again).
``RECORD["protocol"]`` is how every split was run (:func:`coursecode.learning.compare` with
these arguments); ``RECORD["splits"][s][model][optimizer]`` holds, for split ``s``
(``learning.digits(seed=s)``) and model ``"softmax"`` or ``"mlp"``, the tuned ``lr`` and
``weight_decay``, the misclassified test images of the five final runs (``test_errors``) and
their final training losses (``train_loss``, 4 significant digits). ``RECORD["test_size"]`` is
the number of test images of every split.
"""

'''


def run_split(split_seed, model):
    """The record of one split and one model: optimizer -> tuned setting, test errors, training losses."""
    p = PROTOCOL
    data = learning.digits(validation=p["validation"], test=p["test"], seed=split_seed)
    c = learning.compare(data, hidden=MODELS[model], weight_decays=p["weight_decays"], epochs=p["epochs"],
                         batch_size=p["batch_size"], tune_seeds=p["tune_seeds"], final_seeds=p["final_seeds"])
    out = c.record()
    for entry in out.values():
        entry["train_loss"] = [float(f"{x:.4g}") for x in entry["train_loss"]]
    return out, data.sizes[2]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--splits", type=int, default=10, help="record splits 0 .. N-1 (default 10)")
    parser.add_argument("--check", type=int, default=None, metavar="S",
                        help="rerun split S and compare it with the stored record instead of writing one")
    args = parser.parse_args(argv)

    if args.check is not None:
        from coursecode.learning.digits_record import RECORD
        ok = True
        for model in MODELS:
            got, _ = run_split(args.check, model)
            stored = RECORD["splits"][args.check][model]
            same = got == stored
            ok &= same
            print(f"split {args.check}, {model}: {'same as the record' if same else 'DIFFERENT'}")
        return 0 if ok else 1

    record = {"protocol": PROTOCOL, "test_size": None, "splits": {}}
    start = time.perf_counter()
    for s in range(args.splits):
        record["splits"][s] = {}
        for model in MODELS:
            record["splits"][s][model], record["test_size"] = run_split(s, model)
        errors = {m: {n: float(np.mean(v["test_errors"])) for n, v in record["splits"][s][m].items()}
                  for m in MODELS}
        print(f"split {s} ({time.perf_counter() - start:.0f} s): mean test errors {errors}", flush=True)
    OUT.write_text(HEADER.format(n=args.splits) + "RECORD = "
                   + pprint.pformat(record, width=110, compact=True, sort_dicts=False) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
