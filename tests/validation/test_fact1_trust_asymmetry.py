"""Stylized fact 1, trust asymmetry (Slovic 1993): negative events move trust more than equal positive
ones, and rebuilding after a failure takes longer than the loss did. Check and region:
experiments/inference/fact_checks.py (fact_1); docs/VALIDATION.md."""

from relsim.experiments.inference.fact_checks import FACTS


def test_a_failure_moves_trust_more_than_an_equal_success_and_takes_longer_to_undo() -> None:
    result = FACTS[1].check()
    assert result.passed, result.explain()
