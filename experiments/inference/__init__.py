"""Calibration and the stylized facts: the model against what its sources report.

- ``space``: the parameters relsim-calibrate can fit, their priors, and a posterior's draws (the one module
  here below the run config: experiments/plumbing/config.py uses it for `posterior=N`);
- ``patterns``: the facts as target statistics; ``observers``: measurements read off a running model;
  ``battery``: the runs that measure every pattern;
- ``abc_smc``: Bayesian calibration by ABC-SMC; ``least_squares``: the churn parameters fitted to a retention
  curve; ``curve``: reading that curve; ``preset``: a market preset from a calibration; ``modes``: what
  relsim-calibrate runs;
- ``fact_checks``: the eight facts as checks (relsim-validate, tests/validation/).
- ``sbc``: simulation-based calibration of any posterior sampler (ranks, coverage, identification; Talts et al.
  2018); its rank histograms are analysis/sbc.py's.
- ``store``: a reusable, extendable Parquet store of simulations (prior draws, the battery's statistics, seeds);
  ``npe``: neural posterior estimation on it (sbijax; the npe part), checked by ``sbc`` (`python -m
  relsim.experiments.inference.npe`).
"""
