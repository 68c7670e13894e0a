"""How fast the JupyterLab server extension checks a notebook, with the machine printed beside it.

    python benchmarks/bench_server.py [--cells 100] [--repeat 50]

http   POST /nb-discipline/check of a generated 100-cell notebook (about 500 KB with its outputs)
       to a real `jupyter server` started here with the extension, as the browser sends it after
       an edit: median and 90th percentile of the request's wall time (target: median at most
       50 ms), and the server process's CPU time per request (from /proc: on a loaded machine
       the wall time includes waiting for a core, the CPU time does not).
core   the same check in-process (parse, configuration, rules, JSON-ready diagnostics), without
       HTTP, to show where the time goes: wall and CPU time.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import corpus
from machine import load_average, print_machine

TARGET_MEDIAN_MS = 50


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _summary(name: str, seconds: list[float], target_ms: float | None = None) -> None:
    ordered = sorted(seconds)
    median = statistics.median(ordered) * 1000
    p90 = ordered[int(0.9 * (len(ordered) - 1))] * 1000
    verdict = ""
    if target_ms is not None:
        verdict = f"  (target <= {target_ms} ms: {'met' if median <= target_ms else 'MISSED'})"
    print(f"{name:<5} median {median:7.1f} ms  p90 {p90:7.1f} ms  n={len(ordered)}{verdict}")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bench_core(document: dict, path: Path, repeat: int) -> tuple[list[float], list[float]]:
    from nb_discipline.server.handlers import check_document

    check_document(document, path, path.name, None, [])  # imports and caches warm
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        check_document(document, path, path.name, None, [])
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return wall, cpu


def bench_http(document: dict, root: Path, path: Path, repeat: int) -> list[float]:
    config = root.parent / "config"
    config.mkdir()
    (config / "jupyter_server_config.json").write_text(
        json.dumps({"ServerApp": {"jpserver_extensions": {"nb_discipline.server": True}}})
    )
    port, token = _free_port(), secrets.token_hex(16)
    command = [
        sys.executable,
        "-m",
        "jupyter_server",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={root}",
        f"--IdentityProvider.token={token}",
        "--ServerApp.open_browser=False",
    ]
    if os.geteuid() == 0:
        command.append("--allow-root")
    environment = {**os.environ, "JUPYTER_CONFIG_DIR": str(config)}
    server = subprocess.Popen(
        command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    body = json.dumps({"path": path.name, "notebook": document}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/nb-discipline/check",
        data=body,
        method="POST",
        headers={"Authorization": f"token {token}", "Content-Type": "application/json"},
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(request, timeout=30).read()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    sys.exit("bench_server: the jupyter server did not start")
                time.sleep(0.5)
        for _ in range(3):
            urllib.request.urlopen(request, timeout=30).read()
        times = []
        cpu_before = _cpu_seconds(server.pid)
        for _ in range(repeat):
            start = time.perf_counter()
            with urllib.request.urlopen(request, timeout=30) as response:
                diagnostics = json.loads(response.read())["diagnostics"]
            times.append(time.perf_counter() - start)
        cpu_ms = (_cpu_seconds(server.pid) - cpu_before) / repeat * 1000
        print(f"body {len(body) / 1e3:.0f} KB, {len(diagnostics)} diagnostics per check")
        print(f"server CPU time per request: {cpu_ms:.1f} ms (mean)")
        return times
    finally:
        server.terminate()
        server.wait(20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cells", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    print_machine()
    directory = Path(tempfile.mkdtemp(prefix="bench-server-"))
    try:
        root = directory / "project"
        corpus.write_project(str(root))
        document = corpus.build_notebook("bench-server", args.cells, 500_000, "in-order")
        path = root / "notebook.ipynb"
        path.write_bytes(corpus.serialize(document))
        print(f"{args.cells} cells; load average before: {load_average()}")
        _summary("http", bench_http(document, root, path, args.repeat), TARGET_MEDIAN_MS)
        wall, cpu = bench_core(document, path, args.repeat)
        _summary("core", wall)
        _summary("cpu", cpu)
        print(f"load average after: {load_average()}")
    finally:
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
