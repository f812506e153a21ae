"""The language leadlab speaks: ``"en"`` or ``"zh"`` (Simplified Chinese).

Order of choice (:func:`resolve_lang`): an explicit value (``--lang``, the ``lang``
report parameter) > ``$LEADLAB_LANG`` > ``lang = "zh"`` in ``leadlab.toml`` at the
project root > ``"en"``. :func:`set_lang` fixes the language for the process (a CLI
run, a notebook kernel); :func:`use_lang` overrides it inside a ``with`` block.

>>> resolve_lang("zh-CN"), resolve_lang("en_US")
('zh', 'en')
>>> with use_lang("zh"):
...     get_lang()
'zh'
>>> resolve_lang("fr")
Traceback (most recent call last):
...
leadlab.errors.ConfigError: lang: 'fr' is not a supported language; use en or zh (also en_US, zh_CN, zh-CN, zh-Hans)
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from leadlab.errors import ConfigError

LANGS = ("en", "zh")
BABEL_LOCALES = {"en": "en_US", "zh": "zh_Hans_CN"}  # the CLDR locale of each language
ENV = "LEADLAB_LANG"
CONFIG_FILE = "leadlab.toml"
ACCEPTED = "en or zh (also en_US, zh_CN, zh-CN, zh-Hans)"
_ALIASES = {"en": "en", "en_us": "en", "zh": "zh", "zh_cn": "zh", "zh_hans": "zh", "zh_hans_cn": "zh"}

_process_lang: str | None = None  # set_lang(): a module global, so it survives notebook cells
_block_lang: ContextVar[str | None] = ContextVar("leadlab_lang", default=None)  # use_lang()
_config_cache: dict[Path, tuple[tuple[int, int], dict]] = {}


def normalize_lang(value: object, source: str = "lang") -> str:
    """``"en"`` or ``"zh"`` for an accepted spelling; ConfigError naming ``source`` otherwise."""
    key = str(value).strip().lower().replace("-", "_") if isinstance(value, str) else None
    if key not in _ALIASES:
        shown = repr(value[:40]) if isinstance(value, str) else type(value).__name__
        raise ConfigError(f"{source}: {shown} is not a supported language; use {ACCEPTED}")
    return _ALIASES[key]


def project_config() -> dict:
    """The table in ``leadlab.toml`` at the project root (``{}`` when there is none).

    Read with :mod:`tomllib`, cached until the file changes. ConfigError when it is not TOML.
    """
    from leadlab.paths import project_root

    path = project_root() / CONFIG_FILE
    try:
        st = path.stat()
    except OSError:
        return {}
    stamp = (st.st_mtime_ns, st.st_size)
    cached = _config_cache.get(path)
    if cached and cached[0] == stamp:
        return cached[1]
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not a valid TOML file ({exc})") from None
    _config_cache[path] = (stamp, data)
    return data


def resolve_lang(explicit: str | None = None, *, source: str = "lang") -> str:
    """The language to use: ``explicit`` > ``$LEADLAB_LANG`` > ``leadlab.toml`` ``lang`` > ``"en"``.

    ``source`` names the explicit value in errors (e.g. ``"option --lang"``).

    >>> resolve_lang(None) in LANGS
    True
    """
    if explicit is not None:
        return normalize_lang(explicit, source)
    env = os.environ.get(ENV)
    if env:
        return normalize_lang(env, f"${ENV}")
    value = project_config().get("lang")
    if value is not None:
        from leadlab.paths import project_root

        return normalize_lang(value, f"{project_root() / CONFIG_FILE}, key lang")
    return "en"


def get_lang() -> str:
    """The current language: a :func:`use_lang` block, else :func:`set_lang`, else :func:`resolve_lang`."""
    return _block_lang.get() or _process_lang or resolve_lang(None)


def set_lang(lang: str | None) -> str | None:
    """Fix the language for this process and return it normalized (``None``: back to env/config)."""
    global _process_lang
    _process_lang = None if lang is None else normalize_lang(lang, "set_lang")
    return _process_lang


@contextmanager
def use_lang(lang: str) -> Iterator[str]:
    """Speak ``lang`` inside the block (thread- and task-local), then the previous language again."""
    token = _block_lang.set(normalize_lang(lang, "use_lang"))
    try:
        yield _block_lang.get()
    finally:
        _block_lang.reset(token)


def lang_or_en() -> str:
    """Like :func:`get_lang` but ``"en"`` when the environment/config is wrong.

    Used while rendering messages, so that printing the ConfigError about a bad
    ``$LEADLAB_LANG`` cannot itself fail; entry points call :func:`resolve_lang` first.
    """
    try:
        return get_lang()
    except ConfigError:
        return "en"
