"""Stylized fact 4, complaint handling (TARP 1979, 1986): retention orders quickly resolved > resolved >
unresolved > did not complain, the gaps widening with severity. Episodes are classified from the
world's state between days. Region (reachable support, lingering silent problems):
experiments/inference/fact_checks.py FACT4_REGION; docs/VALIDATION.md."""

import pytest

from relsim.experiments.inference.fact_checks import FACTS


@pytest.mark.slow
def test_retention_orders_complaint_outcomes_and_gaps_widen_with_severity() -> None:
    result = FACTS[4].check()
    assert result.passed, result.explain()
