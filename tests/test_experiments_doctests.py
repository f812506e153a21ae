"""A docstring-adjacent check of leadlab.experiments (the examples themselves run under
``--doctest-modules leadlab`` in ``make test``)."""

from __future__ import annotations


def test_prior_dict_shrinks_the_normal_posterior():
    import numpy as np
    import pandas as pd

    from leadlab.experiments import analyze_table

    rng = np.random.default_rng(4)
    arm = np.repeat(["A", "B"], 300)
    df = pd.DataFrame({"arm": arm, "y": rng.normal(10, 3, 600) + 0.4 * (arm == "B")})
    flat = analyze_table(df, metrics=["y"])
    tight = analyze_table(df, metrics=["y"], prior={"y": 0.01})
    # a tight prior around "no effect" pulls the chance to beat control towards 50 %
    assert abs(tight.effects.chance_to_beat.iloc[0] - 0.5) < abs(flat.effects.chance_to_beat.iloc[0] - 0.5) - 0.1
