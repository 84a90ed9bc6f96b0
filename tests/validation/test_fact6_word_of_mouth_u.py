"""Stylized fact 6, word of mouth is an asymmetric U in satisfaction (Anderson 1998), with roughly 1-3
negative messages per positive one. The right arm of the U comes from advocacy (docs/ODD.md §7.10):
satisfied customers recommend their provider at a rate rising with trust."""

from relsim.experiments.validation import FACTS


def test_word_of_mouth_is_an_asymmetric_u_in_satisfaction() -> None:
    result = FACTS[6].check()
    assert result.passed, result.explain()


def test_the_dissatisfied_talk_more_than_the_satisfied() -> None:
    """The left arm of the U is the higher one: the least satisfied talk most."""
    result = FACTS[6].check()
    name = next(k for k in result.checks if k.startswith("the least satisfied"))
    assert result.checks[name], result.explain()
