"""A fingerprint of the model's outputs: did a change leave every recorded number bit-identical?

    python -m relsim.experiments.bench.fingerprint                 # print the digest of each configuration
    python -m relsim.experiments.bench.fingerprint --save FP.json  # ... and keep them
    python -m relsim.experiments.bench.fingerprint --check FP.json # exit 1 and name what moved

A refactor or a speed-up must leave the model's outputs unchanged; a change of the science moves them
on purpose. This runs a fixed set of configurations (markets, what-if scenarios, learning firms, a
budgeted strategy, demand staffing, both engines, problem episodes on and off) on a few seeds, and the
calibration's pattern battery, and hashes every recorded table, the problem episodes and the final
state of the world (every state array and the firms' levers). Two builds give the same digests exactly
when they give the same numbers. It takes about 20 s (`--quick`: a subset).
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..commands.cli import Parser

#: (name, relsim overrides, arms, engine, record_episodes): the configurations fingerprinted.
CONFIGS: tuple[tuple[str, tuple[str, ...], tuple[str, ...], str, bool], ...] = (
    ("default", (), ("one_way", "reciprocal", "hybrid"), "vectorized", True),
    ("default_no_episodes", (), ("one_way", "reciprocal"), "vectorized", False),
    ("monopoly", ("market=monopoly",), ("one_way", "reciprocal", "middle"), "vectorized", True),
    ("head_to_head", ("market=head_to_head",), ("one_way",), "vectorized", False),
    ("calibrated", ("market=calibrated",), ("one_way", "reciprocal"), "vectorized", False),
    ("support_fee_90d", ("scenario=support_fee_90d",), ("one_way", "reciprocal"), "vectorized", True),
    ("sku_cut", ("scenario=sku_cut",), ("one_way", "reciprocal"), "vectorized", False),
    ("pentium_crisis", ("scenario=pentium_crisis",), ("one_way", "reciprocal"), "vectorized", True),
    ("fees_blitz", ("scenario=[caller_id_fee,mail_blitz,dinner_calls,data_grab]",), ("one_way",), "vectorized", False),
    ("hotline_listening", ("scenario=[outsourced_hotline,web_listening,responsive_writers]",), ("reciprocal",),
     "vectorized", False),
    ("budgeted_service_level", ("strategies.budgeted.service_level=0.8",), ("budgeted",), "vectorized", False),
    ("bandit", ("firm_policy=bandit", "firm_policy.rivals=true"), ("one_way", "reciprocal"), "vectorized", False),
    ("hill_climb", ("firm_policy=hill_climb",), ("reciprocal",), "vectorized", False),
    ("agents", (), ("one_way", "reciprocal"), "agents", True),
)
SEEDS = (0, 1)
DAYS, CONSUMERS, AGENT_CONSUMERS = 400, 600, 150
BATTERY_SEEDS = (0, 1)


def _update(h, value) -> None:
    """Feed an array, a table or a scalar into the hash, with its shape and dtype."""
    import pandas as pd

    if isinstance(value, pd.DataFrame):
        h.update(repr(list(value.columns)).encode())
        for c in value.columns:
            _update(h, value[c].to_numpy())
        return
    arr = np.ascontiguousarray(value)
    if arr.dtype == object:
        h.update(repr(arr.tolist()).encode())
        return
    h.update(f"{arr.dtype}{arr.shape}".encode())
    h.update(arr.tobytes())


def run_digest(overrides: Sequence[str], arm: str, engine: str, episodes: bool, seed: int) -> str:
    """The digest of one run: its recorded tables, episodes and final state."""
    from ..plumbing.config import load
    from relsim.model import RelationshipModel
    from relsim.world import STATE_FIELDS

    consumers = AGENT_CONSUMERS if engine == "agents" else CONSUMERS
    spec = load([*overrides, f"market.consumers={consumers}", f"days={DAYS}"])
    variants = [v.name for v in spec.variants]
    h = hashlib.sha256()
    for variant in variants:
        focal, market = spec.cell(arm, variant)
        model = RelationshipModel(focal, market, rivals=spec.rivals(market), days=spec.days,
                                  names=[arm, *market.rivals], consumer_agents=False, rng=seed, engine=engine,
                                  policy=spec.policy, learners=spec.learners(arm, market),
                                  record_episodes=episodes, collect=False)
        model.run()
        rec = model.recorder
        for table in (rec.runs(), rec.retention(), rec.evidence_table()):
            _update(h, table)
        if episodes:
            _update(h, rec.episodes())
            _update(h, rec.departures())
        w = model.world
        for name in STATE_FIELDS:
            value = getattr(w, name, None)
            if value is None:
                value = getattr(w.traits, name, None)
            if value is not None:
                _update(h, value)
        for name in sorted(vars(w.firms)):
            if name not in ("strategies", "segments", "cell_strategies"):
                _update(h, getattr(w.firms, name))
    return h.hexdigest()


def battery_digest(seed: int) -> str:
    """The digest of the calibration's pattern battery (every statistic) on one seed: at the market's own
    values, and with every calibrated weight at its prior's geometric centre."""
    from ..inference.battery import make_battery, measure
    from ..inference.space import PARAMS

    battery = make_battery(400)
    centre = {key: float(np.sqrt(p.lo * p.hi)) for key, p in PARAMS.items()}
    stats = [measure(battery, values, seed) for values in ({}, centre)]
    text = json.dumps([{k: float(v).hex() for k, v in sorted(s.items())} for s in stats])
    return hashlib.sha256(text.encode()).hexdigest()


