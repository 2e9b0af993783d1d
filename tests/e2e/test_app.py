"""End to end: the explorer and the sweep page, served by ``python -m sim.app``, driven in a real
headless Chromium (Debian's ``/usr/bin/chromium``) with Playwright.

Each step saves a screenshot into ``test-artifacts/e2e/``. The server is a subprocess on a free
localhost port, stopped at the end whatever happens.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
HORIZON = 12          # the test sweep's horizon (months)
TIMEOUT_MS = 30_000   # for any one thing to appear in the page


# ------------------------------------------------------------------------------ fixtures
def _ensure_chromium() -> None:
    """Skip (with the reason) only if Chromium is missing and cannot be installed."""
    if CHROMIUM.exists():
        return
    script = ROOT / "scripts" / "ensure-browser.sh"
    try:
        done = subprocess.run(["bash", str(script)], capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"{CHROMIUM} is missing and could not be installed ({exc})")
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing and scripts/ensure-browser.sh could not install it: "
                    f"{(done.stderr or done.stdout).strip()[-500:]}")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http_200(url: str, proc: subprocess.Popen, log: Path, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the app exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return
                last = r.status
        except Exception as exc:  # noqa: BLE001 - not up yet
            last = exc
        time.sleep(0.3)
    raise RuntimeError(f"the app did not answer 200 at {url} within {timeout:.0f} s ({last}):\n"
                       f"{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory):
    """A small collected sweep, made with the documented command."""
    folder = tmp_path_factory.mktemp("e2e") / "compare"       # it varies mission fields
    subprocess.run([sys.executable, "-m", "sim.sweep", "experiment=compare", "sweep.samples=4",
                    "sweep.replicates=1", "sweep.chunk_size=16",
                    f"scenario.horizon={HORIZON}", f"sweep.dir={folder}",
                    f"hydra.run.dir={folder.parent / 'hydra'}"],
                   cwd=ROOT, check=True, capture_output=True, text=True, timeout=300)
    assert (folder / "sweep.json").exists()
    return folder


@pytest.fixture(scope="module")
def server(sweep_dir, tmp_path_factory):
    """``python -m sim.app --port N`` as a subprocess; yields its base URL; always stopped."""
    _ensure_chromium()
    port = _free_port()
    log = tmp_path_factory.mktemp("server") / "server.log"
    env = dict(os.environ, COALITION_SWEEP_DIR=str(sweep_dir), PYTHONUNBUFFERED="1")
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "sim.app", "--port", str(port)],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}/"
        _wait_http_200(url, proc, log)
        yield url
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=15)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "server.log").write_text(log.read_text())


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1900})
    pg = ctx.new_page()
    pg.set_default_timeout(TIMEOUT_MS)
    errors = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    yield pg
    ctx.close()
    assert not errors, f"JavaScript errors in the page: {errors}"


# ------------------------------------------------------------------------------ helpers
def shot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    return path


def image(page, css_class: str) -> bytes:
    """The pixels of a figure (a screenshot of its <img>)."""
    img = page.locator(f".{css_class} img").first
    img.wait_for(state="visible")
    return img.screenshot()


def wait_until(predicate, what: str, timeout: float = TIMEOUT_MS / 1000):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def choose(page, label: str, option: str) -> None:
    """Pick ``option`` in the (Vuetify) select labelled ``label``."""
    field = page.locator(".v-select", has=page.locator("label", has_text=re.compile(
        rf"^{re.escape(label)}$"))).first
    field.locator(".v-select__slot").click()
    menu = page.locator(".menuable__content__active")
    menu.get_by_text(option, exact=True).first.click()
    page.locator(".menuable__content__active").wait_for(state="detached")


def mean_trust(page) -> float:
    text = page.locator(".coalition-mean-trust").first.inner_text()
    m = re.search(r"mean trust ([0-9.]+)", text)
    assert m, text
    return float(m.group(1))


def status(page) -> str:
    return page.locator(".coalition-step").first.inner_text()


def step(page, to_month: int) -> None:
    page.get_by_role("button", name="Step", exact=True).click()
    page.locator(".coalition-step", has_text=f"month {to_month} of").wait_for()


def feed(page) -> str:
    return page.locator(".coalition-feed").first.inner_text()


# ------------------------------------------------------------------------------ tests
def test_explorer_policy_steps_and_injected_withdrawal(server, page):
    from sim.app.explorer import ExplorerModel

    page.goto(server)
    page.locator(".coalition-mean-trust").wait_for()
    assert "month 0 of" in status(page)
    shot(page, "01-explorer-start.png")

    # change the policy; Reset builds the model with it
    choose(page, "lead policy", "impulsive")
    page.get_by_role("button", name="Reset", exact=True).click()
    page.locator(".coalition-step", has_text="policy in force: impulsive").wait_for()

    plots = ("coalition-trust-plot", "coalition-missions-plot", "coalition-burden-plot",
             "coalition-effectiveness-plot", "coalition-network-plot")
    before = {c: image(page, c) for c in plots}
    feed_before = feed(page)
    for month in (1, 2, 3):
        step(page, month)
    changed = wait_until(lambda: all(image(page, c) != before[c] for c in plots) or None,
                         "every figure to change after three steps")
    assert changed
    feed_after = feed(page)
    assert feed_after != feed_before
    assert "joins" in feed_after, feed_after          # allies join missions in the first months
    first_row = page.locator(".coalition-feed tbody tr").first.inner_text()
    assert first_row.strip().startswith("3"), f"newest first, got {first_row!r}"
    shot(page, "02-explorer-impulsive-3-steps.png")

    # the page shows what the model computes (same inputs, public API)
    reference = ExplorerModel(policy="impulsive")
    for _ in range(3):
        reference.step()
    shown = mean_trust(page)
    assert shown == pytest.approx(reference.history()["steps"]["trust"][-1, 0], abs=6e-4)

    # inject a withdrawal without consultation; it takes effect at the next step
    choose(page, "mission", "stabilisation")
    page.locator(".coalition-inject-withdrawal").click()
    page.locator(".coalition-pending", has_text="withdrawal (stabilisation)").wait_for()
    shot(page, "03-explorer-withdrawal-queued.png")
    step(page, 4)
    after = mean_trust(page)
    reference.step()                                   # the same month without the withdrawal
    without = reference.history()["steps"]["trust"][-1, 0]
    assert after < shown, f"mean trust did not fall: {shown} -> {after}"
    assert after < without - 0.02, f"withdrawal made no difference: {after} vs {without}"
    assert "withdrawal (stabilisation)" in feed(page)
    shot(page, "04-explorer-after-withdrawal.png")

    # play runs the model by itself until paused
    page.get_by_role("button", name="▶").click()
    page.locator(".coalition-step", has_text=re.compile(r"month ([6-9]|\d\d+) of")).wait_for()
    page.get_by_role("button", name="❚❚").click()
    page.get_by_role("button", name="▶").wait_for()
    month = int(re.search(r"month (\d+) of", status(page)).group(1))
    assert month >= 6


def test_sweep_page_outcome_and_open_a_run(server, page, sweep_dir):
    from sim.experiments.collect import collect

    page.goto(server + "sweep")
    page.locator(".coalition-sweep-dist img").wait_for()
    page.locator(".coalition-sweep-param img").wait_for()
    body = page.locator("body").inner_text()
    assert "pairs" in body and "interval" in body.lower()
    shot(page, "05-sweep.png")

    figures = ("coalition-sweep-dist", "coalition-sweep-diff", "coalition-sweep-param")
    before = {c: image(page, c) for c in figures}
    choose(page, "outcome", "final_trust")
    page.get_by_text("allies' trust in the lead at the end").first.wait_for()
    assert wait_until(lambda: all(image(page, c) != before[c] for c in figures) or None,
                      "the figures to change with the outcome")
    shot(page, "06-sweep-final-trust.png")

    # the frontier is shown; the decomposition runs on request
    page.locator(".coalition-sweep-frontier img").wait_for()
    page.locator(".coalition-decompose").get_by_text("decompose the difference").click()
    page.locator(".coalition-sweep-decomposition img").wait_for(timeout=120_000)
    shot(page, "06b-sweep-decomposition.png")

    # open one run of the sweep in the explorer: same config and seed, so the same numbers
    runs = collect(sweep_dir)
    run_id = int(runs["run_id"].iloc[5])
    box = page.locator(".coalition-run-id input").first
    box.fill(str(run_id))
    box.press("Enter")
    page.locator(".coalition-open-run", has_text=f"open run {run_id}").click()
    page.locator(".coalition-origin", has_text=f"sweep run {run_id}").wait_for()
    for month in range(1, HORIZON + 1):
        step(page, month)
    expected = float(runs.loc[runs["run_id"] == run_id, "final_trust"].iloc[0])
    assert mean_trust(page) == pytest.approx(expected, abs=6e-4)
    shot(page, "07-sweep-run-in-explorer.png")

    # Reset re-creates the same run of the sweep
    page.get_by_role("button", name="Reset", exact=True).click()
    page.locator(".coalition-step", has_text="month 0 of").wait_for()
    assert f"sweep run {run_id}" in page.locator(".coalition-origin").first.inner_text()
