"""Stylized fact 6, word of mouth is an asymmetric U in satisfaction (Anderson 1998), with roughly 1-3
negative messages per positive one. The right arm of the U comes from advocacy (docs/ODD.md §7.10):
satisfied customers recommend their provider at a rate rising with trust."""

import pytest

from relsim.experiments.inference.fact_checks import FACTS

#: A known gap, reported rather than tuned away: since service recovery became an explicit parameter at
#: its literature default (recovery_paradox = 0: a quickly resolved problem leaves trust where it was,
#: docs/ODD.md §7.6), the least satisfied decile posts fewer negative messages and the left arm of the U
#: is no longer the higher one in this fact's region (0.80 vs 0.84 per customer-year). The calibration
#: of the behavioural weights against all eight facts (issue 13) is where this is to be settled. Strict:
#: the tests fail loudly as soon as the fact holds again.
KNOWN_GAP = pytest.mark.xfail(strict=True, reason="fact 6's left arm fails since the recovery change (ODD §7.6)")


@KNOWN_GAP
def test_word_of_mouth_is_an_asymmetric_u_in_satisfaction() -> None:
    result = FACTS[6].check()
    assert result.passed, result.explain()


@KNOWN_GAP
def test_the_dissatisfied_talk_more_than_the_satisfied() -> None:
    """The left arm of the U is the higher one: the least satisfied talk most."""
    result = FACTS[6].check()
    name = next(k for k in result.checks if k.startswith("the least satisfied"))
    assert result.checks[name], result.explain()
