"""Re-run the strict notebook check (and optionally the unit tests) as other CPUs would.

A reader's CPU is not the one that stored the notebooks' outputs: OpenBLAS picks
its kernels by CPU (``OPENBLAS_CORETYPE`` overrides the choice) and numpy picks
its SIMD loops by CPU (``NPY_DISABLE_CPU_FEATURES`` turns the wider ones off).
Each picks a different order of floating-point operations, so the last bits of a
result differ. The book prints numbers at the precision that carries meaning,
so every personality below must reproduce every stored output exactly.

    python tools/portable.py                 # strict nbval under every personality
    python tools/portable.py --unit sandybridge   # ... and the unit tests under one
    python tools/portable.py --list          # the personalities this CPU can take

A personality needs what it names from the CPU (AVX-512 for SkylakeX, say); one
this CPU cannot take is skipped with a line saying so. Exit status: 0 when every
run passed, 1 otherwise.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# name -> (OpenBLAS core type, numpy SIMD features to switch off, CPU flags it needs, what it stands for)
PERSONALITIES = {
    "sandybridge": ("Sandybridge", ["X86_V3", "X86_V4", "AVX512_ICL", "AVX512_SPR"], ["avx"],
                    "a 2011 laptop: AVX kernels, numpy limited to SSE4.2"),
    "haswell": ("Haswell", ["X86_V4", "AVX512_ICL", "AVX512_SPR"], ["avx2", "fma"],
                "an AVX2 desktop or Colab VM: Haswell kernels, numpy without AVX-512"),
    "skylakex": ("SkylakeX", [], ["avx512f", "avx512bw", "avx512dq", "avx512vl"],
                 "an Intel Xeon with AVX-512: SkylakeX kernels, every numpy loop"),
}

NBVAL = ["--nbval", "--nbval-current-env", "--nbval-cell-timeout=600",
         "--nbval-sanitize-with", "tests/nbval_sanitize.cfg", "-p", "no:cacheprovider", "-q"]


def cpu_flags() -> set[str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def numpy_features(python: str) -> set[str]:
    """The dispatch targets this numpy build found on this CPU (names it accepts to disable)."""
    code = ("import json\n"
            "from numpy._core import _multiarray_umath as m\n"
            "on = {k for k, v in m.__cpu_features__.items() if v}\n"
            "print(json.dumps(sorted(set(m.__cpu_dispatch__) & on)))")
    out = subprocess.run([python, "-c", code], capture_output=True, text=True)
    if out.returncode != 0:
        return set()
    return set(json.loads(out.stdout))


def environment(name: str, python: str) -> dict[str, str] | None:
    core, disable, needs, _ = PERSONALITIES[name]
    if not set(needs) <= cpu_flags():
        return None
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    env["OPENBLAS_CORETYPE"] = core
    # numpy refuses to disable a feature it did not build a loop for; ask it which it has
    dispatch = numpy_features(python)
    off = [f for f in disable if f in dispatch]
    if off:
        env["NPY_DISABLE_CPU_FEATURES"] = " ".join(off)
    else:
        env.pop("NPY_DISABLE_CPU_FEATURES", None)
    return env


def run(label: str, cmd: list[str], env: dict[str, str]) -> bool:
    shown = " ".join(f"{k}={env[k]!r}" for k in ("OPENBLAS_CORETYPE", "NPY_DISABLE_CPU_FEATURES") if k in env)
    print(f"+ [{label}] {shown} {' '.join(cmd)}", flush=True)
    start = time.monotonic()
    ok = subprocess.run(cmd, cwd=ROOT, env=env).returncode == 0
    print(f"  [{label}] {'passed' if ok else 'FAILED'} in {time.monotonic() - start:.0f} s", flush=True)
    return ok


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", default=str(ROOT / ".venv" / "bin" / "python"))
    parser.add_argument("--only", nargs="*", choices=sorted(PERSONALITIES), help="personalities to run")
    parser.add_argument("--unit", choices=sorted(PERSONALITIES), help="also run pytest tests under this one")
    parser.add_argument("--list", action="store_true", help="list the personalities and exit")
    parser.add_argument("notebooks", nargs="*", default=["chapters"], help="notebooks or folders for nbval")
    args = parser.parse_args(argv)
    python = args.python if Path(args.python).exists() else sys.executable

    if args.list:
        for name, (core, disable, needs, what) in PERSONALITIES.items():
            able = environment(name, python) is not None
            print(f"{name:12s} {'yes' if able else 'no (CPU lacks ' + ' '.join(needs) + ')':24s} {what}")
        return 0

    results = {}
    for name in args.only or list(PERSONALITIES):
        env = environment(name, python)
        if env is None:
            print(f"- [{name}] skipped: this CPU lacks {' '.join(PERSONALITIES[name][2])}")
            continue
        results[f"nbval/{name}"] = run(name, [python, "-m", "pytest", *args.notebooks, *NBVAL], env)
    if args.unit:
        env = environment(args.unit, python)
        if env is None:
            print(f"- [{args.unit}] unit tests skipped: this CPU lacks {' '.join(PERSONALITIES[args.unit][2])}")
        else:
            # the unit tests of coursecode and the chapters' claims; the build, PDF, editions,
            # browser and live JupyterLab tests do not compute numbers and already ran under
            # the native personality
            cmd = [python, "-m", "pytest", "tests", "-q", "-p", "no:cacheprovider",
                   *(f"--ignore=tests/{name}" for name in (
                       "test_book.py", "test_browser.py", "test_accessibility.py", "test_ipywidgets7.py",
                       "test_pdf.py", "test_editions.py", "test_student.py", "test_live_jupyterlab.py",
                       "test_live_fixes.py"))]
            results[f"unit/{args.unit}"] = run(args.unit, cmd, env)
    if not results:
        print("no personality could run on this CPU")
        return 0
    failed = [k for k, ok in results.items() if not ok]
    print(f"portability: {len(results) - len(failed)} passed, {len(failed)} failed"
          + (f" ({', '.join(failed)})" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
