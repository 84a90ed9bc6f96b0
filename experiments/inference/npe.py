"""Neural posterior estimation (NPE) of the behavioural weights beside ABC-SMC, from a store of simulations.

    python -m relsim.experiments.inference.npe --store STORE.parquet --simulations 4000 --workers 1 --out DIR
    python -m relsim.experiments.inference.npe --store STORE.parquet --simulations 4000 --store-only --out DIR

A conditional normalizing flow (a masked autoregressive flow, sbijax; Papamakarios & Murray 2016, Greenberg et
al. 2019) learns q(weights | statistics) from the store's simulations (store.py: weights drawn from the
calibration prior, the pattern battery's statistics at calibration size), then gives posterior draws for any
statistics at once: amortized, unlike ABC-SMC, which simulates anew for each data set.

- The statistics it sees are the fitted patterns (patterns.fitted(): the held-out ones stay for posterior
  prediction), each as arcsinh(value / tolerance) (tolerances at the store's size, patterns.at_size: linear within
  a few tolerances, logarithmic beyond, so capped ratios of 100 do not dominate), standardized over the training
  rows; a statistic missing in a simulation (too few episodes, no talk in a decile) is set to the training mean
  and flagged in an extra 0/1 input. The weights are learned on the logit of their place in the log10 prior box,
  so every draw lies inside the prior and no draw is rejected.
- The observed data are ABC's: the patterns' target intervals, not points (patterns.py; abc_smc.PatternDistance
  measures a statistic's gap to its interval in tolerances, zero anywhere inside it). ABC's target is therefore
  p(weights | every statistic inside its interval). NPE gives p(weights | statistics = x) for a point x, so the
  posterior for the targets is the mixture of q(weights | x_i) over the stored simulations x_i that lie inside
  every interval (ABC's distance 0: exactly ABC's target, averaged over the prior predictive within the box) or,
  when fewer than `ACCEPT_MIN` do, the `ACCEPT_MIN` nearest by ABC's own distance (the tolerance reported, as
  ABC-SMC reports its last epsilon). Rejection ABC on the same simulations (their weights themselves) is reported
  beside it.
- Checked as the field does (sbc.py, Talts et al. 2018): simulation-based calibration on the store's held-out
  rows (every `holdout_every`-th index, never trained on), L posterior draws each: ranks, coverage of 50% and
  90% intervals per weight, rank histograms (sbc_ranks.html, analysis/sbc.py) and the identification table.

Writes DIR/npe.json (setup, training, SBC, identification, the targets' posterior), DIR/posterior.csv (draws for
the targets on the natural scale with weight 1: `relsim posterior=N` reads it like ABC's) and DIR/sbc_ranks.html.
Bad input is one line, exit code 2, and nothing written. Simulations run before JAX is imported (a process pool
forks safely); `--workers` processes, or `--dask ADDRESS` (the calibrate part's pyabc/distributed path).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from relsim.params import ConfigError

from .patterns import PATTERNS, Pattern, at_size, fitted
from .store import Store, StoreSpec, extend, read_store

__all__ = ["ACCEPT_MIN", "Features", "LogitBox", "NPE", "accepted", "check_npe", "main", "observed_posterior",
           "predictive_check", "recovery", "sbc_on_store", "split", "train_npe"]

PROG = "relsim-npe"
#: Simulations the targets' posterior mixes over at least (the nearest by ABC's distance when fewer hit every target).
ACCEPT_MIN = 20


# --------------------------------------------------------------------------- inputs and outputs of the flow

@dataclasses.dataclass(frozen=True)
class Features:
    """The statistics as the flow sees them: arcsinh(value / tolerance), standardized on the training rows; a
    statistic missing in some training row is set to its mean (0 after standardizing) and flagged in an extra input."""

    keys: tuple[str, ...]
    scale: np.ndarray  # tolerances
    mean: np.ndarray
    sd: np.ndarray
    flags: tuple[int, ...]  # columns (into keys) with a missing-value flag

    @classmethod
    def fit(cls, stats: np.ndarray, keys: Sequence[str], scale: Sequence[float]) -> Features:
        """Fit the standardization on training statistics (n, k)."""
        scale = np.asarray(scale, dtype=float)
        z = np.arcsinh(np.asarray(stats, dtype=float) / scale)
        ok = np.isfinite(z)
        if not ok.any(axis=0).all():
            raise ConfigError(f"npe: statistic {keys[int(np.argmin(ok.any(axis=0)))]!r} is missing in every "
                              "training simulation")
        mean = np.array([z[ok[:, j], j].mean() for j in range(z.shape[1])])
        sd = np.array([z[ok[:, j], j].std() for j in range(z.shape[1])])
        sd = np.where(sd > 1e-12, sd, 1.0)
        return cls(tuple(keys), scale, mean, sd, tuple(int(j) for j in np.flatnonzero(~ok.all(axis=0))))

    def __call__(self, stats: np.ndarray) -> np.ndarray:
        """The flow's inputs (n, k + flags) for statistics (n, k)."""
        z = (np.arcsinh(np.atleast_2d(np.asarray(stats, dtype=float)) / self.scale) - self.mean) / self.sd
        missing = ~np.isfinite(z)
        z = np.where(missing, 0.0, z)
        return np.concatenate([z, missing[:, list(self.flags)].astype(float)], axis=1)


