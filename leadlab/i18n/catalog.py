"""Message catalogs: gettext ``.po`` files compiled in memory with Babel, extraction, update, checks.

Message ids are the English sentences; the Chinese translations live in
``leadlab/locale/zh_CN/LC_MESSAGES/<area>.po``, one file per area of the code so
that people translating different areas never edit the same file:

=====================  ===========================================================
``leadlab.po``         top-level modules (``leadlab/*.py``) and ``leadlab/i18n/``
``<area>.po``          ``leadlab/<area>/`` (``kpi.po``, ``experiments.po``, ``cli.po`` …)
``notebooks.po``       code cells of ``notebooks/*.ipynb``
=====================  ===========================================================

At run time the files of a language are read with :func:`babel.messages.pofile.read_po`,
merged, written to an in-memory ``.mo`` with :func:`babel.messages.mofile.write_mo`
and loaded as :class:`gettext.GNUTranslations` — once per process and language, no build
step. Fuzzy and empty entries are left out, so they show the English text.

Maintenance (a module entry point, not part of the ``leadlab`` CLI)::

    python -m leadlab.i18n.catalog update [AREA ...]  # add new message ids, keep translations
    python -m leadlab.i18n.catalog check              # list what is missing or wrong (exit 1)

>>> "n/a" in extract_messages()
True
>>> translations("zh").gettext("n/a")
'无数据'
>>> area_of("leadlab/kpi/report.py"), area_of("leadlab/periods.py"), area_of("notebooks/kpi_report.ipynb")
('kpi', 'leadlab', 'notebooks')
"""

from __future__ import annotations

import ast
import functools
import gettext
import json
import os
import re
import string
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from io import BytesIO
from pathlib import Path

from leadlab.errors import ConfigError
from leadlab.i18n.lang import BABEL_LOCALES

PACKAGE_DIR = Path(__file__).resolve().parents[1]
PROJECT_DIR = PACKAGE_DIR.parent
LOCALE_DIR = PACKAGE_DIR / "locale"
DOMAIN = "leadlab"
CATALOG_FOLDERS = {"zh": "zh_CN"}  # languages with a catalog; English is the message ids themselves
CORE_AREA = "leadlab"
# keyword → which arguments are message ids (Babel's spec); all four take literals only
KEYWORDS: dict[str, object] = {"_": None, "N_": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2)}
_LITERAL_ARGS = {"_": 1, "N_": 1, "ngettext": 2, "pgettext": 2}
COMMENT_TAGS = ("Translators:",)
_MAGIC = re.compile(r"^\s*[%!]")


@dataclass(frozen=True)
class Message:
    """One extracted message: id (plural id for ``ngettext``), context and where it is used."""

    msgid: str
    plural: str | None = None
    context: str | None = None
    locations: tuple[tuple[str, int], ...] = ()
    comments: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.context, self.msgid)

    @property
    def where(self) -> str:
        path, line = self.locations[0] if self.locations else ("?", 0)
        return f"{path}:{line}"


def area_of(path: str) -> str:
    """The catalog area of a source path relative to the project (see the module docstring)."""
    parts = Path(path).parts
    if parts and parts[0] == "notebooks":
        return "notebooks"
    if len(parts) > 2 and parts[0] == "leadlab" and parts[1] != "i18n":
        return parts[1]
    return CORE_AREA


def placeholders(template: str) -> set[str]:
    """The ``{name}`` fields of a message; ValueError for anything but plain named fields.

    >>> sorted(placeholders("{rate} of {n} dials ({{literal}})"))
    ['n', 'rate']
    >>> placeholders("{rate:.1%}")
    Traceback (most recent call last):
    ...
    ValueError: placeholder {rate:.1%}: use plain named placeholders like {rate} (format values with leadlab.i18n.fmt)
    """
    names = set()
    for _literal, field, spec, conv in string.Formatter().parse(template):
        if field is None:
            continue
        if not field.isidentifier() or spec or conv:
            shown = field + (f"!{conv}" if conv else "") + (f":{spec}" if spec else "")
            raise ValueError(f"placeholder {{{shown}}}: use plain named placeholders like {{rate}} "
                             "(format values with leadlab.i18n.fmt)")
        names.add(field)
    return names


# ---------------------------------------------------------------- extraction

