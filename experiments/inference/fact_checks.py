"""Stylized facts as checks: each runs the model and tests the shape or direction its source reports.

DESIGN.md §3 lists eight empirical regularities that the mechanisms must be able to reproduce
(docs/ODD.md §1.2). Each `fact_<n>` function here runs small simulations on fixed seeds (common random
numbers), measures the regularity and returns a `FactResult`: the numbers, one pass/fail per
sub-check, and the plotly figure that shows it. This module runs the experiments; their statistics
(hazard ratios, peaks), figures and page are in analysis/facts.py. The tests in tests/validation/
assert on these results; `relsim-validate` (experiments/commands/validate.py) writes them as validation.html.
No check asserts which strategy wins; the focal firm always plays the `middle` preset.

Where a fact needs a parameter region, the region is a list of config overrides in the `relsim`
command's syntax (`Fact.region`), so a user can reproduce it: `relsim market=monopoly <region>`.
docs/VALIDATION.md explains each region.

Some facts need per-consumer events. Problem episodes and their outcomes are recorded by the model
(`record_episodes=True`, `episode_outcomes`); who left when is read from the world between days
(`_neighbour_defections`, read only). Two facts are experiments that intervene between days, from
outside sim/: fact 1 injects one event's trust evidence and fact 8 seeds dissatisfied customers (an
open problem every day).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from relsim.analysis import facts as figures
from relsim.analysis.facts import logistic_hazard_ratios, parabolic_peak
from relsim.analysis.channels import channel_economics
from relsim.analysis.channels import markdown as channel_markdown
from relsim.analysis.sbg import fit_sbg
from relsim.model import RelationshipModel
from relsim.params import CHANNELS, Behaviour, Market, Strategy, build
from relsim.world import EPISODE_OUTCOMES

from ..plumbing.config import load
from .observers import LEMON_SEVERITY, ContagionTracker, episode_outcomes, lemons, spoil_lemons

__all__ = ["FACTS", "Fact", "FactResult", "build_run", "channel_table", "episode_outcomes", "fact", "measure_channels",
           "run_all_facts"]

FOCAL = "middle"  # the strategy preset the focal firm plays in every check


# --------------------------------------------------------------------------- registry and results

@dataclasses.dataclass(frozen=True)
class Fact:
    """A stylized fact: what its source reports, where, and the function that checks it."""

    number: int
    key: str
    title: str
    claim: str
    source: str
    region: tuple[str, ...]
    region_note: str
    check: Callable[..., FactResult]
    known_gap: str | None = None  # why the current mechanisms cannot produce it (an expected failure)


@dataclasses.dataclass
class FactResult:
    """The outcome of one fact's check: sub-checks, the numbers behind them, and the figure."""

    fact: Fact
    checks: dict[str, bool]
    data: dict[str, Any]
    summary: str
    figure: go.Figure

    @property
    def passed(self) -> bool:
        """True when every sub-check holds."""
        return all(self.checks.values())

    @property
    def status(self) -> str:
        """pass, fail, expected failure (a known gap that fails) or unexpected pass (a known gap that passes)."""
        if self.fact.known_gap:
            return "unexpected pass" if self.passed else "expected failure"
        return "pass" if self.passed else "fail"

    @property
    def as_expected(self) -> bool:
        """True when the result is what the suite expects: a pass, or a failure of a known gap."""
        return self.status in ("pass", "expected failure")

    def explain(self) -> str:
        """One line per sub-check, for assertion messages and the terminal."""
        lines = [f"fact {self.fact.number} ({self.fact.key}): {self.summary}"]
        lines += [f"  [{'ok' if ok else 'FAIL'}] {name}" for name, ok in self.checks.items()]
        return "\n".join(lines)


FACTS: dict[int, Fact] = {}


def fact(number: int, key: str, title: str, claim: str, source: str, region: Sequence[str] = (),
         region_note: str = "", known_gap: str | None = None):
    """Register a fact check (decorator)."""
    def register(check: Callable[..., FactResult]) -> Callable[..., FactResult]:
        FACTS[number] = Fact(number, key, title, claim, source, tuple(region), region_note, check, known_gap)
        return check
    return register


#: Overrides every check's config starts from, before its region's (`weights_of`: another market's behavioural
#: weights); empty: the hand-set defaults. Set through `use_weights`.
BASE: tuple[str, ...] = ()


def weights_of(market_name: str) -> tuple[str, ...]:
    """The calibrated weights (space.PARAMS) of the market preset `market_name` as overrides of `market.*`: a fact's
    region still chooses its market and sets what it sets, on these weights."""
    from .space import PARAMS

    market = load([f"market={market_name}"]).market
    return tuple(f"market.{key}={PARAMS[key].get(market)!r}" for key in PARAMS)


