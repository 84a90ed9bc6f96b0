"""The vectorized engine: one day of the ODD's schedule (docs/ODD.md §3) as one compiled call.

Each phase is the compiled rule of its mechanism module, applied to the whole population's arrays;
the rules sample only the events that happen (sim/rand.py) and keep customer counts up to date, so
a day costs a few passes over the state arrays. The readable per-agent reference engine that these
rules are docked against is sim/reference.py.
"""

from __future__ import annotations

from numba import njit

from relsim.churn import _acquire, _churn
from relsim.contacts import _contact, _request_data
from relsim.economics import _account
from relsim.offer import _charge_nuisance_fees, _cut_assortment
from relsim.recorder import Recorder, _record
from relsim.support import _experience_problems, _progress_problems, _seek_support, _use
from relsim.trust import _update
from relsim.voice import _listen, _voice, _word_of_mouth
from relsim.world import World, _begin_day


def day(w: World, recorder: Recorder) -> None:
    """Advance the world by one day and record it."""
    s, b, fa = w.kernel()
    _day(s, b, fa, recorder.values, recorder.evidence, recorder.surviving, recorder.cohort_size)
    recorder.day = min(w.day, recorder.days)


@njit(cache=True)
def _day(s, b, fa, values, evidence, surviving, cohort_size) -> None:
    _begin_day(s)  # 1: clock, tenure, customers counted, today's buffers cleared
    _contact(s, b, fa)  # 2: outbound contacts and contact load (§7.2)
    _request_data(s, b, fa)  # 3: data requests (§7.3)
    _use(s, b, fa)  # 4: usage (§7.4)
    _experience_problems(s, b, fa)  # 5: problems and the defect shock (§7.5)
    _seek_support(s, b, fa)  # 6: support calls against staffed slots (§7.6)
    _progress_problems(s, b, fa)  # 7: open problems, giving up, fading (§7.5, §7.6)
    _charge_nuisance_fees(s, b, fa)  # 8: nuisance fees (§7.7)
    _cut_assortment(s, b, fa)  # 9: assortment cut and spin (§7.8)
    _voice(s, b, fa)  # 10: voice (§7.10)
    _word_of_mouth(s, b, fa)  # 11: word of mouth and exit talk (§7.11)
    _listen(s, b, fa)  # 12: listening and root-cause learning (§7.12, §7.13)
    _update(s, b, fa)  # 13: trust, intimacy, stress (§7.9, §7.14, §7.15)
    _churn(s, b, fa)  # 14: churn and switching (§7.16)
    _acquire(s, b, fa)  # 15: acquisition (§7.17)
    _account(s, b, fa)  # 16: accounting (§7.18)
    _record(s, b, values, evidence, surviving, cohort_size)  # 17: observation (§7.19)
