"""The QA scoring form and sampling weights (``qa.yml``): load, check, describe.

The form lists the items a reviewer scores (id, English and Chinese names, scale
``min``–``max``); ``sampling`` says which calls are reviewable and how the sample
leans towards long, converted and complaint calls (a call's selection weight is the
product of the weights of the flags it has). ``data/qa.yml`` is used when it exists,
else the example shipped with leadlab (``leadlab/examples/qa.yml``).

>>> form = load_form()
>>> form.form_id, form.item_ids[:2], form.item("compliance").scale
('standard-v1', ('opening', 'discovery'), (0.0, 1.0))
>>> form.weights
{'long': 2.0, 'converted': 3.0, 'complaint': 4.0}
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml

from leadlab.errors import ConfigError
from leadlab.i18n import _, get_lang

#: flags a call can have that the sample may lean towards
FLAGS = ("long", "converted", "complaint")
_TOP_KEYS = ("form", "items", "sampling")
_ITEM_KEYS = ("id", "en", "zh", "min", "max")
_SAMPLING_KEYS = ("min_talk_seconds", "long_talk_seconds", "weights")


@dataclass(frozen=True)
class FormItem:
    """One scored item: id, names and scale (inclusive)."""

    id: str
    en: str
    zh: str
    min: float
    max: float

    @property
    def scale(self) -> tuple[float, float]:
        return (self.min, self.max)

    def name(self) -> str:
        """The item's name in the current language."""
        return self.zh if get_lang() == "zh" and self.zh else self.en

    def normalise(self, score: float) -> float:
        """A score on 0–1 (0 = the scale's minimum, 1 = its maximum).

        >>> FormItem("x", "X", "X", 1, 5).normalise(4)
        0.75
        """
        return (score - self.min) / (self.max - self.min)


@dataclass(frozen=True)
class Form:
    """The QA form (``items``) and the sampling rules; ``source`` names the file for messages."""

    form_id: str
    items: tuple[FormItem, ...]
    min_talk_seconds: float = 30.0
    long_talk_seconds: float = 300.0
    weights: dict | None = None
    source: str = "qa.yml"

    @property
    def item_ids(self) -> tuple[str, ...]:
        return tuple(i.id for i in self.items)

    def item(self, item_id: str) -> FormItem:
        for i in self.items:
            if i.id == item_id:
                return i
        raise ConfigError(_("{file}: the form has no item {item}; items: {items}", file=self.source,
                            item=repr(item_id), items=", ".join(self.item_ids)))


def default_form_path() -> Path:
    """``data/qa.yml`` of the project when it exists, else the shipped example."""
    from leadlab.paths import data_dir

    local = data_dir() / "qa.yml"
    if local.exists():
        return local
    return Path(str(resources.files("leadlab") / "examples" / "qa.yml"))


def load_form(path: str | Path | None = None) -> Form:
    """Read and check a QA form file; ConfigError naming the file, entry and rule otherwise."""
    p = Path(path) if path is not None else default_form_path()
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(_("cannot read the QA form {file}: {reason}", file=str(p),
                            reason=exc.strerror or type(exc).__name__)) from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(_("{file} is not valid YAML: {reason}", file=p.name,
                            reason=str(exc).splitlines()[0][:120])) from None
    return parse_form(raw, p.name)


def parse_form(raw: object, source: str = "qa.yml") -> Form:
    """A :class:`Form` from parsed YAML.

    >>> parse_form({"form": "f", "items": [{"id": "a", "en": "A", "zh": "甲", "min": 1, "max": 3}]}).item("a").max
    3.0
    >>> parse_form({"form": "f", "items": [], "colour": 1})
    Traceback (most recent call last):
    leadlab.errors.ConfigError: qa.yml: unknown key 'colour'; allowed keys: form, items, sampling
    """
    if not isinstance(raw, dict):
        raise ConfigError(_("{file}: expected a mapping with keys {keys}", file=source, keys=", ".join(_TOP_KEYS)))
    _known(raw, _TOP_KEYS, source)
    items_raw = raw.get("items")
    if not isinstance(items_raw, list) or not items_raw:
        raise ConfigError(_("{file}: items must be a non-empty list of form items", file=source))
    items: list[FormItem] = []
    for n, it in enumerate(items_raw, start=1):
        where = _("{file}, item {n}", file=source, n=str(n))
        if not isinstance(it, dict):
            raise ConfigError(_("{where}: expected a mapping with keys {keys}", where=where, keys=", ".join(_ITEM_KEYS)))
        _known(it, _ITEM_KEYS, where)
        iid = it.get("id")
        if not isinstance(iid, str) or not iid.strip():
            raise ConfigError(_("{where}: id must be a non-empty text", where=where))
        if iid in {i.id for i in items}:
            raise ConfigError(_("{where}: item id {item} appears twice", where=where, item=repr(iid)))
        lo, hi = _number(it.get("min"), where, "min"), _number(it.get("max"), where, "max")
        if not lo < hi:
            raise ConfigError(_("{where}: min ({low}) must be below max ({high})", where=where, low=str(lo), high=str(hi)))
        items.append(FormItem(iid, str(it.get("en") or iid), str(it.get("zh") or it.get("en") or iid), lo, hi))
    sampling = raw.get("sampling") or {}
    if not isinstance(sampling, dict):
        raise ConfigError(_("{file}: sampling must be a mapping with keys {keys}", file=source, keys=", ".join(_SAMPLING_KEYS)))
    where = _("{file}, sampling", file=source)
    _known(sampling, _SAMPLING_KEYS, where)
    weights_raw = sampling.get("weights") or {}
    if not isinstance(weights_raw, dict):
        raise ConfigError(_("{where}: weights must be a mapping of {keys} to positive numbers", where=where,
                            keys=", ".join(FLAGS)))
    _known(weights_raw, FLAGS, where)
    weights = {f: _number(weights_raw.get(f, 1), where, f) for f in FLAGS}
    for f, w in weights.items():
        if w <= 0:
            raise ConfigError(_("{where}: weight {name} must be > 0 (got {value})", where=where, name=f, value=str(w)))
    min_talk = _number(sampling.get("min_talk_seconds", 30), where, "min_talk_seconds")
    long_talk = _number(sampling.get("long_talk_seconds", 300), where, "long_talk_seconds")
    if min_talk < 0 or long_talk < 0:
        raise ConfigError(_("{where}: min_talk_seconds and long_talk_seconds must be >= 0", where=where))
    return Form(str(raw.get("form") or "form"), tuple(items), min_talk, long_talk, weights, source)


def _known(d: dict, allowed: tuple[str, ...], where: str) -> None:
    for k in d:
        if k not in allowed:
            raise ConfigError(_("{where}: unknown key {key}; allowed keys: {keys}", where=where, key=repr(str(k)[:40]),
                                keys=", ".join(allowed)))


def _number(v: object, where: str, key: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(float(v)):
        raise ConfigError(_("{where}: {key} must be a number (got {value})", where=where, key=key, value=repr(v)[:40]))
    return float(v)