def use_weights(overrides: Sequence[str]) -> None:
    """Run the checks of this process on `overrides` (weights_of) before each region's (() for the defaults)."""
    global BASE
    BASE = tuple(overrides)


def run_all_facts(numbers: Sequence[int] | None = None, quick: bool = False,
                  on_done: Callable[[FactResult], None] | None = None) -> list[FactResult]:
    """Run the checks of the given facts (default all), in order."""
    results = []
    for number in numbers or sorted(FACTS):
        result = FACTS[number].check(quick=quick)
        results.append(result)
        if on_done:
            on_done(result)
    return results


# --------------------------------------------------------------------------- sizes

#: Consumers and seeds per fact: (quick, default). The default is what the tests and relsim-validate
#: use; --quick is a smoke run whose directions are less certain.
SIZES: dict[int, dict[str, tuple[Any, Any]]] = {
    1: {"consumers": (600, 2000), "seeds": ((11,), (11,))},
    2: {"consumers": (1500, 4000), "seeds": ((0, 1), (0, 1, 2))},
    3: {"consumers": (1500, 4000), "seeds": ((0, 1), (0, 1, 2, 3))},
    4: {"consumers": (2000, 5000), "seeds": ((0, 1), (0, 1, 2, 3, 4, 5))},
    5: {"consumers": (1000, 3000), "seeds": ((0, 1), (0, 1))},
    6: {"consumers": (1000, 3000), "seeds": ((0, 1), (0, 1))},
    7: {"consumers": (1500, 4000), "seeds": ((0, 1), (0, 1, 2, 3))},
    8: {"consumers": (1500, 4000), "seeds": ((0, 1), tuple(range(8)))},
}


def _size(number: int, quick: bool, consumers: int | None, seeds: Sequence[int] | None) -> tuple[int, tuple[int, ...]]:
    """Consumers and seeds of a fact's check: explicit values, else its quick or default size."""
    size = SIZES[number]
    k = 0 if quick else 1
    return (int(consumers or size["consumers"][k]), tuple(seeds) if seeds is not None else tuple(size["seeds"][k]))


# --------------------------------------------------------------------------- building runs

@functools.lru_cache(maxsize=64)
def _composed(overrides: tuple[str, ...]) -> tuple[dict[str, Strategy], Market]:
    """Strategies and market of the `relsim` config with these overrides (Hydra compose, validated)."""
    spec = load(overrides)
    return dict(spec.strategies), spec.market


def build_run(overrides: Sequence[str] = (), *, consumers: int, days: int, seed: int,
              focal: dict[str, Any] | None = None, behaviour: dict[str, Any] | None = None,
              market: dict[str, Any] | None = None, record_episodes: bool = False) -> RelationshipModel:
    """A model of the `relsim` config with `overrides`, the focal firm playing `middle`.

    `focal` and `behaviour` change Strategy and Behaviour fields on top (validated by
    sim.params.build), `market` replaces Market fields; cheaper than composing a config per point
    of a sweep.
    """
    strategies, mk = _composed((*BASE, *overrides))
    strategy = strategies[FOCAL]
    if focal:
        strategy = build(Strategy, {**dataclasses.asdict(strategy), **focal}, f"strategies.{FOCAL}")
    changes: dict[str, Any] = {"consumers": consumers, **(market or {})}
    if behaviour:
        changes["behaviour"] = build(Behaviour, {**dataclasses.asdict(mk.behaviour), **behaviour}, "market.behaviour")
    mk = dataclasses.replace(mk, **changes)
    rivals = [strategies[name] for name in mk.rivals]
    return RelationshipModel(strategy, mk, rivals=rivals, days=days, rng=seed, consumer_agents=False,
                             record_episodes=record_episodes, collect=False)


def _survival(model: RelationshipModel, firm: int = 0) -> np.ndarray:
    """Share of the firm's day-0 cohort still with it, by day 0 ... days (retention.parquet logic)."""
    ret = model.recorder.retention()
    return ret.loc[ret["firm"] == firm].sort_values("tenure_days")["surviving"].to_numpy()


def _runs(model: RelationshipModel, firm: int = 0) -> pd.DataFrame:
    table = model.recorder.runs()
    return table.loc[table["firm"] == firm].reset_index(drop=True)


# --------------------------------------------------------------------------- observation between days

# --------------------------------------------------------------------------- fact 1: trust asymmetry

@fact(1, "trust_asymmetry", "Trust asymmetry",
      "Negative events move trust more than equal positive ones, and rebuilding after a failure takes "
      "longer than the loss did.",
      "Slovic (1993), Perceived risk, trust, and democracy. Risk Analysis 13(6)",
      region=("market=monopoly",),
      region_note="default behaviour; a monopoly so that leavers' trust is not reshaped by a rival.")
