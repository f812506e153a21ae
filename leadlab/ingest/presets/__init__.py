"""Mapping files shipped with leadlab for common export formats (``leadlab ingest --preset NAME``).

>>> names()
['crm_followups_zh', 'crm_leads_zh', 'crm_reps_zh', 'dialer_cdr_zh', 'leads_zh']
>>> load("dialer_cdr_zh", "calls").values["disposition"].pairs["空号"]
'invalid_number'
"""

from __future__ import annotations

from importlib import resources

from leadlab.errors import ConfigError
from leadlab.i18n import _


def names() -> list[str]:
    """The shipped presets, sorted."""
    return sorted(p.name[:-4] for p in resources.files(__name__).iterdir() if p.name.endswith(".yml"))


def load(name: str, table: str):
    """The preset ``name`` as a :class:`~leadlab.ingest.mapping.ColumnMapping` for ``table``;
    ConfigError listing the presets for an unknown name."""
    from leadlab.ingest.mapping import ColumnMapping

    if name not in names():
        raise ConfigError(_("unknown preset {name} (--preset); presets: {valid}", name=repr(name[:40]),
                            valid=", ".join(names())))
    with resources.as_file(resources.files(__name__) / f"{name}.yml") as path:
        return ColumnMapping.load(path, table, source=_("preset {name}", name=name))