def fingerprint(quick: bool = False, workers: int = 1) -> dict[str, str]:
    """Every configuration's digest (and the battery's), keyed `name/arm/seed`."""
    import joblib

    configs = CONFIGS[:4] if quick else CONFIGS
    jobs = [(f"{name}/{arm}/{seed}", overrides, arm, engine, episodes, seed)
            for name, overrides, arms, engine, episodes in configs for arm in arms for seed in SEEDS]
    n = workers or None
    digests = joblib.Parallel(n_jobs=n or -1)(joblib.delayed(run_digest)(o, a, e, ep, s)
                                              for _, o, a, e, ep, s in jobs)
    out = {key: d for (key, *_), d in zip(jobs, digests, strict=True)}
    for seed in BATTERY_SEEDS[: 1 if quick else None]:
        out[f"battery/{seed}"] = battery_digest(seed)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = Parser(prog="relsim-fingerprint", description=__doc__.splitlines()[0],
                                     allow_abbrev=False)
    parser.add_argument("--save", type=Path, help="write the digests to this JSON file")
    parser.add_argument("--check", type=Path, help="compare with digests saved earlier; exit 1 if any moved")
    parser.add_argument("--quick", action="store_true", help="a subset of the configurations")
    parser.add_argument("--workers", type=int, default=1, help="processes (0: one per core; 1, the default, is often quicker)")
    args = parser.parse_args(argv)
    digests = fingerprint(args.quick, args.workers)
    combined = hashlib.sha256(json.dumps(digests, sort_keys=True).encode()).hexdigest()
    print(f"{len(digests)} runs, combined digest {combined}")
    if args.save:
        args.save.write_text(json.dumps({"combined": combined, "runs": digests}, indent=1, sort_keys=True))
    if args.check:
        saved = json.loads(args.check.read_text())["runs"]
        moved = sorted(k for k in digests if saved.get(k) != digests[k])
        missing = sorted(set(saved) - set(digests)) if not args.quick else []
        if moved or missing:
            print(f"moved ({len(moved)}): {', '.join(moved[:20])}" + (f"; missing: {', '.join(missing)}" if missing else ""))
            return 1
        print("identical to", args.check)
    return 0


if __name__ == "__main__":
    sys.exit(main())
