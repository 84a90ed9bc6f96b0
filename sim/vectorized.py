"""The vectorized engine: days of the ODD's schedule (docs/ODD.md §3), as many as nothing in Python needs to
see in between, in one compiled call.

Each phase is the compiled loop of its mechanism module, applied to the whole population's arrays;
the loops sample only the events that happen (sim/rand.py), keep customer counts up to date, and
compute every amount, probability and hazard by the module's rule functions, so a day costs a few
passes over the state arrays. The readable per-agent reference engine, sim/reference.py, calls the
same rule functions and is docked against this one (tests/test_docking.py).
"""

from __future__ import annotations

from numba import njit

from .assortment import _cut_assortment
from .churn import _acquire, _churn
from .contacts import _contact, _request_data
from .economics import _account
from .fees import _charge_nuisance_fees
from .intimacy import _update_intimacy
from .listening import _listen
from .recorder import Recorder, _log, _record, log_room
from .stress import _update_stress
from .support import _experience_problems, _progress_problems, _seek_support, _use
from .trust import _update_trust
from .voice import _voice
from .word_of_mouth import _word_of_mouth
from .world import World, _assign_cells, _begin_day


def day(w: World, recorder: Recorder) -> None:
    """Advance the world by one day and record it."""
    days(w, recorder, 1)


def days(w: World, recorder: Recorder, n: int, loop=None, args: tuple = ()) -> int:
    """Advance the world by up to `n` days in one compiled call and record them; returns the days advanced (fewer
    than `n` only when the episode log must grow first: call again). The same days as `n` calls of `day`.

    `loop` (default `_days`) is a compiled function with `_days`'s arguments and then `args`, that runs the days
    and may observe each, e.g. experiments/inference/battery.py's; it runs each day by calling `_days(..., 1)`
    (which returns 0, running nothing, when the log is full) and returns the days it ran.
    """
    first = w.day + 1
    recorder.reserve(w)
    s, b, fa = w.kernel()
    done = (loop or _days)(s, b, fa, recorder.values, recorder.evidence, recorder.surviving, recorder.cohort_size,
                           *recorder.log, n, *args)
    recorder.finish_days(w, first)
    return done


@njit(cache=True, nogil=True)  # days hold no Python object: the command imports its analysis meanwhile
def _days(s, b, fa, values, evidence, surviving, cohort_size, episodes, departures, logged, n) -> int:
    """Up to `n` days of `_day`, each logged for the recorder (sim/recorder.py:_log); stops before a day whose
    episodes the log might not hold, and returns the days run."""
    for k in range(n):
        if not log_room(s, episodes, departures, logged):
            return k
        _day(s, b, fa, values, evidence, surviving, cohort_size)
        _log(s, values.shape[0], episodes, departures, logged)
    return n


@njit(cache=True, inline="always")
def _day(s, b, fa, values, evidence, surviving, cohort_size) -> None:
    _begin_day(s)  # 1: clock, tenure, customers counted, today's buffers cleared,
    _assign_cells(s, fa)  # and each customer's cell (§7.22, world.py)
    _contact(s, b, fa)  # 2: outbound contacts and contact load (§7.2, contacts.py)
    _request_data(s, b, fa)  # 3: data requests (§7.3, contacts.py)
    _use(s, b, fa)  # 4: usage (§7.4, support.py)
    _experience_problems(s, b, fa)  # 5: problems and the defect shock (§7.5, support.py)
    _seek_support(s, b, fa)  # 6: support calls against staffed slots (§7.6, support.py)
    _progress_problems(s, b, fa)  # 7: open problems, giving up, fading (§7.5, §7.6, support.py)
    _charge_nuisance_fees(s, b, fa)  # 8: nuisance fees (§7.7, fees.py)
    _cut_assortment(s, b, fa)  # 9: assortment cut and spin (§7.8, assortment.py)
    _voice(s, b, fa)  # 10: voice (§7.10, voice.py)
    _word_of_mouth(s, b, fa)  # 11: word of mouth and exit talk (§7.11, word_of_mouth.py)
    _listen(s, b, fa)  # 12: listening and root-cause learning (§7.12, listening.py; §7.13, responsiveness.py)
    _update_trust(s, b, fa)  # 13: trust (§7.9, trust.py),
    _update_intimacy(s, b, fa)  # intimacy (§7.14, intimacy.py)
    _update_stress(s, b, fa)  # and stress (§7.15, stress.py)
    _churn(s, b, fa)  # 14: churn and switching (§7.16, churn.py)
    _acquire(s, b, fa)  # 15: acquisition (§7.17, churn.py)
    _account(s, b, fa)  # 16: accounting (§7.18, economics.py)
    _record(s, b, fa, values, evidence, surviving, cohort_size)  # 17: observation (§7.19, recorder.py)