def _notebook_code(path: Path) -> str:
    """The code cells of a notebook, magics blanked (line numbers count over all code cells)."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    lines: list[str] = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code":
            src = cell.get("source", "")
            src = "".join(src) if isinstance(src, list) else src
            lines += ["" if _MAGIC.match(line) else line for line in src.splitlines()]
    return "\n".join(lines) + "\n"


_MARKED = re.compile(r"\b(_|N_|ngettext|pgettext)\s*\(")


def _sources(root: Path) -> list[tuple[str, str]]:
    """``(relative path, python source)`` of the package modules and notebook code that mark messages."""
    files = [p for p in sorted((root / "leadlab").rglob("*.py"))
             if not any(part.startswith(".") or part == "__pycache__" for part in p.relative_to(root).parts)]
    files += sorted((root / "notebooks").glob("*.ipynb"))
    stamp = tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files)
    return _read_sources(root, stamp)


@functools.lru_cache(maxsize=4)
def _read_sources(root: Path, stamp: tuple) -> list[tuple[str, str]]:
    out = []
    for name, _mtime, _size in stamp:
        path = Path(name)
        text = _notebook_code(path) if path.suffix == ".ipynb" else path.read_text(encoding="utf-8")
        if _MARKED.search(text):
            out.append((path.relative_to(root).as_posix(), text))
    return out


def extract_entries(root: Path = PROJECT_DIR) -> list[Message]:
    """Every message marked in the package and the notebooks, via Babel's Python extractor."""
    return list(_extract(tuple(_sources(root))))


@functools.lru_cache(maxsize=4)
def _extract(sources: tuple[tuple[str, str], ...]) -> tuple[Message, ...]:
    from babel.messages.extract import extract

    found: dict[tuple[str | None, str], dict] = {}
    for rel, source in sources:
        for lineno, message, comments, context in extract("python", BytesIO(source.encode("utf-8")),
                                                           keywords=KEYWORDS, comment_tags=COMMENT_TAGS,
                                                           strip_comment_tags=True):
            msgid, plural = (message[0], message[1]) if isinstance(message, (tuple, list)) else (message, None)
            if not msgid:
                continue
            entry = found.setdefault((context, msgid), {"plural": plural, "locations": [], "comments": []})
            entry["plural"] = entry["plural"] or plural
            entry["locations"].append((rel, lineno))
            entry["comments"] += [c for c in comments if c not in entry["comments"]]
    return tuple(Message(msgid, e["plural"], ctx, tuple(e["locations"]), tuple(e["comments"]))
                 for (ctx, msgid), e in sorted(found.items(), key=lambda kv: kv[1]["locations"][0]))


def extract_messages(root: Path = PROJECT_DIR) -> set[str]:
    """The message ids marked with ``_``, ``ngettext``, ``pgettext`` and ``N_``."""
    return {m.msgid for m in extract_entries(root)}


def check_calls(root: Path = PROJECT_DIR) -> list[str]:
    """Marking mistakes Babel's extractor skips silently: ids that are not string literals
    (f-strings, variables), malformed placeholders, and fields that do not match them."""
    out = []
    for rel, source in _sources(root):
        try:
            tree = ast.parse(source)
        except SyntaxError as exc:
            out.append(f"{rel}:{exc.lineno}: cannot parse ({exc.msg})")
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func  # _(...) or i18n._(...); not obj.ngettext(...) on a translations object
            name = (func.id if isinstance(func, ast.Name)
                    else func.attr if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) else None)
            if name not in _LITERAL_ARGS:
                continue
            where = f"{rel}:{node.lineno}"
            ids = node.args[:_LITERAL_ARGS[name]]
            if len(ids) < _LITERAL_ARGS[name] or not all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in ids):
                out.append(f"{where}: {name}() needs string literals as message ids (use translate() for ids marked with N_)")
                continue
            templates = [a.value for a in (ids[1:] if name == "pgettext" else ids)]
            try:
                wanted = set().union(*(placeholders(t) for t in templates))
            except ValueError as exc:
                out.append(f"{where}: {exc}")
                continue
            if name == "N_":
                continue
            given = {kw.arg for kw in node.keywords}
            if None in given:  # **fields: cannot check statically
                continue
            if wanted - given:
                out.append(f"{where}: {name}() lacks fields {sorted(wanted - given)} for its placeholders")
            if given - wanted:
                out.append(f"{where}: {name}() passes fields {sorted(given - wanted)} that the message does not use")
    return out


# ---------------------------------------------------------------- reading and compiling

