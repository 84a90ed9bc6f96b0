"""Retake the README's pictures of the HTML reports from the current model, after any change to it.

    python -m relsim.experiments.bench.report_shots docs/img                 # all four pictures
    python -m relsim.experiments.bench.report_shots docs/img --only whatif   # some: report, sweep, whatif

It runs these commands in a temporary directory (removed afterwards; the sweep in multirun/DATE/flagship under it,
the name its report shows), opens each report in headless Chromium (/usr/bin/chromium, driven by Playwright)
1,400 px wide, waits until every chart is drawn, and writes the page's top down to the end of its first chart:

    report   relsim                                                          DIR/report.png (the default run)
    sweep    relsim -m +experiment=flagship seeds=3 market.consumers=500 days=365, then relsim-report
                                                                             DIR/sweep_report.png, and
                                                                             DIR/sweep_heatmap.png (the NPV heatmap)
    whatif   relsim scenario=pentium_crisis seeds=6 market.consumers=500 days=365
                                                                             DIR/whatif_report.png

All four took 62 s on 2 cores under load (2026-12-07; the sweep, 16 grid points x 3 seeds x 2 arms, 32 s of it).
It prints each report's headline, which the README's sentences about the pictures quote.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ..commands.cli import Parser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
WIDTH = 1400

#: Each picture's relsim command: its arguments after `relsim`.
RUNS = {
    "report": [],
    "sweep": ["+experiment=flagship", "seeds=3", "market.consumers=500", "days=365"],
    "whatif": ["scenario=pentium_crisis", "seeds=6", "market.consumers=500", "days=365"],
}
NAMES = {"report": "report", "sweep": "sweep_report", "whatif": "whatif_report"}


def _relsim(script: str, *args: str, cwd: Path) -> None:
    """Run an installed relsim console script (next to this interpreter); stop with its error if it fails."""
    command = [str(Path(sys.executable).with_name(script)), *args]
    print("$", script, *args, flush=True)
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{script} failed (exit {result.returncode}):\n{result.stderr[-3000:]}")


def make_report(which: str, work: Path) -> Path:
    """Run `which`'s commands in `work`; the path of the HTML report they wrote."""
    args = RUNS[which]
    if which == "sweep":
        out = Path("multirun", time.strftime("%Y-%m-%d"), "flagship")  # relative: the report names it so
        _relsim("relsim", "-m", *args, "progress=false", f"hydra.sweep.dir={out}", cwd=work)
        _relsim("relsim-report", str(out), cwd=work)
        return work / out / "sweep_report.html"
    _relsim("relsim", *args, "progress=false", f"hydra.run.dir=outputs/{which}", cwd=work)
    return work / "outputs" / which / "report.html"


def screenshot(which: str, html: Path, out: Path, browser) -> str:
    """Open `html` 1,400 px wide, wait for every chart, save its top down to the end of its first chart (and for a
    sweep its NPV heatmap) into `out`; returns the page's headline."""
    page = browser.new_page()
    page.set_viewport_size({"width": WIDTH, "height": 1000})
    try:
        page.goto(html.as_uri(), wait_until="load", timeout=120_000)
        page.wait_for_function("""() => [...document.querySelectorAll('.js-plotly-plot')].every(
            gd => gd._fullLayout && gd.querySelector('.main-svg'))""", timeout=120_000)
        time.sleep(1.0)  # let plotly finish painting before a picture
        first = page.locator(".js-plotly-plot").first.bounding_box()
        page.screenshot(path=str(out / f"{NAMES[which]}.png"), full_page=True,
                        clip={"x": 0, "y": 0, "width": WIDTH, "height": first["y"] + first["height"] + 20})
        if which == "sweep":
            npv = page.locator(".js-plotly-plot").filter(has_text="NPV").first
            npv.scroll_into_view_if_needed()
            time.sleep(0.5)
            npv.screenshot(path=str(out / "sweep_heatmap.png"))
        verdict = page.locator(".verdict")
        return verdict.first.inner_text() if verdict.count() else ""
    finally:
        page.close()


def take(out: Path, only: list[str]) -> dict[str, str]:
    """Make the reports `only` names and save their pictures into `out`; returns each report's headline."""
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    headlines = {}
    with tempfile.TemporaryDirectory(prefix="relsim-shots-") as tmp:
        work = Path(tmp)
        reports = {which: make_report(which, work) for which in only}
        with sync_playwright() as pw:
            browser = pw.chromium.launch_persistent_context(
                str(work / "chromium-profile"), executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
            try:
                for which, html in reports.items():
                    headlines[which] = screenshot(which, html, out, browser)
            finally:
                browser.close()
    return headlines


def parse(argv: list[str] | None = None):
    """The command line: DIR and --only; bad input ends in one line with exit code 2."""
    parser = Parser(prog="python -m relsim.experiments.bench.report_shots", description=__doc__.splitlines()[0])
    parser.add_argument("dir", type=Path, metavar="DIR", help="where to write the PNGs (e.g. docs/img)")
    parser.add_argument("--only", nargs="+", choices=tuple(RUNS), default=list(RUNS), metavar="WHICH",
                        help=f"only these pictures: {', '.join(RUNS)} (default: all)")
    args = parser.parse_args(argv)
    if args.dir.exists() and not args.dir.is_dir():
        parser.error(f"DIR {args.dir} is a file, not a directory")
    args.only = list(dict.fromkeys(args.only))
    return args


def main(argv: list[str] | None = None) -> None:
    """Retake the pictures and print each report's headline."""
    args = parse(argv)
    for which, headline in take(args.dir, args.only).items():
        print(f"{which}: {headline}")


if __name__ == "__main__":
    main()