def fact_1(quick: bool = False, *, consumers: int | None = None, seeds: Sequence[int] | None = None) -> FactResult:
    """One event of e evidence units, positive or negative, given to the focal firm's customers on
    day t0, compared with the same run without it (same seed): the immediate drop versus the gain,
    the days to win back half of the drop from ordinary experience, and the number of equal positive
    events it takes to undo the failure."""
    consumers, seeds = _size(1, quick, consumers, seeds)
    seed, t0, after, size = seeds[0], 120, 365, 1.0
    arm = functools.partial(_after_an_event, FACTS[1].region, consumers=consumers, seed=seed, t0=t0, after=after,
                            size=size)
    control_path, _ = arm("control")
    positive, _ = arm("positive")
    negative, _ = arm("negative")
    rebuilt, boosts = arm("rebuild", control_path)
    gain = positive[0] - control_path[0]
    drop = control_path[0] - negative[0]
    gap = control_path - negative
    half = np.flatnonzero(gap <= drop / 2)
    half_days = int(half[0]) if len(half) else after
    ratio = drop / gain if gain > 0 else float("inf")
    checks = {
        f"an equal negative event moves trust more than a positive one (drop {drop:.4f} > gain {gain:.4f})":
            bool(drop > gain > 0),
        f"winning back half of the drop takes longer than the loss did (1 day): {half_days} days": half_days > 1,
        f"undoing one failure takes more than one equal success: {boosts} successes": boosts >= 2,
    }
    fig = figures.trust_asymmetry_figure({"no event": (control_path, "grey"), "positive event": (positive, "blue"),
                                          "negative event": (negative, "red"),
                                          f"negative event, then equal positive ones ({boosts})": (rebuilt, "orange")},
                                         t0, size)
    data = {"gain": gain, "drop": drop, "ratio": ratio, "half_days": half_days, "successes_to_undo": boosts,
            "consumers": consumers, "seed": seed}
    summary = (f"drop/gain = {ratio:.2f}; half of the drop is won back after {half_days} days; "
               f"{boosts} equal successes undo one failure")
    return FactResult(FACTS[1], checks, data, summary, fig)


def _after_an_event(region: Sequence[str], kind: str, reference: np.ndarray | None = None, *, consumers: int,
                    seed: int, t0: int, after: int, size: float) -> tuple[np.ndarray, int]:
    """The focal firm's customers' mean trust from day `t0` on, after one event of `size` evidence units on that
    day: none ("control"), "positive", "negative", or "rebuild" (negative, then one equal success at the end of
    each day until trust is back on the `reference` path). Returns the path and the successes it took."""
    model = build_run(region, consumers=consumers, days=t0 + after, seed=seed)
    w = model.world
    for _ in range(t0):
        model.step()
    rows = np.flatnonzero(w.provider == 0)
    omega = w.market.behaviour.negativity_bias
    # an instantaneous event of `size` evidence units, folded in as trust.update folds a day's
    # evidence (ODD §7.9): positive evidence adds to a, negative evidence adds omega times to b
    if kind in ("negative", "rebuild"):
        w.neg[rows, 0] += omega * size
    elif kind == "positive":
        w.pos[rows, 0] += size
    path = [w.trust(rows)[:, 0].mean()]
    boosts, undone = 0, False
    while model.running:
        if kind == "rebuild" and not undone:
            if path[-1] >= reference[len(path) - 1]:
                undone = True
            else:  # one more success of the same size, at the end of the day
                w.pos[rows, 0] += size
                boosts += 1
                path[-1] = w.trust(rows)[:, 0].mean()
        model.step()
        path.append(w.trust(rows)[:, 0].mean())
    return np.array(path), boosts


# --------------------------------------------------------------------------- fact 2: retention rises with tenure

@fact(2, "retention_rises_with_tenure", "Retention rises with tenure",
      "With heterogeneous churn propensities, a cohort's period-on-period retention rate rises with "
      "tenure (the shifted-beta-geometric shape).",
      "Fader & Hardie (2007), How to project customer retention. J. Interactive Marketing 21(1)",
      region=("market=monopoly",),
      region_note="default behaviour (churn propensity gamma, mean 1, sd 1) in a monopoly, so that the "
                  "cohort is not also drained by switching. The contrast is the same market with a "
                  "constant churn propensity: its rate barely rises in year 2, when the launch cohort's "
                  "trust has decayed from its day-0 level (a honeymoon), so the rise is selection.")
