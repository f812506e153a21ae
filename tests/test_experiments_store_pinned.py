"""The store analysis (effects, p-values, segments) pinned on the seeded small store, so a change of
how the unit table is evaluated (e.g. materialised once instead of recomputed per query: issue 13,
cost curve) is shown to keep the numbers."""

from __future__ import annotations

import pytest

from leadlab.experiments import analyze

PINNED = {
    "EXP-LEAD-SCRIPT": ([446, 434], [("sql_rate", 0.01990753881, 0.3292880424),
                                     ("lead_reach_rate", -0.004261603785, 0.8007613805),
                                     ("lead_conversation_rate", 0.005178116405, 0.8217561104)],
                        10, [-0.02164502165, -0.0004807692308, 0.07318952234, 0.02747252747]),
    "EXP-REP-SCRIPT": ([3, 3], [("sql_rate", -0.07577000182, 0.008587395738),
                                ("lead_reach_rate", -0.07148715145, 0.008504224173),
                                ("lead_conversation_rate", -0.06911791507, 0.04674692353)], 0, []),
}


@pytest.mark.parametrize("experiment", sorted(PINNED))
def test_store_analysis_numbers_pinned(small_store, experiment):
    units, effects, n_segments, segment_effects = PINNED[experiment]
    r = analyze(experiment_id=experiment, url=small_store.url)
    assert [int(u) for u in r.arms.units] == units
    got = list(zip(r.effects.metric, r.effects.effect, r.effects.p_value))[:3]
    assert [m for m, _e, _p in got] == [m for m, _e, _p in effects]
    assert [e for _m, e, _p in got] == pytest.approx([e for _m, e, _p in effects], rel=1e-9, abs=1e-12)
    assert [p for _m, _e, p in got] == pytest.approx([p for _m, _e, p in effects], rel=1e-9, abs=1e-12)
    assert len(r.segments) == n_segments
    assert list(r.segments.effect.head(4)) == pytest.approx(segment_effects, rel=1e-9, abs=1e-12)
