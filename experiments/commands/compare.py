"""The `relsim` command: run each arm on each seed, write the tidy files, print and report the comparison.

    relsim                                   # the flagship: one_way vs reciprocal, 10 seeds, 3 years
    relsim arms=[one_way] seeds=[3] days=365 market.consumers=2000 hydra.run.dir=DIR
    relsim strategies.one_way.mail_rate=104 market=monopoly

Config: configs/config.yaml (Hydra). Bad input gets one line naming the key, the value and what is
allowed, exit code 2, and no output directory.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
import os
import sys
import textwrap
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import hydra
from omegaconf import DictConfig

from relsim.params import ConfigError, ConfigWarning

from ..plumbing import checks
from ..plumbing.checks import check_command_line
from ..plumbing.config import CONFIG_DIR, MAX_SEEDS, RunSpec, options, plain_config, run_spec
from .cli import fail, no_code_from_here, require_for, show_warnings

if TYPE_CHECKING:
    import pandas as pd

# The model, the runner and the analysis (Mesa, numba, pandas, plotly) are imported in `execute`, after
# the command line has been checked, so help and errors appear at once.

log = logging.getLogger("relsim")


class Job(NamedTuple):
    """A multirun job: whether its launcher runs jobs in parallel (then each job uses one core), and its name."""

    parallel: bool
    name: str  # its number and grid point, e.g. "job 3 (strategies.one_way.mail_rate=40)"


def sweep_job() -> Job | None:
    """The multirun job this run is, or None outside a sweep."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    if not HydraConfig.initialized() or HydraConfig.get().mode != RunMode.MULTIRUN:
        return None
    hydra_cfg = HydraConfig.get()
    point = " ".join(o for o in hydra_cfg.overrides.task if not o.startswith("hydra."))
    return Job("BasicLauncher" not in str(hydra_cfg.launcher.get("_target_", "")), f"job {hydra_cfg.job.num} ({point})")


#: What a run needs after its simulations (tables, statistics, the report's figures): imported while they run.
ANALYSIS = ("relsim.analysis.load", "scipy.stats", "relsim.analysis.stats", "relsim.analysis.summary",
            "relsim.analysis.wording", "relsim.analysis.report", "relsim.analysis.whatif")


def execute(cfg: DictConfig) -> Path:
    """Run the comparison described by `cfg` and write every output file; returns the directory.

    The manifest is written last: a directory with a manifest of the same config hash is complete,
    and running the same config into it again (e.g. resuming a sweep) skips the work. A multirun job
    prints one line, its verdict named by its grid point, and writes no report.html (relsim-report makes the
    sweep's report).
    """
    from ..plumbing.outputs import config_hash, is_complete, make_manifest, write_manifest, write_tables_in_background

    started = time.perf_counter()
    plain = plain_config(cfg)
    spec = run_spec(plain)
    out = Path(cfg.output_dir)
    job = sweep_job()
    if job is None:  # the command has claimed it already; any other route into a run claims it here
        checks.claim_dir(out, "hydra.run.dir", checks.RUN_MARK, checks.run_identity(plain))
    digest = config_hash(plain)
    if is_complete(out, digest):
        print(f"relsim: {out} is already complete (config {digest}); skipped")
        return out
    spec = _as_job(spec, job) if job else _warn_if_few_seeds(spec)
    inert = _warn_if_inert(spec, job)
    tables = _simulate(spec, out)
    written = write_tables_in_background(tables, out)
    manifest = make_manifest(plain, list(spec.arms), [spec.replicate_id(d, s) for d, s in spec.replicates], digest,
                             scenarios={v.name: v.description for v in spec.variants})
    if inert:
        manifest["cannot_show"] = [{"arm": arm, "scenario": name, "reason": why} for (arm, name), why in inert.items()]
    page = _report(spec, tables, manifest, out, job)
    written.result()  # the tables are on disk (an error writing them is raised here), before the manifest
    manifest["wall_time_s"] = round(time.perf_counter() - started, 3)
    write_manifest(out, manifest)
    if job is None:  # a job's files are read back by the sweep; its line above names it
        print(f"wrote {out / page} (and the tables beside it) in {time.perf_counter() - started:.1f} s")
    return out


def _as_job(spec: RunSpec, job: Job) -> RunSpec:
    """A sweep's job: no progress bar of its own, and one core when its launcher runs jobs in parallel."""
    return dataclasses.replace(spec, workers=1 if job.parallel and spec.workers == 0 else spec.workers,
                               progress=False)


def _warn_if_few_seeds(spec: RunSpec) -> RunSpec:
    """Warn on stderr when there are too few seeds for a difference to be called clear."""
    from relsim.analysis.stats import too_few_seeds

    few = too_few_seeds(len(spec.replicates))
    if few:
        print(f"relsim: warning: {few}", file=sys.stderr)
    return spec


