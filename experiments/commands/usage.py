"""`relsim --help`: what relsim is, its main keys with units and ranges, the commands, examples.

Built from the typed parameters (sim/params.py) and the run settings' bounds (experiments/plumbing/config.py),
so a range shown here is the range the checks enforce. It imports neither the model nor Hydra's
runtime, so it appears at once. Hydra's own help stays available as `relsim --hydra-help`.
"""

from __future__ import annotations

import dataclasses
import textwrap

from relsim.params import ENGINES, MAX_DAYS, Market, Network, Strategy, _range

#: The strategy levers shown in the help (every field is listed in docs/PARAMETERS.md).
LEVERS = ("mail_rate", "email_rate", "phone_rate", "inbound_capacity", "support_free_days", "support_fee", "price",
          "listening", "public_listening", "responsiveness", "budget")
#: The market keys shown in the help.
MARKET_KEYS = ("consumers", "initial_penetration", "discount_rate")

INTRO = """\
relsim: an agent-based simulation of relationship marketing.

Firms contact consumers, charge fees and run customer support; consumers on a social network trust,
complain, talk and leave. `relsim` runs the focal firm under each strategy in `arms` on the same
simulated customers (same seeds), and prints the paired comparison of retention, trust and profit
with 95% intervals, plus a one-line reading; the files and report.html go to the run directory.

usage: relsim [KEY=VALUE ...]           one comparison (default: one_way vs reciprocal, 10 seeds)
       relsim -m KEY=V1,V2 ...          a sweep: one job per combination (then relsim-report DIR)
       relsim --hydra-help | --cfg job  Hydra's own help / the composed config, as YAML
       relsim --version                 relsim's version and the commit of its sources"""

COMMANDS = """\
commands:
  relsim            compare strategies on the same customers (this command)
  relsim-report     the report of a sweep directory (sweep_report.html)
  relsim-app        the educator's page in a browser (bash setup.sh app)
  relsim-audit      switch each mechanism off in turn (docs/AUDIT.md)
  relsim-findings   regenerate docs/FINDINGS.md from its runs
  relsim-validate   the stylized facts, as a page
  relsim-calibrate  Bayesian calibration of the behaviour to the stylized facts (and a curve)"""

EXAMPLES = """\
examples:
  relsim arms=[one_way] seeds=3 days=365 market.consumers=2000     a quick look (a few seconds)
  relsim strategies.one_way.mail_rate=104 market=monopoly
  relsim scenario=support_fee_90d                                  a what-if against the baseline
  relsim -m strategies.one_way.mail_rate=0,40,92 seeds=20         a sweep (then relsim-report DIR)

Every key with its default, range and meaning: docs/PARAMETERS.md. Bad input gets one line naming
the key, the value and what is allowed, and exit code 2."""


def _field_line(key: str, f: dataclasses.Field, default: float, width: int) -> str:
    """A numeric parameter: its meaning, kind and range (as the checks enforce it), and its default."""
    kind = "integer" if isinstance(default, int) else "number"
    meta = f.metadata
    return _line(key, f"{meta['doc']}; {kind}{_range(meta['lo'], meta['hi'])}; default {default:g}", width)


def _line(key: str, text: str, width: int) -> str:
    """`  key   text`, the text wrapped under itself."""
    wrapped = textwrap.wrap(text, width=100 - width - 4) or [""]
    pad = " " * (width + 4)
    return "\n".join([f"  {key:<{width}}  {wrapped[0]}"] + [pad + w for w in wrapped[1:]])


def help_text(options: dict[str, list[str]], max_seeds: int) -> str:
    """The help page; `options` maps each config group (strategy, market, scenario, experiment) to its presets."""
    strategy, market = Strategy(), Market()
    fields = {f.name: f for f in dataclasses.fields(Strategy)}
    mfields = {f.name: f for f in dataclasses.fields(Market)}
    width = 32
    settings = [
        _line("arms=[A,B,...]", f"strategies the focal firm plays, compared on the same seeds; names from "
                                f"{', '.join(options['strategy'])}; default [one_way, reciprocal]", width),
        _line("seeds=N | seeds=[s1,s2,...]", f"N seeds (0 ... N-1, N in [1, {max_seeds:,}]) or a list; default 10; "
                                             "fewer than 6 cannot show a clear difference", width),
        _line("days=N", f"horizon in days, one step a day; integer in [1, {MAX_DAYS}]; default 1095 (3 years)", width),
        _line("market=NAME", f"the market preset: {', '.join(options['market'])} (the default)", width),
        _line("firm_policy=NAME", "how firms choose their levers: " + ", ".join(options["firm_policy"])
              + " (fixed, the default, keeps them; the others learn, docs/ODD.md §7.21)", width),
        _line("scenario=NAME | [A,B]", "a what-if against the baseline: " + ", ".join(
            s for s in options["scenario"] if not s.startswith("off_")) + "; off_* switch a mechanism off", width),
        _line("posterior=N", "run every arm and seed on N draws of the calibrated behaviour (relsim-calibrate's "
                             "posterior; posterior_file=PATH for another); the reading separates parameter "
                             "uncertainty from seed noise; integer in [0, 10,000]; default 0 (none)", width),
        _line("workers=N", "processes; 0 = one per core; integer in [0, 4096]; default 0", width),
        _line("engine=NAME", f"{' or '.join(ENGINES)} (the slow per-agent reference); default vectorized", width),
        _line("progress=true|false", "a progress bar on stderr; default true", width),
    ]
    levers = [_field_line(f"strategies.NAME.{name}", fields[name], getattr(strategy, name), width) for name in LEVERS]
    keys = [_field_line(f"market.{name}", mfields[name], getattr(market, name), width) for name in MARKET_KEYS]
    degree = {f.name: f for f in dataclasses.fields(Network)}["degree"]
    keys.append(_field_line("market.network.degree", degree, market.network.degree, width))
    return "\n\n".join([
        INTRO,
        "settings:\n" + "\n".join(settings),
        "\n".join(textwrap.wrap("strategy levers (NAME is a preset: " + ", ".join(options["strategy"]) + "):",
                                width=100, subsequent_indent="  ")) + "\n" + "\n".join(levers),
        "market:\n" + "\n".join(keys),
        _line("+experiment=NAME", "a preset experiment: " + ", ".join(options["experiment"]), width),
        COMMANDS,
        EXAMPLES,
    ]) + "\n"
