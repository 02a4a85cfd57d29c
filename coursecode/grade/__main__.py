"""``python -m coursecode.grade SUBMISSIONS --out grades.csv``: see :mod:`coursecode.grade`."""
import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