@dataclasses.dataclass(frozen=True)
class LogitBox:
    """The weights' log10 prior box and the map to the real line the flow works on: z = logit of the place in it."""

    lo: np.ndarray
    hi: np.ndarray

    @classmethod
    def of(cls, spec: StoreSpec) -> LogitBox:
        """The box of a store's parameters (their log10 prior ranges)."""
        from .space import PARAMS

        return cls(np.array([math.log10(PARAMS[k].lo) for k in spec.params]),
                   np.array([math.log10(PARAMS[k].hi) for k in spec.params]))

    def to_z(self, theta: np.ndarray) -> np.ndarray:
        """log10 weights -> the real line."""
        u = np.clip((np.asarray(theta, dtype=float) - self.lo) / (self.hi - self.lo), 1e-6, 1 - 1e-6)
        return np.log(u) - np.log1p(-u)

    def from_z(self, z: np.ndarray) -> np.ndarray:
        """The real line -> log10 weights (inside the box)."""
        return self.lo + (self.hi - self.lo) / (1.0 + np.exp(-np.asarray(z, dtype=float)))

    def prior(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """n draws of the prior (log10 scale): uniform in the box."""
        return rng.uniform(self.lo, self.hi, size=(n, len(self.lo)))


def split(store: Store, holdout_every: int) -> tuple[np.ndarray, np.ndarray]:
    """Training and held-out rows: every `holdout_every`-th index (i % every == every - 1) is held out, so a row's
    role does not change when the store is extended."""
    index = store.frame["index"].to_numpy()
    held = index % holdout_every == holdout_every - 1
    return np.flatnonzero(~held), np.flatnonzero(held)


# --------------------------------------------------------------------------- the estimator

@dataclasses.dataclass
class NPE:
    """A trained flow: q(log10 weights | statistics)."""

    names: tuple[str, ...]
    features: Features
    box: LogitBox
    network: Any
    params: Any
    losses: np.ndarray  # (epochs, 2): training and validation loss
    seconds: float

    def sample(self, stats: np.ndarray, n: int, seed: int = 0, batch: int = 20_000) -> np.ndarray:
        """n posterior draws (log10 scale) for each row of statistics (m, k): shape (m, n, d)."""
        import jax
        import jax.numpy as jnp

        x = self.features(stats)
        m = x.shape[0]
        context = np.repeat(x, n, axis=0)
        key = jax.random.key(seed)
        out = []
        for start in range(0, len(context), batch):
            key, sub = jax.random.split(key)
            part = context[start:start + batch]
            out.append(np.asarray(self.network.apply(self.params, sub, method="sample", sample_shape=(len(part),),
                                                     x=jnp.asarray(part))))
        z = np.concatenate(out).reshape(m, n, -1)
        return self.box.from_z(z)


def train_npe(theta: np.ndarray, stats: np.ndarray, names: Sequence[str], keys: Sequence[str],
              scale: Sequence[float], box: LogitBox, *, seed: int = 0, layers: int = 5, hidden: int = 64,
              learning_rate: float = 5e-4, batch_size: int = 128, epochs: int = 1000, patience: int = 20) -> NPE:
    """Train a masked autoregressive flow (sbijax) on (log10 weights, statistics) by maximum likelihood, with early
    stopping on a 10% validation split (the best validation loss's parameters kept)."""
    import logging

    import jax
    import jax.numpy as jnp
    import optax
    import sbijax
    from sbijax.nn import make_maf

    features = Features.fit(stats, keys, scale)
    x = features(stats)
    z = box.to_z(theta)
    network = make_maf(z.shape[1], n_layers=layers, hidden_sizes=(hidden, hidden))
    objective = sbijax.npe(network)
    started = time.perf_counter()
    logging.getLogger("absl").setLevel(logging.ERROR)
    import contextlib
    import io

    with contextlib.redirect_stderr(io.StringIO()):  # tqdm's progress bar
        params, info = sbijax.train(jax.random.key(seed), objective,
                                    {"y": jnp.asarray(x, dtype=jnp.float32), "theta": jnp.asarray(z, jnp.float32)},
                                    optimizer=optax.adam(learning_rate), n_iter=epochs, batch_size=batch_size,
                                    n_early_stopping_patience=patience)
    return NPE(tuple(names), features, box, network, params, np.asarray(info.losses), time.perf_counter() - started)


# --------------------------------------------------------------------------- the targets' posterior, the check

def accepted(stats: np.ndarray, targets: Mapping[str, Pattern], keys: Sequence[str], minimum: int = ACCEPT_MIN
             ) -> tuple[np.ndarray, float, int]:
    """The stored simulations ABC's distance accepts for the targets: those inside every interval (distance 0), or,
    when fewer than `minimum`, the `minimum` nearest. Returns their rows, the tolerance (the largest accepted
    distance) and how many lay inside every interval."""
    d = np.sqrt(np.sum([[targets[k].miss(float(v)) ** 2 for k, v in zip(keys, row, strict=True)] for row in stats],
                       axis=1))
    inside = int(np.sum(d == 0))
    rows = np.flatnonzero(d == 0) if inside >= minimum else np.argsort(d, kind="stable")[:minimum]
    return rows, float(d[rows].max()), inside


def observed_posterior(npe: NPE, stats: np.ndarray, rows: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    """n draws (log10) for the targets: the mixture of q(weights | x_i) over the accepted simulations' statistics
    (each row of `rows` gets an equal share of the draws)."""
    rng = np.random.default_rng([seed, 32])
    which = rng.choice(len(rows), size=n)
    per = np.bincount(which, minlength=len(rows))
    k = int(per.max())
    draws = npe.sample(stats[rows], k, seed=seed + 1)  # (len(rows), k, d)
    return np.concatenate([draws[i, :per[i]] for i in range(len(rows))])


def sbc_on_store(npe: NPE, theta: np.ndarray, stats: np.ndarray, n_draws: int = 99, seed: int = 0):
    """Simulation-based calibration (sbc.py) on stored held-out simulations: their weights (log10) are the truths and
    their statistics the data; the posterior draws come from `npe`. Returns an sbc.SBCResult."""
    from .sbc import SBCResult, ranks

    draws = npe.sample(stats, n_draws, seed=seed + 7)
    prior_draws = npe.box.prior(np.random.default_rng([seed, 2018]), 10_000)
    rank = ranks(theta, draws, np.random.default_rng([seed, 2019]))
    return SBCResult(npe.names, np.asarray(theta, dtype=float), draws, rank, prior_draws, seed)


def interval_summary(draws: np.ndarray, box: LogitBox, names: Sequence[str], level: float = 0.9
                     ) -> dict[str, dict[str, Any]]:
    """Per weight: the draws' median and central `level` interval (natural scale), the prior's, and the width ratio
    on the log10 scale (the interval's width over the prior's)."""
    from .sbc import identification

    tail = (1 - level) / 2
    out = {}
    for j, name in enumerate(names):
        lo, mid, hi = np.quantile(draws[:, j], [tail, 0.5, 1 - tail])
        p_lo, p_hi = box.lo[j] + tail * (box.hi[j] - box.lo[j]), box.hi[j] - tail * (box.hi[j] - box.lo[j])
        ratio = float((hi - lo) / (p_hi - p_lo))
        out[name] = {"median": 10 ** mid, "interval": [10 ** lo, 10 ** hi], "prior_interval": [10 ** p_lo, 10 ** p_hi],
                     "width_ratio": ratio, "identified": identification(ratio)}
    return out


# --------------------------------------------------------------------------- the command

def _parser() -> argparse.ArgumentParser:
    from ..commands.cli import Parser, summary

    p = Parser(prog=PROG, description=summary(__doc__), formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--store", required=True, help="the simulation store (Parquet); made when absent, extended to "
                                                  "--simulations rows when shorter")
    p.add_argument("--simulations", type=int, default=0,
                   help="use the store's first N rows, simulating those it lacks first (0: all its rows; default 0)")
    p.add_argument("--workers", type=int, default=1, help="processes running the simulations (default 1)")
    p.add_argument("--dask", default=None, metavar="ADDRESS",
                   help="run the simulations on a Dask cluster (a scheduler address, or 'local'; the calibrate part)")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--seed", type=int, default=0, help="a new store's root seed, and the training's (default 0)")
    p.add_argument("--consumers", type=int, default=1500, help="a new store's battery size (default 1500)")
    p.add_argument("--holdout-every", type=int, default=10,
                   help="every N-th stored simulation is held out of training for the SBC check (default 10)")
    p.add_argument("--sbc-draws", type=int, default=99, help="L: posterior draws per held-out simulation (default 99)")
    p.add_argument("--draws", type=int, default=4000, help="posterior draws for the targets (default 4000)")
    p.add_argument("--epochs", type=int, default=1000, help="at most this many training epochs (default 1000)")
    p.add_argument("--ppc", type=int, default=100,
                   help="posterior predictive check: batteries run at this many of the targets' posterior draws, "
                        "every pattern (held-out ones too) read against its interval (0: none; default 100)")
    p.add_argument("--minutes", type=float, default=None,
                   help="stop simulating after the chunk in which this many minutes have passed")
    p.add_argument("--store-only", action="store_true", help="only make or extend the store; no NPE (no sbijax)")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    return p


def check_npe() -> None:
    """Raise ConfigError (one line) when sbijax, the npe part, is not installed."""
    from ..commands.cli import missing

    module = missing("npe")
    if module is not None:
        raise ConfigError(f"NPE needs relsim's npe part ({module} is not installed); install it with "
                          "`bash setup.sh npe` (or pip install 'relsim[npe]'), or give --store-only")


def _check(args: argparse.Namespace) -> tuple[Store | None, StoreSpec, Path]:
    """Every argument checked before any work; the store read when it exists."""
    from ..plumbing.checks import int_in, output_dir, output_file

    int_in(args.simulations, "--simulations", 0, 1_000_000)
    int_in(args.ppc, "--ppc", 0, 100_000)
    int_in(args.workers, "--workers", 1, 1024)
    int_in(args.seed, "--seed", 0, 2**32 - 1)
    int_in(args.consumers, "--consumers", 50, 1_000_000)
    int_in(args.holdout_every, "--holdout-every", 2, 1000)
    int_in(args.sbc_draws, "--sbc-draws", 9, 10_000)
    int_in(args.draws, "--draws", 10, 1_000_000)
    int_in(args.epochs, "--epochs", 1, 100_000)
    if args.minutes is not None and not (math.isfinite(args.minutes) and args.minutes > 0):
        raise ConfigError(f"--minutes={args.minutes}: expected a positive number")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out={args.out!r}: exists and is not a directory")
    output_dir(out, "--out")
    path = Path(args.store)
    store = read_store(path) if path.exists() else None
    spec = store.spec if store is not None else StoreSpec(seed=args.seed, consumers=args.consumers)
    if store is None and args.simulations == 0:
        raise ConfigError(f"--store={args.store!r}: no such file (give --simulations N to make it)")
    if args.simulations > (len(store) if store else 0):
        output_file(path, "--store")
    if not args.store_only:
        check_npe()
        n = args.simulations or len(store)
        held = n // args.holdout_every
        if held < 2 or n - held < 50:
            raise ConfigError(f"--simulations: {n} simulations hold out {held} and train on {n - held}; "
                              "NPE needs at least 2 held out and 50 to train on")
    if args.dask is not None:
        from ..commands.cli import missing

        if missing("calibrate"):
            raise ConfigError(f"--dask {args.dask} needs relsim's calibrate part (pip install 'relsim[calibrate]')")
        from .abc_smc import check_dask

        check_dask(args.dask)
    return store, spec, out


def _map(workers: int, dask: str | None):
    """The order-preserving map the simulations run through: abc_smc.mapper's Dask path, a fork pool, or map."""
    import contextlib

    if dask:
        from .abc_smc import mapper

        return mapper(workers, dask)
    if workers > 1:
        import functools
        import multiprocessing

        @contextlib.contextmanager
        def pool():
            with multiprocessing.get_context("fork").Pool(workers) as p:
                yield functools.partial(p.map, chunksize=1)

        return pool()
    return contextlib.nullcontext(map)


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Check, extend the store, train, check by SBC and write; returns npe.json's content."""
    started = time.perf_counter()
    store, spec, out = _check(args)
    say = (lambda m: None) if args.quiet else (lambda m: print(f"{PROG}: {m}", file=sys.stderr, flush=True))
    report: dict[str, Any] = {"store": {"path": str(args.store), **spec.meta()}}
    have = len(store) if store is not None else 0
    if args.simulations > have:
        deadline = time.monotonic() + 60 * args.minutes if args.minutes else None
        say(f"simulating rows {have} ... {args.simulations - 1} on {args.workers} worker(s)")
        t0 = time.perf_counter()
        with _map(args.workers, args.dask) as map_:
            store = extend(args.store, spec, args.simulations, map_=map_, deadline=deadline,
                           progress=lambda d, t, s: say(f"{d}/{t} simulations, {s:.0f} s"))
        made = len(store) - have
        wall = time.perf_counter() - t0
        report["store"]["simulated"] = {"rows": made, "seconds": wall, "workers": args.workers,
                                        "per_minute": 60 * made / wall if wall > 0 else None}
    assert store is not None
    if args.simulations and len(store) > args.simulations:  # the first N rows: a store's prefix is a smaller store
        store = Store(store.spec, store.frame.iloc[:args.simulations].reset_index(drop=True))
    report["store"]["rows"] = len(store)
    report["store"]["battery_seconds_median"] = float(np.median(store.frame["seconds"])) if len(store) else None
    if args.store_only:
        _write_json(out, report)
        print(f"{args.store}: {len(store)} simulations; wrote {out / 'npe.json'}")
        return report
    report.update(fit_and_check(store, args, say))
    report["wall_seconds"] = time.perf_counter() - started
    _write_json(out, report)
    _print(report, out)
    return report


def fit_and_check(store: Store, args: argparse.Namespace, say) -> dict[str, Any]:
    """Train on the store's training rows, SBC on its held-out rows, the targets' posterior; writes posterior.csv and
    sbc_ranks.html into --out and returns the report's NPE part."""
    import pandas as pd

    from relsim.analysis.io import write_text_atomic
    from relsim.analysis.sbc import rank_histograms

    out = Path(args.out)
    spec = store.spec
    targets = fitted(at_size(PATTERNS, spec.consumers))
    keys = tuple(k for k in targets if k in spec.stats)
    train_rows, held_rows = split(store, args.holdout_every)
    theta, stats = store.theta(), store.stats(keys)
    box = LogitBox.of(spec)
    say(f"training on {len(train_rows)} simulations ({len(keys)} fitted statistics), {len(held_rows)} held out")
    npe = train_npe(theta[train_rows], stats[train_rows], spec.params, keys, [targets[k].scale for k in keys], box,
                    seed=args.seed, epochs=args.epochs)
    say(f"trained in {npe.seconds:.0f} s ({len(npe.losses)} epochs); SBC on {len(held_rows)} held-out simulations")
    result = sbc_on_store(npe, theta[held_rows], stats[held_rows], args.sbc_draws, seed=args.seed)
    sbc = result.summary(bins=_bins(args.sbc_draws))
    rows, eps, inside = accepted(stats, targets, keys)
    post = observed_posterior(npe, stats, rows, args.draws, seed=args.seed)
    rejection = theta[rows]
    fig = rank_histograms(result.rank, result.n_draws, [n.split(".", 1)[1] for n in spec.params],
                          bins=_bins(args.sbc_draws),
                          title=f"NPE on {len(train_rows)} stored simulations: rank of each held-out truth")
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / "sbc_ranks.html", fig.to_html(include_plotlyjs="cdn", full_html=True))
    say("recovery of the hand-set weights from 5 batteries at them")
    recovered = recovery(npe, spec, keys, seed=args.seed)
    ppc = None
    if args.ppc:
        say(f"posterior predictive check: the battery at {min(args.ppc, len(post))} posterior draws")
        ppc = predictive_check(spec, post, args.ppc, seed=args.seed)
    write_text_atomic(out / "posterior.csv", pd.DataFrame(
        {**{k: 10.0 ** post[:, j] for j, k in enumerate(spec.params)}, "weight": 1.0}).to_csv(
        index=False, float_format="%.6g"))
    return {
        "method": "neural posterior estimation (sbijax npe, masked autoregressive flow 5 x 64x64, Adam 5e-4, batch "
                  "128, early stopping on 10% validation, patience 20) on the fitted patterns; see the module's "
                  "docstring for the statistics' transform and the targets' posterior",
        "statistics": list(keys),
        "training": {"rows": len(train_rows), "seconds": npe.seconds, "epochs": len(npe.losses),
                     "final_loss": [float(v) for v in npe.losses[-1]],
                     "best_validation_loss": float(npe.losses[:, 1].min())},
        "sbc": sbc,
        "targets": {"rule": f"mixture of q(weights | x) over stored simulations inside every fitted interval, or the "
                            f"{ACCEPT_MIN} nearest by ABC's distance when fewer are",
                    "inside_every_interval": inside, "accepted": len(rows), "tolerance": eps,
                    "posterior": interval_summary(post, box, spec.params),
                    "rejection_abc": interval_summary(rejection, box, spec.params)},
        "recovery": recovered,
        "predictive": ppc,
    }


def recovery(npe: NPE, spec: StoreSpec, keys: Sequence[str], seeds: int = 5, n: int = 1000, seed: int = 0
             ) -> dict[str, Any]:
    """Recovery of known weights at a chosen point, the hand-set defaults (SBC checks the estimator on average over
    the prior, not at a point): the battery at the store's market with its hand-set weights on `seeds` seeds of a
    stream of its own, each battery's statistics read by the estimator (n draws), and for every weight its truth,
    the posterior median and 90% interval on each seed, and on how many seeds the interval holds the truth."""
    from .battery import make_battery, measure
    from .space import PARAMS
    from .store import SEED_SPACE

    battery = make_battery(spec.consumers, market=spec.market, overrides=spec.overrides)
    truth = {k: PARAMS[k].get(battery.market) for k in spec.params}
    rng = np.random.default_rng([seed, RECOVERY_STREAM])
    measured = [measure(battery, truth, int(rng.integers(SEED_SPACE))) for _ in range(seeds)]
    stats = np.array([[m.get(k, math.nan) for k in keys] for m in measured], dtype=float)
    draws = npe.sample(stats, n, seed=seed + 11)  # (seeds, n, d), log10
    out = {}
    for j, name in enumerate(spec.params):
        t = math.log10(truth[name])
        lo, mid, hi = (np.quantile(draws[:, :, j], q, axis=1) for q in (0.05, 0.5, 0.95))
        out[name] = {"truth": truth[name], "median": (10.0 ** mid).tolist(),
                     "interval": [[float(10.0 ** a), float(10.0 ** b)] for a, b in zip(lo, hi, strict=True)],
                     "covered": int(np.sum((lo <= t) & (t <= hi))), "seeds": seeds}
    return out


#: Keeps the recovery check's battery seeds apart from the store's and the predictive check's.
RECOVERY_STREAM = 4444
#: Keeps the posterior predictive check's battery seeds apart from the store's (store.STREAM) and from ABC's.
PPC_STREAM = 4343


def predictive_check(spec: StoreSpec, draws: np.ndarray, n: int, seed: int = 0) -> dict[str, Any]:
    """The posterior predictive check (Gelman et al. 2013, ch. 6): the pattern battery run at the first `n` of the
    targets' posterior draws (log10 weights, one battery seed each from a stream of its own), and for every pattern,
    fitted or held out, the predictive mean, sd, 5-95% range and the share of batteries on target. In this process
    (after JAX: no fork), serially."""
    from .battery import make_battery, measure
    from .patterns import HELD_OUT, summarize
    from .store import SEED_SPACE

    battery = make_battery(spec.consumers, market=spec.market, overrides=spec.overrides)
    rng = np.random.default_rng([seed, PPC_STREAM])
    stats = [measure(battery, dict(zip(spec.params, (10.0 ** row).tolist(), strict=True)), int(rng.integers(SEED_SPACE)))
             for row in draws[:n]]
    patterns = at_size(PATTERNS, spec.consumers)
    table = summarize(stats, patterns)
    for key, row in table.items():
        v = np.array([s.get(key, math.nan) for s in stats], dtype=float)
        v = v[np.isfinite(v)]
        row["range_90"] = [float(np.quantile(v, 0.05)), float(np.quantile(v, 0.95))] if len(v) else [math.nan] * 2
        row["held_out"] = key in HELD_OUT
        row["missing"] = int(len(stats) - len(v))
    return {"batteries": len(stats), "patterns": table}


def _bins(n_draws: int) -> int:
    """Rank-histogram bins: 20 when L + 1 is divisible by 20 (L = 99), else the largest divisor of L + 1 up to 20."""
    return max(b for b in range(1, 21) if (n_draws + 1) % b == 0)


def _write_json(out: Path, report: dict[str, Any]) -> None:
    from relsim.analysis.io import json_safe, write_text_atomic

    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / "npe.json", json.dumps(json_safe(report), indent=2) + "\n")