def fact_2(quick: bool = False, *, consumers: int | None = None, seeds: Sequence[int] | None = None) -> FactResult:
    """Yearly retention rates of the focal firm's day-0 cohort over three years, with heterogeneous
    and with constant churn propensity (same seeds)."""
    consumers, seeds = _size(2, quick, consumers, seeds)
    years, period = 3, 365
    region = FACTS[2].region
    curves = {}
    for label, pop in (("heterogeneous", None), ("homogeneous", "constant")):
        survival = []
        for seed in seeds:
            model = build_run(region if pop is None else (*region, "market.population.churn_propensity.kind=constant"),
                              consumers=consumers, days=years * period, seed=seed).run()
            survival.append(_survival(model))
        curves[label] = np.mean(survival, axis=0)
    yearly = {k: v[:: period] for k, v in curves.items()}
    rates = {k: v[1:] / v[:-1] for k, v in yearly.items()}
    het, hom = rates["heterogeneous"], rates["homogeneous"]
    rise_het, rise_hom = het[-1] - het[0], hom[-1] - hom[0]
    sbg = fit_sbg(yearly["heterogeneous"])
    checks = {
        "yearly retention rises with tenure (heterogeneous propensity): "
        + " < ".join(f"{r:.3f}" for r in het): bool(np.all(np.diff(het) > 0)),
        f"it rises more than with a constant propensity ({rise_het:+.3f} vs {rise_hom:+.3f})":
            bool(rise_het > rise_hom),
    }
    fig = figures.retention_by_tenure_figure(curves, rates, period, sbg.alpha, sbg.beta)
    data = {"rates_heterogeneous": het.tolist(), "rates_homogeneous": hom.tolist(), "sbg_alpha": sbg.alpha,
            "sbg_beta": sbg.beta, "consumers": consumers, "seeds": list(seeds)}
    summary = ("yearly retention " + " → ".join(f"{r:.3f}" for r in het)
               + " (constant propensity: " + " → ".join(f"{r:.3f}" for r in hom) + ")")
    return FactResult(FACTS[2], checks, data, summary, fig)


# --------------------------------------------------------------------------- fact 3: contact volume

#: Every channel alike but for its price and response (intrusiveness 0.1, load 1), so that 1 channel and 3
#: differ only in how many channels carry the same contacts.
FACT3_REGION = ("market=monopoly", *(f"market.channels.{c}.intrusiveness=0.1" for c in CHANNELS),
                "market.channels.phone.load=1", "market.behaviour.contact_value=0.3")


@fact(3, "contact_inverted_u", "Contact volume: an inverted U, earlier with more channels",
      "Contact volume has an inverted-U effect on retention (repurchase); more channels bring the "
      "downturn at fewer contacts.",
      "Godfrey, Seiders & Voss (2011), Enough is enough! J. Marketing 75(4)",
      region=FACT3_REGION,
      region_note="welcome, unintrusive relational contacts (every channel's intrusiveness 0.1 and load 1, "
                  "contact_value 0.3: a welcome contact is worth six days of good product use). With the "
                  "default channels (intrusiveness 0.49 to 0.89, value 0.05) retention only falls with "
                  "volume: the rising arm needs contacts that are valued when within capacity, as Godfrey et "
                  "al.'s relational communications are.")
def fact_3(quick: bool = False, *, consumers: int | None = None, seeds: Sequence[int] | None = None) -> FactResult:
    """Two-year retention of the day-0 cohort across contact rates, all by mail or split evenly over the three
    channels (same seeds)."""
    consumers, seeds = _size(3, quick, consumers, seeds)
    days = 730
    rates = [0, 6, 13, 20, 30, 45, 65, 90]
    curves: dict[int, np.ndarray] = {}
    for channels in (1, 3):
        values = []
        for rate in rates:
            focal = {f"{c}_rate": (rate / channels if k < channels else 0.0) for k, c in enumerate(CHANNELS)}
            ret = [_survival(build_run(FACT3_REGION, consumers=consumers, days=days, seed=s,
                                       focal=focal).run())[-1] for s in seeds]
            values.append(float(np.mean(ret)))
        curves[channels] = np.array(values)
    peaks = {c: parabolic_peak(rates, v) for c, v in curves.items()}
    one = curves[1]
    top = float(one.max())
    checks = {
        f"1 channel: retention peaks inside the range ({peaks[1]:.0f} contacts a year), above no contact "
        f"and the heaviest contact": bool(top > one[0] and top > one[-1] and 0 < int(np.argmax(one)) < len(rates) - 1),
        f"3 channels: the peak comes at fewer contacts ({peaks[3]:.0f} < {peaks[1]:.0f} a year)":
            bool(peaks[3] < peaks[1]),
    }
    fig = figures.contact_volume_figure(rates, curves, peaks)
    data = {"rates": rates, "retention_1_channel": curves[1].tolist(), "retention_3_channels": curves[3].tolist(),
            "peak_1_channel": peaks[1], "peak_3_channels": peaks[3], "consumers": consumers, "seeds": list(seeds)}
    summary = f"peak at {peaks[1]:.0f} contacts a year with 1 channel, {peaks[3]:.0f} with 3"
    return FactResult(FACTS[3], checks, data, summary, fig)


