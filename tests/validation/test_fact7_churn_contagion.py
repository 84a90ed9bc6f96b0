"""Stylized fact 7, churn contagion (Nitzan & Libai 2011): a neighbour's defection raises one's own
hazard, most in the first weeks. The hazard ratio is estimated by a logistic regression of daily churn
on the time since a neighbour left, against a placebo without exit talk. Region:
experiments/inference/fact_checks.py FACT7_REGION; docs/VALIDATION.md."""

import pytest

from relsim.experiments.inference.fact_checks import FACTS


@pytest.mark.slow
def test_a_neighbours_defection_raises_the_hazard_most_at_first() -> None:
    result = FACTS[7].check()
    assert result.passed, result.explain()