def _print(report: dict[str, Any], out: Path) -> None:
    """The coverage and identification tables."""
    sbc, post = report["sbc"], report["targets"]["posterior"]
    print(f"NPE: trained on {report['training']['rows']} simulations in {report['training']['seconds']:.0f} s; "
          f"SBC on {sbc['n_sims']} held-out, L = {sbc['n_draws']}")
    print(f"{'weight':34s} {'cov50':>6} {'cov90':>6} {'rank p':>7} {'SBC width':>9} {'targets 90% interval':>26} "
          f"{'width':>6}")
    for name, v in sbc["parameters"].items():
        t = post[name]
        print(f"{name:34s} {v['coverage']['0.5']['coverage']:6.2f} {v['coverage']['0.9']['coverage']:6.2f} "
              f"{v['rank_p_value']:7.3f} {v['width_ratio']:9.2f} "
              f"{t['interval'][0]:12.4g} – {t['interval'][1]:<11.4g} {t['width_ratio']:6.2f}")
    rec = report.get("recovery")
    if rec:
        print("Recovery of the hand-set weights (5 batteries at them; 90% intervals holding the truth):")
        for name, row in rec.items():
            meds = ", ".join(f"{m:.3g}" for m in row["median"])
            print(f"  {name:34s} truth {row['truth']:<8.3g} medians {meds}; covered {row['covered']} of {row['seeds']}")
    ppc = report.get("predictive")
    if ppc:
        print(f"Posterior predictive check ({ppc['batteries']} batteries at the targets' posterior draws):")
        print(f"{'pattern':28s} {'target':>18} {'mean':>9} {'5-95% of batteries':>22} {'on target':>9}")
        for key, row in ppc["patterns"].items():
            name = key + (" (held out)" if row["held_out"] else "")
            target = "[{:.3g}, {:.3g}]".format(*row["target"])
            spread = "{:.3g} to {:.3g}".format(*row["range_90"])
            print(f"{name:28s} {target:>18} {row['mean']:9.3g} {spread:>22} {row['on_target']:9.0%}")
    print(f"wrote {out / 'npe.json'}, posterior.csv, sbc_ranks.html")


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point: bad input is one line and exit code 2."""
    from ..commands.cli import fail, no_code_from_here
    from ..plumbing.checks import write_failed

    no_code_from_here()
    args = _parser().parse_args(argv)
    try:
        run(args)
    except ConfigError as exc:
        fail(PROG, str(exc))
    except OSError as exc:
        fail(PROG, write_failed(exc))


if __name__ == "__main__":
    main()