def _catalog_files(lang: str, locale_dir: Path | None = None) -> list[tuple[str, object]]:
    """``(area, traversable)`` of the ``.po`` files of ``lang`` (empty for English).

    ``locale_dir`` None: the installed package's ``locale/`` (works from a wheel too).
    """
    folder = CATALOG_FOLDERS.get(lang)
    if folder is None:
        return []
    base = (locale_dir or resources.files("leadlab") / "locale") / folder / "LC_MESSAGES"
    if not base.is_dir():
        return []
    return sorted((item.name[:-3], item) for item in base.iterdir() if item.name.endswith(".po"))


def read_catalogs(lang: str, locale_dir: Path | None = None) -> dict[str, "babel.messages.catalog.Catalog"]:  # noqa: F821
    """The ``.po`` files of ``lang`` as Babel catalogs, by area. ConfigError for a broken file."""
    from babel.messages.pofile import PoFileError, read_po

    out = {}
    for area, item in _catalog_files(lang, locale_dir):
        try:
            out[area] = read_po(BytesIO(item.read_bytes()), locale=BABEL_LOCALES[lang], domain=DOMAIN,
                                abort_invalid=True)
        except (PoFileError, ValueError, UnicodeDecodeError) as exc:
            raise ConfigError(f"message catalog {folder_of(lang, locale_dir)}/{area}.po: {exc}") from None
    return out


def folder_of(lang: str, locale_dir: Path | None = None) -> str:
    """The catalog folder of ``lang`` as shown in messages."""
    return f"{locale_dir or 'leadlab/locale'}/{CATALOG_FOLDERS.get(lang, lang)}/LC_MESSAGES"


def _complete(message) -> bool:
    strings = message.string if isinstance(message.string, (tuple, list)) else (message.string,)
    return bool(message.id) and not message.fuzzy and all(strings)


@functools.cache
def translations(lang: str) -> gettext.NullTranslations:
    """The compiled catalog of ``lang`` (English: the message ids themselves). Cached."""
    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo

    files = read_catalogs(lang)
    if not files:
        return gettext.NullTranslations()
    merged = Catalog(locale=BABEL_LOCALES[lang], domain=DOMAIN, fuzzy=False)
    for catalog in files.values():
        for m in catalog:
            if _complete(m) and merged.get(m.id, context=m.context) is None:  # `in` ignores the context
                merged.add(m.id, m.string, context=m.context)
    buf = BytesIO()
    write_mo(buf, merged, use_fuzzy=False)
    buf.seek(0)
    return gettext.GNUTranslations(buf)


def reload() -> None:
    """Forget the compiled catalogs (after editing a ``.po`` file in a running process)."""
    translations.cache_clear()


# ---------------------------------------------------------------- checks

def problems(lang: str = "zh", root: Path = PROJECT_DIR, locale_dir: Path | None = None) -> list[str]:
    """Everything that keeps ``lang`` from being complete and correct; empty when all is well.

    Checks every extracted message has a non-empty, non-fuzzy translation in exactly
    one file, with the same ``{placeholders}`` as its id, plus :func:`check_calls`.
    """
    out = check_calls(root)
    catalogs = read_catalogs(lang, locale_dir)
    where: dict[tuple[str | None, str], list[str]] = {}
    for area, catalog in catalogs.items():
        for m in catalog:
            if m.id:
                where.setdefault((m.context, m.id if isinstance(m.id, str) else m.id[0]), []).append(area)
    for msg in extract_entries(root):
        areas = where.get(msg.key)
        label = f"{msg.where}: {msg.msgid!r}" + (f" (context {msg.context!r})" if msg.context else "")
        if not areas:
            out.append(f"{label} has no {lang} entry (run python -m leadlab.i18n.catalog update)")
            continue
        if len(areas) > 1:
            out.append(f"{label} is in several files: {', '.join(a + '.po' for a in areas)}")
        entry = catalogs[areas[0]].get(msg.msgid, context=msg.context)
        file = f"{folder_of(lang, locale_dir)}/{areas[0]}.po"
        strings = entry.string if isinstance(entry.string, (tuple, list)) else (entry.string,)
        if (msg.plural is None) != (not isinstance(entry.id, (tuple, list))):
            out.append(f"{file}: {msg.msgid!r} is used {'with' if msg.plural else 'without'} a plural form; "
                       "run the update")
            continue
        if not all(strings):
            out.append(f"{file}: {msg.msgid!r} is not translated")
            continue
        if entry.fuzzy:
            out.append(f"{file}: {msg.msgid!r} is marked fuzzy (check the translation, then remove the flag)")
        try:
            wanted = placeholders(msg.plural or msg.msgid)
            for s in strings:
                got = placeholders(s)
                if got != wanted:
                    out.append(f"{file}: {msg.msgid!r}: translation has placeholders {sorted(got)}, "
                               f"the message id has {sorted(wanted)}")
        except ValueError as exc:
            out.append(f"{file}: {msg.msgid!r}: {exc}")
    return out


