"""How fast is the educator's page? Time per day at a given size: the model's step, building the figures,
and the whole server-side redraw (Solara re-rendering the page's components and updating the live
plotly figures), measured on the page rendered off-screen with solara.render.

    python -m relsim.experiments.bench.app                  # 2,000 consumers, 100 days after a 50-day warm-up
    python -m relsim.experiments.bench.app --consumers 5000 --days 200
    python -m relsim.experiments.bench.app --browser        # also Play the page in headless Chromium for 15 s
    python -m relsim.experiments.bench.app --browser --screenshot docs/img/app.png
    python -m relsim.experiments.bench.app --lesson-shots docs/img   # the README's two pictures of the lesson

With --browser it starts relsim-app on a free loopback port, opens it in Debian's Chromium
(/usr/bin/chromium, driven by Playwright), presses Play, and reports the days per second the page
ran, how far the page's display lagged behind when Pause was pressed, the browser's main-thread
time per day, and how long a fresh page took to show its controls and charts (a new browser: nothing
cached). Figures, never assertions: machines are noisy.

With --lesson-shots DIR it takes the README's and docs/EDUCATORS.md's pictures of the lesson at 1280 x 720 (a
classroom projector), with the page's defaults: Step to day 112 (DIR/app_before_change.png), change course (mail
12, calls 0, inbound capacity 8, listening 0.8), Step on to day 211 (DIR/app_after_change.png); it prints the
banner's figures on both days, which the text beside the pictures quotes.
"""

from __future__ import annotations

import contextlib
import os
import platform
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ..commands.cli import Parser


def bench(consumers: int = 2000, days: int = 100, warmup: int = 50, seed: int = 1) -> dict[str, float]:
    """Median and 95th-percentile milliseconds per day of step, figure building, and step + full redraw."""
    import solara
    from mesa.visualization.utils import force_update

    from ..app.charts import FIGURES
    from ..app.layout import Page
    from ..app.lesson import LessonModel
    from ..app.network import network_sample

    model = LessonModel(consumers=consumers, rng=seed, days=warmup + 3 * days + 10)
    for _ in range(warmup):
        model.step()
    network_sample(model)  # computed once per model; not part of a day's cost

    step, build, full = [], [], []
    for _ in range(days):
        t0 = time.perf_counter()
        model.step()
        t1 = time.perf_counter()
        for figure in FIGURES.values():
            figure(model)
        t2 = time.perf_counter()
        step.append(t1 - t0)
        build.append(t2 - t1)

    reactive = solara.reactive(model)
    _, rc = solara.render(Page(reactive), handle_error=False)
    for _ in range(days):
        t0 = time.perf_counter()
        model.step()
        force_update()  # what Mesa's Step button and Play loop do after a step
        full.append(time.perf_counter() - t0)
    rc.close()

    def stats(xs: list[float]) -> tuple[float, float]:
        ms = np.array(xs) * 1000
        return float(np.median(ms)), float(np.percentile(ms, 95))

    return {"consumers": consumers, "step": stats(step), "figures": stats(build), "step_and_redraw": stats(full)}


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]


def _day(page) -> int:
    m = re.match(r"Day (\d+)", page.locator(".relsim-day").inner_text())
    return int(m.group(1)) if m else 0


def browser_bench(seconds: float = 15.0, screenshot: Path | None = None) -> dict[str, float]:
    """Open the page in headless Chromium and Play it for `seconds`: the seconds a fresh page took to show its
    controls and charts, days per second, display lag, browser ms per day."""
    from playwright.sync_api import sync_playwright

    with _served() as url, sync_playwright() as pw, tempfile.TemporaryDirectory() as profile:
        browser = _chromium(pw, profile, 1600, 1750)
        try:
            page = browser.new_page()
            cdp = browser.new_cdp_session(page)
            cdp.send("Performance.enable")
            load_s = _open(page, url)
            played = _play(page, cdp, seconds)
            if screenshot:
                screenshot.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(screenshot))
        finally:
            browser.close()
    return {**played, "load_s": load_s}