def _warn_if_inert(spec: RunSpec, job: Job | None) -> dict[tuple[str, str], str]:
    """Before the simulations, say which what-if cells cannot show an effect, and why (plumbing/inert.py)."""
    from ..plumbing.inert import cannot_show

    inert = cannot_show(spec)
    if not job:
        for reason in inert.values():
            print(f"relsim: warning: {reason}", file=sys.stderr)
    return inert


def _simulate(spec: RunSpec, out: Path) -> dict[str, pd.DataFrame]:
    """Run every arm on every seed into the run directory, with a progress bar; the analysis is imported meanwhile."""
    from tqdm import tqdm

    from relsim.analysis.io import remove_stale_temporaries

    from ..plumbing.runner import run_all

    out.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(out)  # what an interrupted earlier attempt at this run left
    total = len(spec.arms) * len(spec.variants) * len(spec.replicates)
    with tqdm(total=total, desc="relsim", unit="run", file=sys.stderr, disable=not spec.progress) as bar:
        return run_all(spec, on_done=lambda: bar.update(1), meanwhile=ANALYSIS)


def _report(spec: RunSpec, tables: dict[str, pd.DataFrame], manifest: dict, out: Path, job: Job | None) -> str:
    """Summarise the runs into summary.csv and a page, and print the table and the verdict; returns the page's
    name. A sweep's job writes no page and prints only its verdict, named by its grid point."""
    from relsim.analysis import RunData, format_table, summarise, verdict, write_report
    from relsim.analysis.summary import write_summary
    from relsim.analysis.wording import TERMINAL_WIDTH, levers_line, replicates_phrase
    from relsim.analysis.whatif import (effects, format_overview, overview, scenario_line, view, whatif_verdict,
                                        write_overview, write_whatif_report)

    run = RunData(runs=tables["runs"], retention=tables["retention"], evidence=tables["evidence"],
                  manifest=manifest, out_dir=out)
    named = f"{job.name}: " if job else ""
    if spec.whatif and not spec.composed:  # each scenario against the baseline: an overview
        table = effects(run)
        write_summary(table, out)
        write_overview(out, run, table)
        print(format_overview(overview(table), n_seeds=int(table["n_seeds"].min())))
        _posterior_line(spec, run)
        return "overview.html"
    if spec.whatif:
        table = effects(run)
        write_summary(table, out)
        if not job:
            write_whatif_report(out, run)
            print(textwrap.fill(scenario_line(run), TERMINAL_WIDTH))
            for arm in spec.arms:
                print(f"\nstrategy {arm}: " + " vs ".join(v.name for v in spec.variants[1:]) + " against baseline")
                print(format_table(summarise(view(run, arm)), spec.currency, replicates_phrase(run)))
        print(named + whatif_verdict(run, table))
        if not job:
            _posterior_line(spec, run)
        return "report.html"
    summary = summarise(run)
    write_summary(summary, out)
    line = verdict(run, summary)
    if not job:
        write_report(out, run, summary=summary, verdict_line=line)
        print(textwrap.fill(levers_line(run), TERMINAL_WIDTH))
        print(format_table(summary, spec.currency, replicates_phrase(run)))
    print(named + line)
    if not job and len(spec.arms) > 1:
        _posterior_line(spec, run)
    return "report.html"


def _posterior_line(spec: RunSpec, run) -> None:
    """Beside a verdict: over posterior draws, how parameter uncertainty and seed noise split (the comparison's, or
    each strategy's what-if against its baseline); without them, that the intervals are seed noise only and the
    one command that checks the verdict over the posterior."""
    from relsim.analysis.whatif import view
    from relsim.analysis.wording import TERMINAL_WIDTH, uncertainty_split

    if spec.draws:
        views = {f"Under {arm}, over": view(run, arm) for arm in spec.arms} if spec.whatif else {"Over": run}
        for opening, each in views.items():
            print(uncertainty_split(each, len(spec.draws), len(spec.seeds), opening=opening))
    else:
        print(textwrap.fill(seed_noise_only(sys.argv[1:]), TERMINAL_WIDTH))


def seed_noise_only(argv: list[str]) -> str:
    """The line beside a verdict whose intervals are seed noise only: the one command that checks it over the
    calibrated behaviour's posterior (the same overrides, with posterior draws)."""
    import shlex

    kept = [a for a in argv if not a.split("=", 1)[0].lstrip("+~").startswith(("hydra.", "posterior", "seeds"))]
    command = shlex.join(["relsim", *kept, "posterior=20", "seeds=5"])
    return (f"The 95% CIs above are seed noise only, at the behavioural weights as set; `{command}` checks the "
            "verdict over 20 draws of the calibrated posterior (docs/VALIDATION.md §2).")


@hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name="config")
def _app(cfg: DictConfig) -> None:
    logging.getLogger("MESA").setLevel(logging.WARNING)
    if sweep_job():  # the gate said it once for the whole sweep
        warnings.simplefilter("ignore", ConfigWarning)
    execute(cfg)  # a ConfigError or an OSError (a full disk) reaches `main`, from a job's process too: one line