# --------------------------------------------------------------------------- the channel table

def measure_channels(overrides: Sequence[str] = (), *, consumers: int = 2000, days: int = 1095,
                     seeds: Sequence[int] = (0, 1, 2, 3)) -> pd.DataFrame:
    """Each channel's realised response and short-run return at defaults (analysis/channels.py), measured
    over the contacts the focal firm, playing `middle` (the Strategy defaults: every channel in use) in the
    default market, sends its customers over `days`, pooled over `seeds`."""
    runs = []
    for seed in seeds:
        model = build_run(overrides, consumers=consumers, days=days, seed=seed).run()
        runs.append(model.recorder.runs())
    strategy = model.firms[0].strategy
    return channel_economics(pd.concat(runs), model.market.channels, strategy.sale_price, strategy.sale_cost_share)


def channel_table(**kw) -> str:
    """The channel table of docs/VALIDATION.md (Markdown): `measure_channels(**kw)` beside the published figures."""
    return channel_markdown(measure_channels(**kw))


# --------------------------------------------------------------------------- fact 4: complaint handling

FACT4_REGION = ("market=monopoly", "strategies.middle.inbound_capacity=5", "strategies.middle.resolution_quality=0.6",
                "market.behaviour.self_fix_days=60")


def complaint_outcomes(overrides: Sequence[str], *, consumers: int, days: int, seeds: Sequence[int], horizon: int,
                       behaviour: dict[str, Any] | None = None) -> pd.DataFrame:
    """Problem episodes of the focal firm's customers with their outcome and `horizon`-day retention."""
    tables = []
    for seed in seeds:
        model = build_run(overrides, consumers=consumers, days=days, seed=seed, behaviour=behaviour,
                          record_episodes=True).run()
        table = episode_outcomes(model, horizon, days)
        tables.append(table.loc[table["firm"] == 0].assign(seed=seed))
    return pd.concat(tables, ignore_index=True)


@fact(4, "complaint_handling", "Complaint handling orders loyalty",
      "Retention orders quickly resolved > resolved > unresolved > did not complain, and the gaps widen "
      "with the problem's severity.",
      "TARP (1979; 1986), Consumer complaint handling in America. U.S. Office of Consumer Affairs",
      region=FACT4_REGION,
      region_note="support that callers can reach (5 slots per 1,000 customers a day, resolution 0.6), "
                  "so that an unresolved complaint is mostly one that was heard and not fixed, as in "
                  "TARP's surveys; and problems nobody reports linger (self_fix_days 60), as TARP's "
                  "non-complainers keep theirs. With the defaults (4 slots, problems fading in 10 days) "
                  "most unresolved callers never got through, and they end below those who stayed silent.")
def fact_4(quick: bool = False, *, consumers: int | None = None, seeds: Sequence[int] | None = None) -> FactResult:
    """Episodes are classified by outcome from the world's state between days; retention is staying
    with the firm for a year from the problem's onset. Minor and major problems are two runs with
    mean severities 0.5 and 3 (severity_mean)."""
    consumers, seeds = _size(4, quick, consumers, seeds)
    days, horizon = 1095, 365
    levels = {"minor": 0.5, "major": 3.0}
    table = {}
    counts = {}
    for label, severity in levels.items():
        ep = complaint_outcomes(FACT4_REGION, consumers=consumers, days=days, seeds=seeds, horizon=horizon,
                                behaviour={"severity_mean": severity})
        grouped = ep.groupby("outcome")["stayed"].agg(["mean", "size"]).reindex(EPISODE_OUTCOMES)
        table[label] = grouped["mean"].to_numpy()
        counts[label] = grouped["size"].fillna(0).astype(int).to_numpy()
    minor, major = table["minor"], table["major"]
    gaps_minor, gaps_major = -np.diff(minor), -np.diff(major)
    names = ("quick − resolved", "resolved − unresolved", "unresolved − silent")
    checks = {
        "major problems: quick > resolved > unresolved > did not complain ("
        + " > ".join(f"{v:.3f}" for v in major) + ")": bool(np.all(gaps_major > 0)),
        "minor problems: quickly resolved above did not complain": bool(minor[0] > minor[-1]),
    }
    for name, g_min, g_maj in zip(names, gaps_minor, gaps_major, strict=True):
        checks[f"gap {name} widens with severity ({g_min:+.3f} → {g_maj:+.3f})"] = bool(g_maj > g_min)
    fig = figures.complaint_handling_figure(table, counts, levels)
    data = {"outcomes": list(EPISODE_OUTCOMES), "minor": minor.tolist(), "major": major.tolist(),
            "episodes_minor": counts["minor"].tolist(), "episodes_major": counts["major"].tolist(),
            "consumers": consumers, "seeds": list(seeds), "horizon_days": horizon}
    summary = ("retained after a year, major problems: " + ", ".join(f"{o} {v:.3f}" for o, v in
                                                                   zip(EPISODE_OUTCOMES, major, strict=True)))
    return FactResult(FACTS[4], checks, data, summary, fig)