def _chromium(pw, profile: str, width: int, height: int):
    """Headless Chromium with a fresh profile and a window of width x height."""
    return pw.chromium.launch_persistent_context(profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS,
                                                 viewport={"width": width, "height": height})


@contextlib.contextmanager
def _served() -> Iterator[str]:
    """relsim-app on a free loopback port, once it answers; yields its address and stops it after."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    script = Path(sys.executable).with_name("relsim-app")
    proc = subprocess.Popen([str(script), "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}/"
        for _ in range(300):
            try:
                urllib.request.urlopen(url, timeout=2).close()
                break
            except OSError:
                time.sleep(0.2)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)


def _open(page, url: str) -> float:
    """Open a fresh page; the seconds until its controls and every chart are shown."""
    from ..app.charts import FIGURES

    opened = time.perf_counter()
    page.goto(url, wait_until="domcontentloaded")
    page.get_by_role("button", name="Step").wait_for(timeout=60_000)
    page.wait_for_function(f"() => document.querySelectorAll('.js-plotly-plot').length == {len(FIGURES)}",
                           timeout=60_000)
    return time.perf_counter() - opened


def _play(page, cdp, seconds: float) -> dict[str, float]:
    """Play the page for `seconds`, pause, and let the display catch up: the days run, days per second, how many
    days the display lagged behind the model, and the browser's busy milliseconds per day."""
    def busy() -> float:
        metrics = cdp.send("Performance.getMetrics")["metrics"]
        return next(m["value"] for m in metrics if m["name"] == "TaskDuration")

    before = busy()
    page.get_by_role("button", name="▶").click()
    started = time.perf_counter()
    time.sleep(seconds)
    shown = _day(page)
    page.get_by_role("button", name="❚❚").click()
    stopped = time.perf_counter()
    page.get_by_role("button", name="▶").wait_for()
    day = -1
    while day != _day(page):  # let the display catch up with the model
        day = _day(page)
        time.sleep(1.0)
    task = busy() - before
    return {"days": day, "days_per_s": day / (stopped - started), "lag_days": day - shown,
            "browser_ms_per_day": 1000 * task / max(day, 1)}


#: The lesson's change of course in the README's pictures: the focal firm's levers, set on CHANGE_DAY.
CHANGE = {"mail_rate": 12, "phone_rate": 0, "inbound_capacity": 8, "listening": 0.8}
CHANGE_DAY, END_DAY = 112, 211


def lesson_screenshots(out: Path, change_day: int = CHANGE_DAY, end_day: int = END_DAY) -> dict[str, str]:
    """Save the lesson's pictures at 1280 x 720 (out/app_before_change.png on `change_day`, before the change of
    course CHANGE; out/app_after_change.png on `end_day`); returns the banner's text on both days."""
    from playwright.sync_api import sync_playwright

    from ..app.layout import LEVER_SLIDERS

    out.mkdir(parents=True, exist_ok=True)
    shown = {}
    with _served() as url, sync_playwright() as pw, tempfile.TemporaryDirectory() as profile:
        browser = _chromium(pw, profile, 1280, 720)
        try:
            page = browser.new_page()
            _open(page, url)
            _step_to(page, change_day)
            shown["before"] = _banner(page)
            page.screenshot(path=str(out / "app_before_change.png"))
            for name, value in CHANGE.items():
                label, _, lo, _, step = LEVER_SLIDERS[name]
                lever = page.locator(f".relsim-lever-{name}")
                thumb = lever.locator("xpath=following::div[contains(@class,'v-slider__thumb-container')][1]")
                thumb.focus()
                page.keyboard.press("Home")
                for _ in range(round((value - lo) / step)):
                    page.keyboard.press("ArrowRight")
                page.wait_for_function(f"() => document.querySelector('.relsim-lever-{name}').innerText"
                                       f".startsWith('{label}: {value:g} ')", timeout=30_000)
            page.evaluate("() => document.querySelectorAll('.v-navigation-drawer__content')"
                          ".forEach(e => e.scrollTop = 0)")  # the sidebar's top (Run), as before the change
            _step_to(page, end_day)
            shown["after"] = _banner(page)
            page.screenshot(path=str(out / "app_after_change.png"))
        finally:
            browser.close()
    return shown


