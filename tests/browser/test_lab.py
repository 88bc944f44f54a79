"""The learner's path: `make lab`, open chapter 1 in JupyterLab, run every cell.

This starts the real `make lab` on a free local port (with a random token, no
browser window, and JupyterLab's settings and workspaces in a temporary
directory with autosave off, so the repository's notebooks are never
written), opens chapter 1 in headless Chromium, runs all cells and checks that
every cell ran and none printed an error.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest

from .conftest import ROOT

CHAPTER = "01-what-is-softmax.ipynb"
START_TIMEOUT = 90  # seconds for JupyterLab to answer
RUN_TIMEOUT = 120_000  # milliseconds for every cell of the chapter to finish


def _group_alive(group: int) -> bool:
    """Whether any process of the process group `group` is still running."""
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _accepts_connections(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A running `make lab`; yields its base URL and the URL of chapter 1 in it."""
    settings = tmp_path_factory.mktemp("lab-settings")
    for plugin, values in [
        # Never write the chapter back to the repository.
        ("docmanager-extension/plugin", {"autosave": False}),
        # Render every cell, not only those in view, so the test sees them all.
        ("notebook-extension/tracker", {"windowingMode": "none"}),
    ]:
        file = settings / "@jupyterlab" / f"{plugin}.jupyterlab-settings"
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(json.dumps(values))
    port, token = _free_port(), secrets.token_hex(16)
    options = [
        "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
        f"--LabApp.user_settings_dir={settings}",
        f"--LabApp.workspaces_dir={tmp_path_factory.mktemp('lab-workspaces')}",
        # No "news" or update checks: the test runs offline.
        "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        # window.jupyterapp, so the test can wait until the chapter's kernel is ready.
        "--LabApp.expose_app_in_browser=True",
    ]
    log = tmp_path_factory.mktemp("lab-log") / "lab.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            ["make", "--no-print-directory", "lab", f"LAB_ARGS={' '.join(options)}"],
            cwd=ROOT, stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        # Jupyter Server prints "is running at" before it binds its port, so wait
        # until the port accepts a connection.
        deadline = time.monotonic() + START_TIMEOUT
        while not _accepts_connections(port):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"make lab did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.5)
        base = f"http://127.0.0.1:{port}/"
        yield base, f"{base}lab/tree/{CHAPTER}?token={token}"
    finally:
        # Stop make and the JupyterLab it started (one process group); what ignores
        # SIGTERM for 30 s gets SIGKILL, so no server outlives the test.
        for stop in (signal.SIGTERM, signal.SIGKILL):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, stop)
            # A poll loop, not wait(): beside Playwright, wait() failed here with an
            # internal assertion of subprocess.
            deadline = time.monotonic() + 30
            while _group_alive(process.pid) and time.monotonic() < deadline:
                process.poll()
                time.sleep(0.1)
            if not _group_alive(process.pid):
                break


def test_make_lab_runs_chapter_one_without_an_error(browser, lab):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    base, chapter = lab
    blocked: list[str] = []
    page_errors: list[str] = []
    context.route(
        lambda url: not url.startswith(base),
        lambda route: (blocked.append(route.request.url), route.abort()),
    )
    try:
        page = context.new_page()
        page.on("pageerror", lambda error: page_errors.append(str(error)))
        page.goto(chapter, wait_until="load")
        page.locator(".jp-NotebookPanel .jp-Notebook").wait_for(timeout=60_000)
        idle = ".jp-NotebookPanel-toolbar .jp-Notebook-ExecutionIndicator[data-status='idle']"
        # The toolbar can read idle before the kernel has connected; a Run All then
        # is lost. Wait for the chapter's kernel itself to be connected and idle.
        page.wait_for_function(
            """() => {
              const kernel = window.jupyterapp?.shell.currentWidget
                ?.sessionContext?.session?.kernel;
              return kernel?.connectionStatus === 'connected' && kernel.status === 'idle';
            }""",
            timeout=60_000,
        )
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
        # Every code cell gets an execution count ([1], [2], ...); none is left at [*] or [ ].
        page.wait_for_function(
            """() => {
              const prompts = [...document.querySelectorAll(
                '.jp-CodeCell .jp-InputArea-prompt')].map((p) => p.textContent.trim());
              return prompts.length > 0 && prompts.every((p) => /^\\[\\d+\\]:$/.test(p));
            }""",
            timeout=RUN_TIMEOUT,
        )
        page.locator(idle).wait_for(timeout=RUN_TIMEOUT)
        cells = page.locator(".jp-CodeCell").count()
        errors = page.locator(
            ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
        ).all_inner_texts()
        figures = page.locator(".jp-OutputArea-output img").count()
    finally:
        context.close()
    assert cells > 10
    assert errors == []
    assert figures >= 2
    assert page_errors == []
    assert blocked == []


