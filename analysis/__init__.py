"""Analysis of relsim runs: load a run directory, summarise it over seeds, report it.

Data flows one way: run files -> ``load_run`` -> ``summarise`` / ``figures`` ->
``format_table`` / ``verdict`` / ``write_report``. Nothing here imports the model.
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