def coverage(lang: str = "zh", root: Path = PROJECT_DIR, locale_dir: Path | None = None) -> tuple[int, int]:
    """``(translated, total)``: extracted ids with a complete (non-empty, non-fuzzy) entry."""
    done = {(m.context, m.id if isinstance(m.id, str) else m.id[0])
            for catalog in read_catalogs(lang, locale_dir).values() for m in catalog if _complete(m)}
    keys = [m.key for m in extract_entries(root)]
    return sum(k in done for k in keys), len(keys)


# ---------------------------------------------------------------- update

def _new_catalog(lang: str, area: str):
    from babel.messages.catalog import Catalog

    return Catalog(locale=BABEL_LOCALES[lang], domain=DOMAIN, project="leadlab", fuzzy=False,
                   header_comment=(f"# leadlab messages in {lang}, area {area!r}.\n"
                                   "# Translate the msgstr lines; see docs/i18n.md. Regenerate the entries with\n"
                                   "# python -m leadlab.i18n.catalog update"),
                   last_translator="leadlab", language_team="leadlab")


def _po_bytes(catalog) -> bytes:
    from babel.messages.pofile import write_po

    buf = BytesIO()
    write_po(buf, catalog, width=0, ignore_obsolete=True, include_previous=True, include_lineno=False)
    return buf.getvalue()


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def update(areas: Iterable[str] | None = None, lang: str = "zh", root: Path = PROJECT_DIR,
           locale_dir: Path = LOCALE_DIR) -> list[Path]:
    """Merge the extracted message ids into the ``.po`` files of ``lang``; return the files changed.

    Translations are kept; a new id lands in the file of the area where it is first used
    (or stays in the file that already has it); ids no longer used are dropped; new ids
    similar to old ones get the old translation marked fuzzy. ``areas`` limits the files touched.
    """
    from babel.messages.catalog import Catalog

    wanted_areas = set(areas) if areas else None
    existing = read_catalogs(lang, locale_dir)
    owner = {}
    for area, catalog in existing.items():
        for m in catalog:
            if m.id:
                owner.setdefault((m.context, m.id if isinstance(m.id, str) else m.id[0]), area)
    by_area: dict[str, list[Message]] = {area: [] for area in existing}
    for msg in extract_entries(root):
        by_area.setdefault(owner.get(msg.key) or area_of(msg.locations[0][0]), []).append(msg)
    changed = []
    folder = locale_dir / CATALOG_FOLDERS[lang] / "LC_MESSAGES"
    for area, messages in sorted(by_area.items()):
        if wanted_areas is not None and area not in wanted_areas:
            continue
        template = Catalog(locale=BABEL_LOCALES[lang], domain=DOMAIN, fuzzy=False)
        for msg in messages:
            files = sorted({path for path, _line in msg.locations})
            template.add((msg.msgid, msg.plural) if msg.plural else msg.msgid,
                         locations=[(f, None) for f in files], auto_comments=list(msg.comments), context=msg.context)
        po = existing.get(area) or _new_catalog(lang, area)
        po.update(template, update_creation_date=False)
        path = folder / f"{area}.po"
        data = _po_bytes(po)
        if not path.exists() or path.read_bytes() != data:
            _write_atomic(path, data)
            changed.append(path)
    reload()
    return changed


def _main(argv: list[str]) -> int:
    usage = "usage: python -m leadlab.i18n.catalog {update [AREA ...] | check}"
    if not argv or argv[0] not in ("update", "check"):
        print(usage, file=sys.stderr)
        return 2
    if argv[0] == "update":
        for path in update(argv[1:] or None):
            print(f"updated {path.relative_to(PROJECT_DIR)}")
    found = problems("zh")
    for line in found:
        print(line)
    done, total = coverage("zh")
    print(f"{total} message ids; {done} translated in zh ({done / max(total, 1):.0%}); {len(found)} problem(s)")
    return 1 if (found and argv[0] == "check") else 0

if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
