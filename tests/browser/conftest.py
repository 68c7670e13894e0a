"""A real JupyterLab on 127.0.0.1 with the extension, driven by Playwright with Debian's Chromium.

The notebooks are served from a temporary copy of examples/ (autosave must not touch the
originals). The extension is a copy of the bundle in the checkout (nb_discipline/labextension) put
first on JUPYTER_PATH, so the test sees what `jlpm build` produced even when an older copy is
installed. An editable install does not build that bundle (hatch_build.py): the first run of these
tests does, with Node.js, and the next runs reuse it until a file it is built from changes.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests import sandbox

CHROMIUM = Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[2]
BUNDLE = REPO / "nb_discipline" / "labextension"
LABEXTENSION = REPO / "labextension"
# What the bundle is built from: it is rebuilt when one of these changed after it was built.
BUNDLE_SOURCES = ("src", "style", "schema", "package.json", "tsconfig.json", "yarn.lock")
# A first `jlpm install` downloads about 104 MB of packages (minutes), then the bundler runs.
BUILD_TIMEOUT = 900
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items):
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(
        reason="browser tests need Debian's Chromium at /usr/bin/chromium: "
        "apt-get update && apt-get install -y chromium chromium-driver"
    )
    for item in items:
        if Path(item.path).is_relative_to(Path(__file__).parent):
            item.add_marker(skip)


class Lab:
    def __init__(self, url: str, token: str, root: Path) -> None:
        self.url = url
        self.token = token
        self.root = root

    def tree_url(self, path: str) -> str:
        return f"{self.url}lab/tree/{path}?token={self.token}&reset"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(
    url: str, token: str, process: subprocess.Popen, log: Path, timeout: float = 90
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}api/status?token={token}", timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"JupyterLab did not answer within {timeout} s:\n{log.read_text()}")


def _newest_change(paths) -> float:
    return max(
        (
            file.stat().st_mtime
            for path in paths
            for file in ([path] if path.is_file() else path.rglob("*"))
            if file.is_file()
        ),
        default=0.0,
    )


def _why_build() -> str | None:
    """Why the bundle must be built before the tests, or None when it is current."""
    if not (BUNDLE / "package.json").exists():
        return f"there is none in {BUNDLE.relative_to(REPO)}"
    if _newest_change(LABEXTENSION / name for name in BUNDLE_SOURCES) > _newest_change([BUNDLE]):
        return "labextension/ changed since it was built"
    return None


def _build(why: str, terminal) -> None:
    """`jlpm install && jlpm build` in labextension/, its output on the terminal."""
    if shutil.which("node") is None:
        pytest.fail(
            f"the browser tests need the JupyterLab extension built ({why}), and building it "
            "needs Node.js 20 or later on PATH"
        )
    jlpm = str(Path(sys.executable).with_name("jlpm"))
    terminal.write_line(
        f"Building the JupyterLab extension for the browser tests ({why}): jlpm install && "
        "jlpm build in labextension/ (a first install downloads about 104 MB)",
        bold=True,
    )
    started = time.monotonic()
    for step in ("install", "build"):
        # The user's own environment: jlpm's package cache is theirs to reuse (tests/sandbox.py).
        process = subprocess.Popen(
            [jlpm, step],
            cwd=LABEXTENSION,
            env=sandbox.user_environment(),
            start_new_session=True,
        )
        try:
            returncode = process.wait(BUILD_TIMEOUT - (time.monotonic() - started))
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            pytest.fail(
                f"building the JupyterLab extension took more than {BUILD_TIMEOUT} s: "
                f"`jlpm {step}` in labextension/ was stopped (is the npm registry reachable?)"
            )
        if returncode:
            pytest.fail(
                f"building the JupyterLab extension failed: `jlpm {step}` in labextension/ "
                f"exited with {returncode} (its output is above)"
            )
    terminal.write_line(f"Built the JupyterLab extension in {time.monotonic() - started:.0f} s")


@pytest.fixture(scope="session")
def bundle(request) -> Path:
    """The extension's bundle in the checkout, built first when it is missing or out of date."""
    # One pytest process builds (pytest-xdist starts several), the others wait for it under this
    # lock on labextension/ and find the bundle current.
    directory = os.open(LABEXTENSION, os.O_RDONLY)
    try:
        fcntl.flock(directory, fcntl.LOCK_EX)
        why = _why_build()
        if why:
            capture = request.config.pluginmanager.getplugin("capturemanager")
            with capture.global_and_fixture_disabled():
                _build(why, request.config.pluginmanager.getplugin("terminalreporter"))
    finally:
        os.close(directory)  # releases the lock
    return BUNDLE


# Package scope: Playwright's sync API keeps an event loop running while it is open, which would
# break every later test that starts its own loop (the server tests), and the lab is not needed
# after these tests.
@pytest.fixture(scope="package")
def lab(tmp_path_factory, bundle) -> Lab:
    base = tmp_path_factory.mktemp("lab")
    root = base / "notebooks"
    shutil.copytree(REPO / "examples", root)
    # One run per check keeps the test short; each run is still compared with the committed
    # baseline (train_digits.repro.json).
    (root / "nb-discipline.toml").write_text("[repro]\nruns = 1\n")
    shutil.copytree(bundle, base / "data" / "labextensions" / "nb-discipline")
    config = base / "config"
    config.mkdir()
    (config / "jupyter_server_config.json").write_text(
        json.dumps({"ServerApp": {"jpserver_extensions": {"nb_discipline.server": True}}})
    )
    settings = base / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    port, token = _free_port(), secrets.token_hex(16)
    environment = {
        **os.environ,
        "JUPYTER_PATH": str(base / "data"),
        "JUPYTER_CONFIG_DIR": str(config),
        "JUPYTERLAB_SETTINGS_DIR": str(base / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(base / "workspaces"),
        "JUPYTER_RUNTIME_DIR": str(base / "runtime"),
        "XDG_CACHE_HOME": str(base / "cache"),
    }
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={root}",
        f"--IdentityProvider.token={token}",
    ]
    if os.geteuid() == 0:
        command.append("--allow-root")
    log = base / "jupyterlab.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(
            command, env=environment, stdout=output, stderr=subprocess.STDOUT, cwd=root
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_until_up(url, token, process, log)
        yield Lab(url, token, root)
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="package")
def browser_context(tmp_path_factory):
    from playwright.sync_api import expect, sync_playwright

    # A check and its re-render take a second on a quiet machine, several on a busy CI one:
    # assertions wait up to 20 s (Playwright's default is 5 s) rather than fail on load.
    expect.set_options(timeout=20_000)
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium")),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1400, "height": 900},
        )
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def page(browser_context, request):
    page = browser_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-end.png"))
    page.close()
    extension_errors = [error for error in errors if "nb-discipline" in error or "nbd" in error]
    assert not extension_errors, extension_errors


@pytest.fixture
def screenshot():
    """`screenshot(page, name)` keeps what the page shows as test-artifacts/<name>.png."""

    def take(page, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path))
        return path

    return take
