"""Stylized fact 8, the NPV of bad news (Goldenberg, Libai, Moldovan & Muller 2007): about 2% of
dissatisfied customers cost the firm a substantial share of its NPV through word of mouth, compared
with 0% and with the same seeding without word of mouth. Region (a product that rarely fails):
experiments/inference/fact_checks.py FACT8_REGION; docs/VALIDATION.md."""

import pytest

from relsim.experiments.inference.fact_checks import FACTS


@pytest.mark.slow
def test_two_percent_dissatisfied_cost_the_firm_through_word_of_mouth() -> None:
    result = FACTS[8].check()
    assert result.passed, result.explain()