# --------------------------------------------------------------------------- fact 5: voice

FACT5_REGION = ("market=monopoly", "strategies.middle.support_free_days=0")


@fact(5, "voice_rare_and_costly", "Voice is rare and cost-sensitive",
      "Complaints to the firm are far fewer than dissatisfying experiences, and fall as inbound fees "
      "rise or the channel disappears.",
      "TARP (1979; 1986); Hirschman (1970), Exit, Voice, and Loyalty",
      region=FACT5_REGION,
      region_note="no free support period, so that the fee applies from the first day of tenure and "
                  "each fee level is in force for the whole run (by default support is free for 90 days).")
def fact_5(quick: bool = False, *, consumers: int | None = None, seeds: Sequence[int] | None = None) -> FactResult:
    """Private complaints per problem and the share of customers with a problem who complained, for
    support fees 0 ... 40 and with no inbound channel (same seeds)."""
    consumers, seeds = _size(5, quick, consumers, seeds)
    days = 730
    fees = [0.0, 5.0, 10.0, 20.0, 40.0]
    settings = [(f"fee {fee:g}", {"support_fee": fee}) for fee in fees] + [("no channel", {"inbound_capacity": 0.0})]
    rows = []
    for label, focal in settings:
        problems = private = public = tickets = 0
        for seed in seeds:
            r = _runs(build_run(FACT5_REGION, consumers=consumers, days=days, seed=seed, focal=focal).run())
            problems += int(r["problems"].sum())
            private += int(r["complaints_private"].sum())
            public += int(r["complaints_public"].sum())
            tickets += int(r["tickets"].sum())
        rows.append({"setting": label, "problems": problems, "private": private, "public": public, "calls": tickets,
                     "private_per_problem": private / max(problems, 1),
                     "calls_per_problem": tickets / max(problems, 1)})
    frame = pd.DataFrame(rows)
    per = frame["private_per_problem"].to_numpy()
    fee_part, closed = per[: len(fees)], per[-1]
    checks = {
        f"complaints to the firm are far fewer than problems (at most 1 in 4: {per[0]:.3f} per problem)":
            bool(per[0] <= 0.25),
        "complaints fall as the support fee rises (" + " > ".join(f"{v:.3f}" for v in fee_part) + ")":
            bool(np.all(np.diff(fee_part) < 0)),
        f"complaints fall when the channel disappears ({closed:.3f} < {per[0]:.3f})": bool(closed < per[0]),
    }
    fig = figures.voice_figure(fees, fee_part, frame["calls_per_problem"][: len(fees)], closed)
    data = {"table": frame.to_dict(orient="list"), "consumers": consumers, "seeds": list(seeds)}
    summary = (f"{per[0]:.3f} private complaints per problem at no fee, {fee_part[-1]:.3f} at fee 40, "
               f"{closed:.3f} with no channel")
    return FactResult(FACTS[5], checks, data, summary, fig)


# --------------------------------------------------------------------------- fact 6: word of mouth U

@fact(6, "word_of_mouth_u", "Word of mouth is an asymmetric U in satisfaction",
      "Customers talk most at both extremes of satisfaction, more on the negative side: roughly 1 to 3 "
      "negative messages per positive one.",
      "Anderson (1998), Customer satisfaction and word of mouth. J. Service Research 1(1); East, Hammond & "
      "Wright (2007), IJRM 24(2)",
      region=("market=monopoly",),
      region_note="default behaviour; the U's right arm is advocacy (ODD §7.10).")
