"""The posterior's best-supported point, and the facts it holds beside the hand-set values on seeds no choice saw.

    python -m relsim.experiments.inference.point --posterior docs/calibration/npe/posterior.csv \\
        --candidates 200 --seeds 16 --workers 2 --out docs/calibration/npe

Issue 32 item 4 asks for the default market to be the posterior's best-supported point unless, on seeds no choice
saw, it holds fewer stylized facts than the hand-set values. The point is chosen as ABC's preset point is
(abc_smc.best_point, three stages on fresh seeds): `candidates` draws of the posterior.csv (a fixed random subset;
all of them if fewer), every one on seeds // 2 screening seeds, the ten nearest the fitted targets on `seeds`
selection seeds, and the chosen draw and the market's own (hand-set) values on `seeds` confirmation seeds that no
choice looked at. The distance is ABC's: the misses of the seed-mean fitted statistics (patterns.fitted, the
held-out patterns take no part in the choice).

On the confirmation seeds every pattern, fitted or held out, gets its mean, standard error (sd / sqrt(seeds)) and
**margin**: the distance from the mean to the nearer end of its target interval in standard errors, positive
inside, negative outside. A fact's margin is its patterns' smallest; a fact is **held** when its margin exceeds
2 (the issue's criterion), on its line within 2, and **missed** below -2.

Writes DIR/point.json (the rule, the chosen values, both tables, the seeds) and prints the facts side by side;
with `--write-preset NAME`, also configs/market/NAME.yaml at the chosen point and NAME.posterior.csv (a copy of the
posterior), as relsim-calibrate --write-preset does.
Bad input is one line, exit code 2, and nothing written.
"""

from __future__ import annotations

import functools
import json
import math
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from relsim.analysis.io import json_safe, write_text_atomic
from relsim.params import ConfigError

from .patterns import EVIDENCE, HELD_OUT, PATTERNS, Pattern, at_size, fitted

__all__ = ["HELD", "choose", "fact_margins", "main", "margins", "write_preset"]

PROG = "relsim-point"
#: A fact is held when its smallest pattern margin exceeds this many standard errors (issue 32).
HELD = 2.0


def margins(draws: Sequence[Mapping[str, float]], patterns: Mapping[str, Pattern] = PATTERNS
            ) -> dict[str, dict[str, Any]]:
    """Each pattern's mean, standard error and margin (standard errors inside its interval; negative: outside)
    over batteries on different seeds."""
    out = {}
    for key, p in patterns.items():
        v = np.array([d.get(key, math.nan) for d in draws], dtype=float)
        v = v[np.isfinite(v)]
        mean = float(v.mean()) if len(v) else math.nan
        se = float(v.std(ddof=1) / math.sqrt(len(v))) if len(v) > 1 else math.nan
        room = min(mean - p.lo, p.hi - mean)  # an open end (inf) gives no bound
        if not math.isfinite(mean):
            margin = math.nan
        elif se > 0:
            margin = room / se
        else:  # every seed alike
            margin = math.inf if room > 0 else -math.inf if room < 0 else 0.0
        out[key] = {"fact": p.fact, "mean": mean, "se": se, "margin": margin, "target": [p.lo, p.hi],
                    "seeds": int(len(v)), "held_out": key in HELD_OUT}
    return out


def fact_margins(table: Mapping[str, Mapping[str, Any]]) -> dict[int, dict[str, Any]]:
    """Per fact: the smallest margin of its patterns, the pattern that sets it, and the reading (held, on its
    line, missed)."""
    out: dict[int, dict[str, Any]] = {}
    for key, row in table.items():
        if row["fact"] == EVIDENCE:  # an effect size or a curve's point: evidence, not one of the eight facts
            continue
        m = -math.inf if math.isnan(row["margin"]) else row["margin"]  # a pattern never measured is missed
        fact = out.setdefault(int(row["fact"]), {"margin": math.inf, "pattern": key})
        if m < fact["margin"]:
            fact.update(margin=m, pattern=key)
    for fact in out.values():
        fact["reading"] = "held" if fact["margin"] > HELD else "missed" if fact["margin"] < -HELD else "on its line"
    return dict(sorted(out.items()))


def choose(posterior: Path, *, candidates: int, seeds: int, consumers: int, market: str, workers: int,
           seed: int = 0, say=None) -> dict[str, Any]:
    """The best-supported posterior draw and the hand-set values, each with every pattern's margin on the
    confirmation seeds (see the module docstring)."""
    import pandas as pd

    from . import abc_smc
    from .battery import make_battery
    from .space import PARAMS, posterior_draws

    posterior_draws(posterior, 1, "--posterior")  # checked: the columns and the ranges of a posterior.csv
    frame = pd.read_csv(posterior)
    keys = tuple(c for c in frame.columns if c != "weight")
    rows = np.sort(np.random.default_rng([seed, 32]).choice(len(frame), size=min(candidates, len(frame)),
                                                               replace=False))
    particles = np.log10(frame.loc[rows, list(keys)].to_numpy(dtype=float))
    cal = abc_smc.Calibration(keys=keys, particles=particles, weights=np.ones(len(rows)), epsilons=[],
                              simulations=0, generations=0, stats=[])
    battery = make_battery(consumers, market=market)
    targets = fitted(at_size(PATTERNS, consumers))
    if say:
        say(f"{len(rows)} candidates on {max(1, seeds // 2)} seeds, the ten best on {seeds}, then the chosen one and "
            f"the hand-set values on {seeds} more")
    with abc_smc.mapper(workers) as map_:
        best = abc_smc.best_point(functools.partial(abc_smc.measure_task, battery), cal, targets, seeds=seeds,
                                  seed=seed, map_=map_, statistics=True)
    patterns = at_size(PATTERNS, consumers)
    tables = {name: margins(best["confirm"][name].pop("statistics"), patterns) for name in ("point", "market")}
    return {"rule": "the posterior draw nearest the fitted targets on fresh seeds (abc_smc.best_point) among a fixed "
                    f"random subset of {len(rows)} draws of {posterior.name}",
            "posterior": str(posterior), "candidates": len(rows), "row": int(rows[best["particle"]]),
            "consumers": consumers, "market": market, "values": best["values"],
            "hand_set": {k: PARAMS[k].get(battery.market) for k in keys},
            "seeds": best["seeds"], "shortlist": best["shortlist"],
            "distance": {name: best["confirm"][name]["distance"] for name in ("point", "market")},
            "patterns": tables, "facts": {name: fact_margins(t) for name, t in tables.items()},
            "held_criterion": f"margin > {HELD:g} standard errors"}


