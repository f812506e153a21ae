"""Public-pool (公海) rules: which open leads return to the pool, who should take them, and the pool's flow
in a period (docs/pool.md).

>>> from leadlab.pool import load_rules
>>> load_rules().capacity_per_rep
25
"""

from leadlab.pool.rules import PoolRules, load_rules, parse_rules
from leadlab.pool.recycle import RecycleResult, recycle

__all__ = ["PoolRules", "RecycleResult", "load_rules", "parse_rules", "recycle"]