def fact_6(quick: bool = False, *, consumers: int | None = None, seeds: Sequence[int] | None = None) -> FactResult:
    """Negative and positive public posts per customer in the second year, by decile of the customer's
    mean trust (satisfaction) in its provider over that year."""
    consumers, seeds = _size(6, quick, consumers, seeds)
    days, start = 730, 365
    frames = []
    for seed in seeds:
        model = build_run(FACTS[6].region, consumers=consumers, days=days, seed=seed)
        w = model.world
        neg, pos, trust_sum = np.zeros(w.n), np.zeros(w.n), np.zeros(w.n)
        stayed = None
        while model.running:
            model.step()
            if w.day <= start:
                continue
            stayed = (w.provider == 0) if stayed is None else stayed & (w.provider == 0)
            np.add.at(neg, np.asarray(w.public_posts), 1)
            np.add.at(pos, np.asarray(w.praise_posts), 1)
            trust_sum += w.provider_trust()
        frames.append(pd.DataFrame({"satisfaction": trust_sum[stayed] / (days - start), "negative": neg[stayed],
                                    "positive": pos[stayed]}))
    df = pd.concat(frames, ignore_index=True)
    df["decile"] = pd.qcut(df["satisfaction"], 10, labels=False)
    g = df.groupby("decile").agg(satisfaction=("satisfaction", "mean"), negative=("negative", "mean"),
                                 positive=("positive", "mean"))
    g["total"] = g["negative"] + g["positive"]
    total = g["total"].to_numpy()
    middle = float(total[3:7].min())
    ratio = float(df["negative"].sum() / max(df["positive"].sum(), 1))
    checks = {
        f"the most satisfied talk more than the middle ({total[-1]:.3f} > {middle:.3f} per customer-year)":
            bool(total[-1] > middle),
        f"the least satisfied talk more than the most satisfied ({total[0]:.3f} > {total[-1]:.3f})":
            bool(total[0] > total[-1]),
        f"1 to 3 negative messages per positive one ({ratio:.2f})": bool(1.0 <= ratio <= 3.0),
    }
    fig = figures.word_of_mouth_figure(g)
    data = {"deciles": g.reset_index().to_dict(orient="list"), "negative_per_positive": ratio,
            "consumers": consumers, "seeds": list(seeds)}
    summary = (f"word of mouth per customer-year from the least to the most satisfied decile: "
               f"{total[0]:.2f} → {total[-1]:.2f}; {ratio:.1f} negative per positive")
    return FactResult(FACTS[6], checks, data, summary, fig)


# --------------------------------------------------------------------------- fact 7: churn contagion

FACT7_REGION = ("market=monopoly", "market.behaviour.exit_talk_weight=1.0")
FACT7_LABELS = ("1-30 days", "31-90 days", "91-180 days", "181+ days")


def _neighbour_defections(overrides: Sequence[str], *, consumers: int, days: int, seed: int,
                          behaviour: dict[str, Any] | None = None, period: int = 90) -> tuple[np.ndarray, np.ndarray]:
    """Churn events and customer-days by exposure (days since a neighbour last left the customer's
    provider; level 0 = never) and calendar period (patterns.ContagionTracker)."""
    model = build_run(overrides, consumers=consumers, days=days, seed=seed, behaviour=behaviour)
    tracker = ContagionTracker(model.world, days, period)
    while model.running:
        tracker.before(model.world)
        model.step()
        tracker.after(model.world)
    return tracker.events, tracker.totals


@fact(7, "churn_contagion", "Churn is socially contagious",
      "A neighbour's defection raises one's own hazard of leaving (about 1.8 times), most in the first "
      "weeks, fading afterwards.",
      "Nitzan & Libai (2011), Social effects on customer retention. J. Marketing 75(6)",
      region=FACT7_REGION,
      region_note="exit talk as strong as a bad problem's onset (exit_talk_weight 1.0 instead of 0.2), so "
                  "that the hazard ratio can be estimated from two small runs; the default gives the same "
                  "direction with a smaller ratio. The placebo is the same market without exit talk "
                  "(exit_talk_weight 0), which removes the defection's own effect but keeps everything "
                  "else neighbours share (their posts).")
def fact_7(quick: bool = False, *, consumers: int | None = None, seeds: Sequence[int] | None = None) -> FactResult:
    """Logistic regression of a customer's daily churn on the time since a network neighbour last left
    the same firm (4 bins, reference: no neighbour has left), with 90-day calendar fixed effects;
    with exit talk and without (placebo), on the same seeds."""
    consumers, seeds = _size(7, quick, consumers, seeds)
    days = 1095
    results = {}
    for label, behaviour in (("exit talk", None), ("placebo", {"exit_talk_weight": 0.0})):
        ev = tot = 0
        for seed in seeds:
            e, t = _neighbour_defections(FACT7_REGION, consumers=consumers, days=days, seed=seed, behaviour=behaviour)
            ev, tot = ev + e, tot + t
        hr, se = logistic_hazard_ratios(ev, tot)
        results[label] = (hr, se, int(ev.sum()), ev.sum(axis=1))
    hr, se, n_events, _ = results["exit talk"]
    placebo = results["placebo"][0]
    low = hr * np.exp(-1.96 * se)
    later = float(max(hr[2], hr[3]))
    checks = {
        f"hazard ratio in the first month after a neighbour's defection > 1 ({hr[0]:.2f}, 95% CI from {low[0]:.2f})":
            bool(low[0] > 1.0),
        f"it decays: the first month is above every bin after three months ({hr[0]:.2f} > {later:.2f})":
            bool(hr[0] > later),
        f"it exceeds the placebo without exit talk ({hr[0]:.2f} > {placebo[0]:.2f})": bool(hr[0] > placebo[0]),
    }
    fig = figures.churn_contagion_figure({k: v[:2] for k, v in results.items()}, FACT7_LABELS)
    data = {"bins": list(FACT7_LABELS), "hazard_ratio": hr.tolist(), "log_se": se.tolist(),
            "placebo_hazard_ratio": placebo.tolist(), "churn_events": n_events, "consumers": consumers,
            "seeds": list(seeds)}
    summary = ("hazard ratios " + ", ".join(f"{b}: {h:.2f}" for b, h in zip(FACT7_LABELS, hr, strict=True))
               + f" (placebo first month {placebo[0]:.2f})")
    return FactResult(FACTS[7], checks, data, summary, fig)


