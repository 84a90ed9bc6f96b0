"""Write docs/calibration/synthetic_cohort.csv: a cohort retention curve the model generated with known
consumer parameters, for the calibration example of docs/VALIDATION.md.

    python docs/calibration/make_synthetic.py

The focal firm plays `middle` in market=monopoly with 5,000 consumers, seeds 100 and 101 (not the
calibration's seeds 0 and 1), the model's own trait draws, and behaviour.base_churn 0.4,
population.churn_propensity sd 1.5 and behaviour.trust_sensitivity 4 (TRUTH). The file holds the
survivors of both seeds' day-0 cohorts together at the start of each of 9 yearly periods (counts).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from relsim.experiments.inference.least_squares import make_setup
from relsim.model import RelationshipModel

TRUTH = {"behaviour.base_churn": 0.4, "population.churn_propensity.sd": 1.5, "behaviour.trust_sensitivity": 4.0}
PERIODS, PERIOD_DAYS, CONSUMERS, SEEDS = 8, 365, 5000, (100, 101)


def main() -> None:
    setup = make_setup(consumers=CONSUMERS, seeds=1, period_days=PERIOD_DAYS)
    market = setup.with_values(TRUTH)
    survivors = np.zeros(PERIODS + 1)
    for seed in SEEDS:
        model = RelationshipModel(setup.focal, market, rivals=list(setup.rivals), days=PERIODS * PERIOD_DAYS,
                                  rng=seed, consumer_agents=False)
        cohort = int(np.sum(model.world.cohort == 0))
        model.run()
        ret = model.recorder.retention()
        share = ret.loc[ret["firm"] == 0].sort_values("tenure_days")["surviving"].to_numpy()[::PERIOD_DAYS]
        survivors += np.round(share * cohort)
    path = Path(__file__).with_name("synthetic_cohort.csv")
    pd.DataFrame({"period": np.arange(PERIODS + 1), "surviving": survivors.astype(int)}).to_csv(path, index=False)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
