"""Analysis of relsim runs: load a run directory, summarise it over seeds, report it.

Data flows one way: run files -> ``load_run`` -> ``summarise`` / ``figures`` ->
``format_table`` / ``verdict`` / ``write_report``. Nothing here imports the model or the experiments.

- ``load``, ``summary``, ``wording``, ``stats``: a run's tables, its summary over seeds (the numbers; in
  words: the terminal table and the verdict), confidence intervals;
- ``report``, ``whatif``: the run report and the what-if reports;
- ``sweep_data``, ``sweep``, ``design``: a collected sweep, its report, sensitivity and scenario discovery;
- ``facts``: the stylized facts' statistics, figures and page; ``calibration`` and ``sbg``: the
  calibration's curve, error and uncertainty maths, figures and page, and its sBG baseline;
- ``page`` (the one HTML page shell), ``figures`` (the one figure kit), ``io`` (atomic writes, JSON).
"""

import importlib

#: Each public name and the module it lives in, imported on first use (PEP 562), so that reading
#: `relsim.analysis.io` does not pull in plotly.
_LAZY = {"RunData": "load", "load_run": "load", "write_report": "report", "CI": "stats",
         "Effect": "stats", "mean_ci": "stats", "paired_effect": "stats", "METRICS": "summary",
         "evidence_shares": "summary", "format_table": "wording", "per_seed_metrics": "summary",
         "summarise": "summary", "verdict": "wording", "write_summary": "summary"}

__all__ = sorted(_LAZY)


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    if name == "figures":  # the figure kit (analysis/figures.py)
        return importlib.import_module(f"{__name__}.figures")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
