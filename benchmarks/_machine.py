"""What machine a benchmark ran on, and how busy it was (shared by the benchmark scripts)."""
from __future__ import annotations

import os
import platform
import time


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def machine_info() -> dict:
    """nproc, CPU model, memory, the 1/5/15-minute load averages now, Python, time."""
    info = {
        "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu_model": cpu_model(),
        "load_average_1_5_15": load_average(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    try:
        with open("/proc/meminfo", encoding="utf8") as f:
            info["memory_gib"] = round(int(f.readline().split()[1]) / 2**20, 1)
    except (OSError, ValueError, IndexError):
        pass
    return info


class LoadSampler:
    """Samples the 1-minute load average while a benchmark runs (a context manager).

    ``summary()`` gives the mean and the maximum seen, so a table can say how
    busy the machine was during the measurement, not only before it.
    """

    def __init__(self, interval: float = 5.0):
        import threading

        self.interval, self.samples = interval, []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while True:
            load = load_average()
            if load:
                self.samples.append(load[0])
            if self._stop.wait(self.interval):
                break

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=self.interval + 1)
        return False

    def summary(self) -> dict:
        if not self.samples:
            return {"samples": 0}
        return {"samples": len(self.samples), "interval_s": self.interval,
                "mean_1min": round(sum(self.samples) / len(self.samples), 2),
                "max_1min": round(max(self.samples), 2)}
