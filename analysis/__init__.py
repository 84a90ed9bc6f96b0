"""Analysis of relsim runs: load a run directory, summarise it over seeds, report it.

Data flows one way: run files -> ``load_run`` -> ``summarise`` / ``figures`` ->
``format_table`` / ``verdict`` / ``write_report``. Nothing here imports the model or the experiments.

- ``load``, ``summary``, ``stats``: a run's tables, its summary over seeds, confidence intervals;
- ``report``, ``whatif``: the run report and the what-if reports;
- ``sweep_data``, ``sweep``, ``design``: a collected sweep, its report, sensitivity and scenario discovery;
- ``facts``: the stylized facts' statistics, figures and page; ``calibration`` and ``sbg``: the
  calibration's curve, error and uncertainty maths, figures and page, and its sBG baseline;
- ``page`` (the one HTML page shell), ``figures`` (the one figure kit), ``io`` (atomic writes, JSON).
"""

from .load import RunData, load_run
from .report import figures, write_report
from .stats import CI, Effect, mean_ci, paired_effect
from .summary import (
    METRICS, evidence_shares, format_table, per_seed_metrics, summarise, verdict,
    write_summary,
)

__all__ = [
    "CI", "Effect", "METRICS", "RunData", "evidence_shares", "figures", "format_table",
    "load_run", "mean_ci", "paired_effect", "per_seed_metrics", "summarise", "verdict",
    "write_report", "write_summary",
]
