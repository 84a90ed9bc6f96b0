"""Best responses: the best strategy of a class, found by an optimiser (relsim-optimize).

- ``space``: the levers searched, their ranges, and the classes (one-way, reciprocal, any), optionally at a budget;
- ``evaluate``: a candidate's summary metrics over seeds and posterior draws, on common random numbers;
- ``study``: the Optuna study in batches, deterministic and resumable;
- ``best_response``: the study, the best re-run on fresh seeds, and the files; ``preset``: the best as a strategy preset.
The report's figures are in relsim.analysis.optimize.
"""
