"""Stylized fact 6, word of mouth is an asymmetric U in satisfaction (Anderson 1998), with roughly 1-3
negative messages per positive one. The right arm of the U comes from advocacy (docs/ODD.md §7.10):
satisfied customers recommend their provider at a rate rising with trust."""

import pytest

from relsim.experiments.inference.fact_checks import FACTS

#: A known gap, reported rather than tuned away. Since the market's channels (issue 27: contacts at defaults
#: are more intrusive than the old middle firm's, docs/ODD.md §7.2) the left arm of the U holds again (the
#: least satisfied decile talks most: 1.10 against 0.82 posts per customer-year), but there are 3.1 negative
#: posts per positive one, just above the 1-3 of Anderson (1998) and East et al. (2007). Before, since the
#: recovery change (docs/ODD.md §7.6), it was the left arm that failed (0.80 vs 0.84). The calibration of the
#: behavioural weights against all eight facts (issue 13) is where this is to be settled. Strict: the tests
#: fail loudly as soon as the fact holds again.
KNOWN_GAP = pytest.mark.xfail(strict=True, reason="fact 6's ratio is 3.1 negative per positive since the channels "
                                                   "(issue 27); before, its left arm failed (ODD §7.6)")


@KNOWN_GAP
def test_word_of_mouth_is_an_asymmetric_u_in_satisfaction() -> None:
    result = FACTS[6].check()
    assert result.passed, result.explain()


def test_the_dissatisfied_talk_more_than_the_satisfied() -> None:
    """The left arm of the U is the higher one: the least satisfied talk most."""
    result = FACTS[6].check()
    name = next(k for k in result.checks if k.startswith("the least satisfied"))
    assert result.checks[name], result.explain()
