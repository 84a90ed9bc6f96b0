"""Stylized fact 2, retention rises with tenure (Fader & Hardie 2007): with heterogeneous churn
propensities a cohort's period-on-period retention rate rises with tenure (the sBG shape). Check and
region: experiments/inference/fact_checks.py (fact_2); docs/VALIDATION.md."""

from relsim.experiments.inference.fact_checks import FACTS


def test_yearly_retention_rate_rises_with_tenure_under_heterogeneous_propensity() -> None:
    result = FACTS[2].check()
    assert result.passed, result.explain()
