"""The machine a benchmark ran on, printed with its figures: timings mean nothing without it."""

from __future__ import annotations

import os
import platform
import sys
import time


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def memory_gib() -> float | None:
    try:
        with open("/proc/meminfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) / 1024**2
    except OSError:
        pass
    return None


def load_average() -> str:
    try:
        return " ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "unknown"


def describe() -> str:
    """One paragraph: CPU, cores, RAM, Python, OS, the load average now, and the time (UTC)."""
    memory = memory_gib()
    lines = [
        f"machine: {cpu_model()}, {os.cpu_count()} cores, "
        + (f"{memory:.1f} GiB RAM" if memory is not None else "RAM unknown"),
        f"python:  {platform.python_implementation()} {platform.python_version()} "
        f"({sys.executable}) on {platform.system()} {platform.release()}",
        f"load average (1, 5, 15 min) at start: {load_average()}",
        f"date:    {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
    ]
    return "\n".join(lines)


def print_machine() -> None:
    print(describe(), flush=True)
