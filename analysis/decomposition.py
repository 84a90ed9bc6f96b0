"""The decomposition of a gap between two strategies by lever: which difference carries how much of it.

For arms A and B that differ in levers 1 ... k, and a metric m (per seed, on common random numbers), the
contribution of lever i is the mean of its two one-at-a-time swaps, from each end:

    c_i = ( [m(A with B's lever i) - m(A)] + [m(B) - m(B with A's lever i)] ) / 2

per seed, with a bootstrap CI over seeds; its share is mean(c_i) / mean(m(B) - m(A)). Were the levers'
effects additive, the shares would add up to 1; what they leave is the interaction (the gap minus the
sum of contributions), reported on its own row. Averaging the swaps from both ends is the two-point
form of a Shapley decomposition (exact for two levers; Shapley 1953, as used for model attributions by
Lundberg & Lee 2017), at 2k runs per seed instead of 2^k.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .stats import mean_ci, paired_effect

__all__ = ["decomposition", "format_markdown", "swap_arm"]

COLUMNS = ["metric", "lever", "a_value", "b_value", "swap_into_a", "swap_into_a_low", "swap_into_a_high",
           "swap_out_of_b", "swap_out_of_b_low", "swap_out_of_b_high", "contribution", "contribution_low",
           "contribution_high", "share", "n_seeds"]


def swap_arm(arm: str, lever: str) -> str:
    """The name of arm `arm` with the other arm's `lever` (e.g. one_way+listening)."""
    return f"{arm}+{lever}"


def decomposition(per: pd.DataFrame, a: str, b: str, levers: Sequence[str], metrics: Sequence[str],
                  values: dict[str, tuple[object, object]]) -> pd.DataFrame:
    """The decomposition table: per metric, the gap B - A, one row per lever, and the interaction.

    `per` is the per-seed metrics table (analysis/summary.py `per_seed_metrics`) of arms a, b and every
    swap arm; `values` maps each lever to (A's value, B's value).
    """
    rows = []
    by_arm = {arm: frame.set_index("seed") for arm, frame in per.groupby("arm", sort=False)}
    for metric in metrics:
        ma, mb = by_arm[a][metric], by_arm[b][metric]
        gap = paired_effect(mb, ma)
        rows.append(_row(metric, "gap (B - A)", (gap.diff, gap.low, gap.high), gap.diff, gap.n))
        total = pd.Series(0.0, index=ma.index)
        for lever in levers:
            a_swapped, b_swapped = by_arm[swap_arm(a, lever)][metric], by_arm[swap_arm(b, lever)][metric]
            into_a, out_of_b = paired_effect(a_swapped, ma), paired_effect(mb, b_swapped)
            per_seed = ((a_swapped - ma) + (mb - b_swapped)) / 2
            total = total + per_seed
            ci = mean_ci(per_seed)
            rows.append(_row(metric, lever, (ci.mean, ci.low, ci.high), gap.diff, ci.n, *values[lever],
                             swaps=(into_a, out_of_b)))
        rest = mean_ci((mb - ma) - total)
        rows.append(_row(metric, "interaction (gap - sum)", (rest.mean, rest.low, rest.high), gap.diff, rest.n))
    return pd.DataFrame(rows, columns=COLUMNS)


def _row(metric: str, lever: str, contribution: tuple[float, float, float], gap: float, n: int,
         a_value: object = "", b_value: object = "", swaps: tuple | None = None) -> dict:
    nan = float("nan")
    into_a, out_of_b = swaps or (None, None)
    mean, low, high = contribution
    return {"metric": metric, "lever": lever, "a_value": a_value, "b_value": b_value,
            "swap_into_a": into_a.diff if into_a else nan, "swap_into_a_low": into_a.low if into_a else nan,
            "swap_into_a_high": into_a.high if into_a else nan,
            "swap_out_of_b": out_of_b.diff if out_of_b else nan,
            "swap_out_of_b_low": out_of_b.low if out_of_b else nan,
            "swap_out_of_b_high": out_of_b.high if out_of_b else nan,
            "contribution": mean, "contribution_low": low, "contribution_high": high,
            "share": mean / gap if gap else nan, "n_seeds": n}


def format_markdown(table: pd.DataFrame, a: str, b: str) -> str:
    """The table as Markdown: per metric, each lever's contribution to the gap B - A with its CI and share."""
    lines = []
    for metric, part in table.groupby("metric", sort=False):
        lines += [f"**{metric}** ({b} − {a})", "", f"| lever | {a} | {b} | contribution [95% CI] | share of the gap |",
                  "|---|---:|---:|---:|---:|"]
        for _, r in part.iterrows():
            share = "" if not np.isfinite(r["share"]) else f"{r['share']:.0%}"
            lines.append(f"| {r['lever']} | {_fmt(r['a_value'], False)} | {_fmt(r['b_value'], False)} | "
                         f"{_fmt(r['contribution'])} [{_fmt(r['contribution_low'])}, {_fmt(r['contribution_high'])}] | "
                         f"{share} |")
        lines.append("")
    return "\n".join(lines)


def _fmt(value, signed: bool = True) -> str:
    if isinstance(value, (float, np.floating)):
        if not np.isfinite(value):
            return ""
        sign = "+" if signed else ""
        return f"{value:{sign},.3g}" if abs(value) < 100 else f"{value:{sign},.0f}"
    return str(value)
