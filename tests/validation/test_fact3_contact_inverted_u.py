"""Stylized fact 3, contact volume (Godfrey, Seiders & Voss 2011): an inverted U of retention in contact
volume, whose peak comes at fewer contacts with more channels. Region (welcome, unintrusive contacts):
experiments/inference/fact_checks.py FACT3_REGION; docs/VALIDATION.md."""

import pytest

from relsim.experiments.inference.fact_checks import FACTS


@pytest.mark.slow
def test_retention_is_an_inverted_u_in_contacts_and_more_channels_move_the_peak_down() -> None:
    result = FACTS[3].check()
    assert result.passed, result.explain()
