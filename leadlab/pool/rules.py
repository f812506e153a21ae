"""Public-pool (公海) rules from ``pool_rules.yml``: load and check.

``data/pool_rules.yml`` is used when it exists, else the example shipped with leadlab
(``leadlab/examples/pool_rules.yml``). A rule left out is off; an unknown key, a negative number
of days or a capacity below 1 is a ConfigError naming the file, the key and the rule.

>>> r = load_rules()
>>> r.not_followed_up_days, r.max_attempts, r.inactive_days, r.capacity_per_rep
(7, 8, 21, 25)
>>> parse_rules({"rules": {"not_followed_up_days": -3}})
Traceback (most recent call last):
leadlab.errors.ConfigError: pool_rules.yml, rules.not_followed_up_days: must be a whole number >= 0 (got -3)
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml

from leadlab.errors import ConfigError
from leadlab.i18n import _

_TOP = ("rules", "reassign")
_RULES = ("not_followed_up_days", "max_attempts", "owner_left")
_OWNER = ("reps", "inactive_days")
_REASSIGN = ("capacity_per_rep", "exclude_previous_owner", "same_team")


@dataclass(frozen=True)
class PoolRules:
    """The rules (``None`` = off) and the reassignment settings."""

    not_followed_up_days: int | None = 7
    max_attempts: int | None = 8
    left_reps: tuple[str, ...] = ()
    inactive_days: int | None = 21
    capacity_per_rep: int = 25
    exclude_previous_owner: bool = True
    same_team: bool = True
    source: str = "pool_rules.yml"


def default_rules_path() -> Path:
    """``data/pool_rules.yml`` of the project when it exists, else the shipped example."""
    from leadlab.paths import data_dir

    local = data_dir() / "pool_rules.yml"
    if local.exists():
        return local
    return Path(str(resources.files("leadlab") / "examples" / "pool_rules.yml"))


def load_rules(path: str | Path | None = None) -> PoolRules:
    """Read and check a rules file."""
    p = Path(path) if path else default_rules_path()
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(_("cannot read the pool rules {file}: {reason}", file=str(p),
                            reason=exc.strerror or type(exc).__name__)) from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(_("{file} is not valid YAML: {reason}", file=p.name, reason=str(exc).splitlines()[0][:120])) from None
    return parse_rules(raw, p.name)


def parse_rules(raw: object, source: str = "pool_rules.yml") -> PoolRules:
    """:class:`PoolRules` from parsed YAML (see the module example)."""
    raw = raw if raw is not None else {}
    _mapping(raw, source, _TOP)
    rules = raw.get("rules") or {}
    _mapping(rules, f"{source}, rules", _RULES)
    owner = rules.get("owner_left") or {}
    _mapping(owner, f"{source}, rules.owner_left", _OWNER)
    re_ = raw.get("reassign") or {}
    _mapping(re_, f"{source}, reassign", _REASSIGN)
    reps = owner.get("reps") or []
    if not isinstance(reps, list) or not all(isinstance(r, (str, int)) for r in reps):
        raise ConfigError(_("{where}: must be a list of rep ids", where=f"{source}, rules.owner_left.reps"))
    cap = _whole(re_.get("capacity_per_rep", 25), f"{source}, reassign.capacity_per_rep", minimum=1)
    flags = {}
    for k in ("exclude_previous_owner", "same_team"):
        v = re_.get(k, True)
        if not isinstance(v, bool):
            raise ConfigError(_("{where}: must be true or false (got {value})", where=f"{source}, reassign.{k}",
                                value=repr(v)[:40]))
        flags[k] = v
    return PoolRules(
        not_followed_up_days=_optional(rules, "not_followed_up_days", f"{source}, rules.not_followed_up_days"),
        max_attempts=_optional(rules, "max_attempts", f"{source}, rules.max_attempts", minimum=1),
        left_reps=tuple(str(r) for r in reps),
        inactive_days=_optional(owner, "inactive_days", f"{source}, rules.owner_left.inactive_days"),
        capacity_per_rep=cap, source=source, **flags)


def _mapping(d: object, where: str, allowed: tuple[str, ...]) -> None:
    if not isinstance(d, dict):
        raise ConfigError(_("{where}: expected a mapping with keys {keys}", where=where, keys=", ".join(allowed)))
    for k in d:
        if k not in allowed:
            raise ConfigError(_("{where}: unknown key {key}; allowed keys: {keys}", where=where, key=repr(str(k)[:40]),
                                keys=", ".join(allowed)))


def _optional(d: dict, key: str, where: str, minimum: int = 0) -> int | None:
    return None if d.get(key) is None else _whole(d[key], where, minimum)


def _whole(v: object, where: str, minimum: int = 0) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < minimum:
        raise ConfigError(_("{where}: must be a whole number >= {minimum} (got {value})", where=where,
                            minimum=str(minimum), value=repr(v)[:40]))
    return int(v)
