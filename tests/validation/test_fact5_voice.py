"""Stylized fact 5, voice is rare and cost-sensitive (TARP; Hirschman 1970): complaints to the firm are
far fewer than dissatisfying experiences and fall as the support fee rises or the channel closes.
Check and region: experiments/inference/fact_checks.py (fact_5); docs/VALIDATION.md."""

from relsim.experiments.inference.fact_checks import FACTS


def test_complaints_are_rare_and_fall_with_fees_and_without_a_channel() -> None:
    result = FACTS[5].check()
    assert result.passed, result.explain()