def main() -> None:
    """Console entry point: check the input (every route into the run: `checks.check_command_line`), claim the
    run's or sweep's directory (its time resolved once), then hand over to Hydra (on return the process is
    meant to end: the garbage collector is left off)."""
    args = sys.argv[1:]
    if "-h" in args or "--help" in args:
        from .usage import help_text

        print(help_text({g: options(g) for g in ("strategy", "market", "firm_policy", "scenario", "experiment")},
                        MAX_SEEDS), end="")
        return
    if "--version" in args:  # relsim's version, not Hydra's
        from .cli import version_line

        print(version_line())
        return
    require_for("relsim", args)  # an optional part the command needs: one line naming what installs it
    no_code_from_here()
    show_warnings("relsim")
    try:
        checked = check_command_line(args)
        claim = None
        if checked.runs:
            claim = _claim(checked)
            args = _with_directory(args, checked.dir_key, claim.directory)
    except ConfigError as exc:
        fail("relsim", str(exc))
    if checked.cfg is not None and checks._choice(checked.cfg, "hydra/launcher") == "ray_local":
        # A local Ray on loopback only (configs/hydra/launcher/ray_local.yaml): Ray 2.60 binds its servers to every
        # interface unless it is told it is not a cluster; then no token is needed either.
        os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
        os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    if checked.runs:
        from ..plumbing.runner import compile_once

        compile_once("relsim")
    sys.argv[1:] = checks.flags_first(args)  # checked above: this split cannot fail
    os.environ["HYDRA_FULL_ERROR"] = "1"  # errors come back here (from Hydra and its jobs), to be said in one line
    # A job that fails (a full disk) stops the sweep's worker pool; its resource tracker would then warn of the pool's
    # semaphores in several lines (the pool's processes inherit this).
    os.environ["PYTHONWARNINGS"] = ",".join(filter(None, [os.environ.get("PYTHONWARNINGS"),
                                                          "ignore:resource_tracker:UserWarning"]))
    try:
        with _without_hydras_job_error_line():
            _app()
    except BaseException as exc:
        failed = not isinstance(exc, SystemExit) or exc.code not in (0, None)
        if failed and claim is not None and claim.created and not checked.multirun:
            _remove(claim.directory)  # a run that failed leaves no folder it made
        if failed and checked.multirun:
            _stop_workers()
        if isinstance(exc, (ConfigError, OSError)):
            where = "" if claim is None or not checked.multirun else \
                f" (the finished jobs stay in {claim.directory}: the same command resumes the sweep)"
            fail("relsim", (str(exc) if isinstance(exc, ConfigError) else
                            checks.write_failed(exc, f"the files in {claim.directory if claim else 'the run'}")) + where)
        raise
    if checked.runs:
        from ..plumbing.runner import skip_final_collections

        skip_final_collections()


def _claim(checked: checks.Checked) -> checks.Claim:
    """Claim the directory, its ${now:...} resolved once (a timestamped folder another run took: the next one)."""
    raw = str(checks._raw(checked.cfg, checked.dir_key))
    for attempt in range(50):
        directory = checks.resolve_directory(checked.cfg, checked.dir_key) if attempt == 0 else \
            Path(checks.DIR_INTERPOLATION.sub(lambda m: dt.datetime.now().strftime(m.group(0)[6:-1]), raw))
        try:
            return checks.claim(checked, directory)
        except ConfigError:
            if "${now:" not in raw or attempt == 49:
                raise
            time.sleep(0.001)
    raise AssertionError("unreachable")


def _with_directory(args: list[str], key: str, directory: Path) -> list[str]:
    """The command line for Hydra: the directory as claimed, in place of any given (so ${now} is not resolved
    again)."""
    kept = [a for a in args if a.lstrip("+").partition("=")[0] != key]
    return [*kept, f"{key}={checks.quote_path(directory)}"]


class _Stderr:
    """stderr without Hydra's 'Error executing job with overrides: [...]' line (relsim says the error itself)."""

    def __init__(self, stream) -> None:  # noqa: ANN001
        self.stream = stream

    def write(self, text: str) -> int:
        return len(text) if text.startswith("Error executing job with overrides:") else self.stream.write(text)

    def __getattr__(self, name: str):  # noqa: ANN204
        return getattr(self.stream, name)


@contextlib.contextmanager
def _without_hydras_job_error_line():  # noqa: ANN202
    saved = sys.stderr
    sys.stderr = _Stderr(saved)
    try:
        yield
    finally:
        sys.stderr = saved


def _stop_workers() -> None:
    """Stop the sweep's worker processes now (a job failed), as the end of a sweep would."""
    if "joblib" in sys.modules:
        from joblib.externals.loky import reusable_executor

        executor = getattr(reusable_executor, "_executor", None)
        if executor is not None:
            executor.shutdown(wait=True, kill_workers=True)


def _remove(directory: Path) -> None:
    import shutil

    checks.release(directory)
    shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