# --------------------------------------------------------------------------- fact 8: the NPV of bad news

FACT8_REGION = ("market=monopoly", "strategies.middle.problem_rate=0.5")


def npv_with_lemons(overrides: Sequence[str], *, share: float, consumers: int, days: int, seed: int,
                    severity: float = LEMON_SEVERITY, wom: bool = True) -> float:
    """The focal firm's NPV when a share of consumers gets a product that keeps failing for them.

    A "lemon" consumer (a fixed draw per consumer and seed, so the same consumers in every arm) has an
    open problem of `severity` every day it is a customer of the focal firm, about which it does not
    call: its own experience stays bad, and it voices and leaves as its trust falls. `wom=False`
    removes the network (no posts reach anyone, no exit talk).
    """
    model = build_run(overrides, consumers=consumers, days=days, seed=seed,
                      market=None if wom else {"network": dataclasses.replace(_composed((*BASE, *overrides))[1].network,
                                                                             degree=0)})
    lemon = lemons(model.world, share, seed)
    spoil_lemons(model.world, lemon, severity)
    while model.running:
        model.step()
        spoil_lemons(model.world, lemon, severity)
    return float(_runs(model)["npv"].iloc[-1])


@fact(8, "npv_of_bad_news", "The NPV of bad news",
      "A few dissatisfied customers (about 2%) cost the firm a substantial share of its value through "
      "word of mouth, beyond the value of the dissatisfied themselves.",
      "Goldenberg, Libai, Moldovan & Muller (2007), The NPV of bad news. IJRM 24(3)",
      region=FACT8_REGION,
      region_note="a product that rarely fails (problem_rate 0.5 a year instead of 3), Goldenberg et "
                  "al.'s setting in which dissatisfaction is rare except for the 2%; with the default rate "
                  "the customers' own problems already fill the network with complaints and the 2% add "
                  "little that can be told apart from chance.")
def fact_8(quick: bool = False, *, consumers: int | None = None, seeds: Sequence[int] | None = None) -> FactResult:
    """NPV over three years with 2% lemons against 0%, with word of mouth and without (no network),
    on the same seeds: the loss with word of mouth against the loss without it."""
    consumers, seeds = _size(8, quick, consumers, seeds)
    days, share = 1095, 0.02
    rows = []
    for seed in seeds:
        row = {"seed": seed}
        for wom in (True, False):
            base = npv_with_lemons(FACT8_REGION, share=0.0, consumers=consumers, days=days, seed=seed, wom=wom)
            bad = npv_with_lemons(FACT8_REGION, share=share, consumers=consumers, days=days, seed=seed, wom=wom)
            row["loss_wom" if wom else "loss_no_wom"] = (base - bad) / base
        rows.append(row)
    frame = pd.DataFrame(rows)
    loss_wom, loss_direct = float(frame["loss_wom"].mean()), float(frame["loss_no_wom"].mean())
    multiplier = loss_wom / loss_direct if loss_direct > 0 else float("inf")
    checks = {
        f"with word of mouth the {100 * share:g}% dissatisfied cost more than without it, on every seed "
        f"(mean {100 * loss_wom:.2f}% vs {100 * loss_direct:.2f}% of NPV)":
            bool(np.all(frame["loss_wom"] > frame["loss_no_wom"]) and loss_direct > 0),
        f"through word of mouth the firm loses more than the dissatisfied customers' own value: the loss "
        f"at least doubles (× {multiplier:.2f})": bool(multiplier >= 2.0),
    }
    fig = figures.bad_news_figure(frame, loss_direct, loss_wom, share)
    data = {"table": frame.to_dict(orient="list"), "loss_wom": loss_wom, "loss_no_wom": loss_direct,
            "multiplier": multiplier, "share": share, "consumers": consumers, "seeds": list(seeds)}
    summary = (f"2% dissatisfied cost {100 * loss_wom:.2f}% of NPV with word of mouth, "
               f"{100 * loss_direct:.2f}% without (× {multiplier:.1f})")
    return FactResult(FACTS[8], checks, data, summary, fig)
