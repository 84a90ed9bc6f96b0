"""The `relsim` command: run each arm on each seed, write the tidy files, print and report the comparison.

    relsim                                   # the flagship: one_way vs reciprocal, 10 seeds, 3 years
    relsim arms=[one_way] seeds=[3] days=365 market.consumers=2000 hydra.run.dir=DIR
    relsim strategies.one_way.contact_rate=104 market=monopoly

Config: configs/config.yaml (Hydra). Bad input gets one line naming the key, the value and what is
allowed, exit code 2, and no output directory.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import sys
import textwrap
import time
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import hydra
from omegaconf import DictConfig

from relsim.params import ConfigError

from ..plumbing.checks import NOT_A_RUN, check_command_line, split_flags
from ..plumbing.config import CONFIG_DIR, MAX_SEEDS, RunSpec, options, plain_config, run_spec

if TYPE_CHECKING:
    import pandas as pd

# The model, the runner and the analysis (Mesa, numba, pandas, plotly) are imported in `execute`, after
# the command line has been checked, so help and errors appear at once.

log = logging.getLogger("relsim")


class Job(NamedTuple):
    """A multirun job: whether its launcher runs jobs in parallel (then each job uses one core), and its name."""

    parallel: bool
    name: str  # its number and grid point, e.g. "job 3 (strategies.one_way.contact_rate=52)"


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
    digest = config_hash(plain)
    if is_complete(out, digest):
        print(f"relsim: {out} is already complete (config {digest}); skipped")
        return out
    job = sweep_job()
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
    from relsim.analysis.wording import TERMINAL_WIDTH, levers_line, replicates_phrase, uncertainty_split
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
        return "report.html"
    summary = summarise(run)
    write_summary(summary, out)
    line = verdict(run, summary)
    if not job:
        write_report(out, run, summary=summary, verdict_line=line)
        print(textwrap.fill(levers_line(run), TERMINAL_WIDTH))
        print(format_table(summary, spec.currency, replicates_phrase(run)))
    print(named + line)
    if spec.draws and not job:
        print(uncertainty_split(run, len(spec.draws), len(spec.seeds)))
    return "report.html"


@hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name="config")
def _app(cfg: DictConfig) -> None:
    logging.getLogger("MESA").setLevel(logging.WARNING)
    try:
        execute(cfg)
    except ConfigError as exc:
        print(f"relsim: error: {exc}", file=sys.stderr)
        sys.exit(2)


def main() -> None:
    """Console entry point: check the input, then hand over to Hydra (on return the process is meant to end: the
    garbage collector is left off)."""
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
    from .cli import require_for

    require_for("relsim", args)  # an optional part the command needs: one line naming what installs it
    if any("hydra/launcher=ray_local" in a for a in args):
        os.environ.setdefault("RAY_AUTH_MODE", "disabled")  # a loopback-only local Ray: no token auth
    try:
        sweep_dir = check_command_line(args, claim=True)
    except ConfigError as exc:
        print(f"relsim: error: {exc}", file=sys.stderr)
        sys.exit(2)
    if sweep_dir is not None and not any(a.lstrip("+~").startswith("hydra.sweep.dir=") for a in args):
        # the directory claimed above: Hydra's default names the time again, a later one, and would leave it empty
        sys.argv.append(f"hydra.sweep.dir={sweep_dir}")
    runs = not split_flags(args)[0] & NOT_A_RUN  # not only printing help, the config or Hydra's info
    if runs:
        _compile_once()
    _app()
    if runs:
        from ..plumbing.runner import skip_final_collections

        skip_final_collections()


def _compile_once() -> None:
    """On the first run after an install or an edit of sim/, compile the rules once, saying so and how long
    it took (the runs' progress bar would otherwise sit at 0 with no reason given)."""
    from relsim._cache import compiled

    if compiled():
        return
    print("relsim: first run with these sources: compiling the model's rules (once, usually under a minute; "
          "cached for later runs; the runs start after it) ...", file=sys.stderr, flush=True)
    from ..plumbing.runner import compile_rules

    print(f"relsim: compiled in {compile_rules():.0f} s", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