def write_preset(path: Path, report: Mapping[str, Any], posterior: Path, out: Path) -> None:
    """configs/market/NAME.yaml at the chosen point (the default market otherwise) and NAME.posterior.csv, a copy
    of the posterior it was chosen from."""
    from relsim.params import Market

    from .preset import preset_text

    what = (f"the posterior draw that fits the fitted patterns best on held-out seeds ({out.name}/point.json: row "
            f"{report['row']} of {posterior.name}, among {report['candidates']} candidates) of neural posterior "
            "estimation on the stylized-fact patterns of experiments/inference/patterns.py (docs/VALIDATION.md §2.10)")
    write_text_atomic(path, preset_text(path.stem, dict(report["values"]), Market(), (), None, 0, report["market"],
                                        method="npe", what=what))
    write_text_atomic(path.with_name(f"{path.stem}.posterior.csv"), posterior.read_text(encoding="utf-8"))


def _print(report: Mapping[str, Any]) -> None:
    point, hand = report["facts"]["point"], report["facts"]["market"]
    n = len(report["seeds"]["confirm"])
    print(f"facts on {n} confirmation seeds (margin in standard errors; held > {HELD:g}):")
    print(f"{'fact':>4}  {'posterior point':>26}  {'hand-set':>26}")
    for fact in point:
        cell = [f"{r['margin']:+8.1f} {r['reading']:>11} ({r['pattern'][:12]})" for r in (point[fact], hand[fact])]
        print(f"{fact:>4}  {cell[0]:>26}  {cell[1]:>26}")
    held = [sum(r["reading"] == "held" for r in t.values()) for t in (point, hand)]
    print(f"held: posterior point {held[0]} of {len(point)}, hand-set {held[1]} of {len(hand)}; distance "
          f"{report['distance']['point']:.2f} against {report['distance']['market']:.2f}")


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point."""
    from ..commands.cli import Parser, fail, no_code_from_here

    no_code_from_here()
    p = Parser(prog=PROG, description=__doc__.splitlines()[0])
    p.add_argument("--posterior", type=Path, required=True, help="a posterior.csv (relsim-calibrate or the NPE)")
    p.add_argument("--candidates", type=int, default=200, help="posterior draws screened (default 200)")
    p.add_argument("--seeds", type=int, default=16, help="confirmation seeds, and the selection's (default 16)")
    p.add_argument("--consumers", type=int, default=1500, help="the battery's size (default 1500, the NPE store's)")
    p.add_argument("--market", default="monopoly", help="the battery's market (default monopoly, the store's)")
    p.add_argument("--workers", type=int, default=1, help="processes (default 1)")
    p.add_argument("--seed", type=int, default=0, help="the choice's seed (default 0)")
    p.add_argument("--out", type=Path, required=True, help="output directory (point.json)")
    p.add_argument("--write-preset", default=None, metavar="NAME",
                   help="also write configs/market/NAME.yaml at the chosen point, and NAME.posterior.csv (the "
                        "posterior that `market=NAME posterior=N` draws from)")
    args = p.parse_args(argv)
    started = time.perf_counter()
    from ..plumbing.checks import check_writable_dir, input_file, int_in

    try:
        for key, value, lo, hi in (("--candidates", args.candidates, 1, 100_000), ("--seeds", args.seeds, 2, 1000),
                                   ("--consumers", args.consumers, 100, 1_000_000), ("--workers", args.workers, 1, 256),
                                   ("--seed", args.seed, 0, 2**32 - 1)):
            int_in(value, key, lo, hi)
        from ..plumbing.config import options

        if args.market not in options("market"):
            raise ConfigError(f"--market={args.market}: expected one of {', '.join(options('market'))}")
        input_file(args.posterior, "--posterior")
        check_writable_dir(args.out, "--out")
        preset = None
        if args.write_preset is not None:
            from ..plumbing.config import CONFIG_DIR
            from .preset import check_preset_name

            preset = check_preset_name(args.write_preset, CONFIG_DIR / "market")
        report = choose(args.posterior, candidates=args.candidates, seeds=args.seeds, consumers=args.consumers,
                        market=args.market, workers=args.workers, seed=args.seed,
                        say=lambda m: print(f"{PROG}: {m}", file=sys.stderr, flush=True))
    except ConfigError as exc:
        fail(PROG, str(exc))
    report["seconds"] = time.perf_counter() - started
    args.out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(args.out / "point.json", json.dumps(json_safe(report), indent=1) + "\n")
    if preset is not None:
        write_preset(preset, report, args.posterior, args.out)
    _print(report)
    print(f"wrote {args.out / 'point.json'} in {report['seconds']:.0f} s")


if __name__ == "__main__":
    main()