def _step_to(page, day: int) -> None:
    """Press Step until the page shows `day`, then wait until every line chart has drawn it."""
    step = page.get_by_role("button", name="Step")
    for d in range(_day(page) + 1, day + 1):
        step.click()
        page.wait_for_function(f"() => (document.querySelector('.relsim-day') || {{}}).innerText == 'Day {d}'",
                               timeout=60_000)
    page.wait_for_function(f"""() => [...document.querySelectorAll('.js-plotly-plot')]
        .filter(gd => !(gd.layout.title.text || '').startsWith('Consumer network'))
        .every(gd => gd.data.every(t => t.name == 'unchanged' || (t.y && t.y.length == {day})))""", timeout=60_000)
    time.sleep(1.0)  # let plotly finish painting before a picture


def _banner(page) -> str:
    """The banner's figures and road not taken, as the page shows them."""
    parts = [page.locator(".relsim-day").inner_text(), page.locator(".relsim-customers").inner_text(),
             page.locator(".relsim-trust").inner_text()]
    if page.locator(".relsim-road").count():
        parts.append(page.locator(".relsim-road").inner_text())
    return " | ".join(parts)


def main(argv: list[str] | None = None) -> None:
    """Print the time per day of the page at the given size (and, with --browser, in Chromium)."""
    parser = Parser(prog="python -m relsim.experiments.bench.app", description=__doc__.splitlines()[0])
    parser.add_argument("--consumers", type=int, default=2000)
    parser.add_argument("--days", type=int, default=100, help="days timed")
    parser.add_argument("--browser", action="store_true", help="also Play the page in headless Chromium")
    parser.add_argument("--seconds", type=float, default=15.0, help="how long to Play in the browser")
    parser.add_argument("--screenshot", type=Path, help="with --browser: save a screenshot of the page here")
    parser.add_argument("--lesson-shots", type=Path, metavar="DIR",
                        help="only take the lesson's two pictures (before and after a change of course) into DIR")
    args = parser.parse_args(argv)
    if args.lesson_shots:
        for when, text in lesson_screenshots(args.lesson_shots).items():
            print(f"{when}: {text}")
        return
    r = bench(args.consumers, args.days)
    print(f"relsim-app bench on {platform.node()} ({os.cpu_count()} cores, Python {platform.python_version()}), "
          f"{time.strftime('%Y-%m-%d')}: {r['consumers']:,} consumers, {args.days} days")
    print(f"{'per day':<48} {'median ms':>10} {'p95 ms':>8}")
    for key, label in (("step", "model step (with captions)"), ("figures", "building the 5 figures"),
                       ("step_and_redraw", "step + redraw (page re-render, figure updates)")):
        print(f"{label:<48} {r[key][0]:>10.1f} {r[key][1]:>8.1f}")
    if args.browser:
        b = browser_bench(args.seconds, args.screenshot)
        print(f"A fresh page in headless Chromium showed its controls and charts after {b['load_s']:.1f} s")
        print(f"Play in headless Chromium (2,000 consumers, the page's defaults) for {args.seconds:g} s: "
              f"{b['days_per_s']:.1f} days/s; the display was {b['lag_days']} days behind at Pause; "
              f"browser main thread {b['browser_ms_per_day']:.0f} ms per day")
        if args.screenshot:
            print(f"screenshot: {args.screenshot}")


if __name__ == "__main__":
    main()
