"""Publish reports atomically and keep the report index.

A page is written to a temporary file in its destination folder and moved into place
with :func:`os.replace`, so a reader never sees half a file and a failed run never
replaces the last good report. Files get the mode the umask gives (``0644`` under the
usual ``022``), so a shared folder or a web server can serve them. A full disk or an
unwritable folder is a :class:`ReportError` naming the file; the page published before
stays in place. Every run (good or failed) is recorded in ``reports/index.json``;
``reports/index.html`` is regenerated from it after each run. Each page carries its run
facts in a meta tag, so :func:`reindex` rebuilds both index files from the pages alone.

Languages: a report in English is ``reports/<name>/<label>.html``; in another language
the label carries the language (``2026-10.zh.html``), so both are published side by side.
The index page is written in the project language (``$LEADLAB_LANG`` or ``leadlab.toml``,
:func:`leadlab.i18n.resolve_lang`), shows each report's language and the business time
zone of its times.

>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> atomic_write_text(d / "a" / "x.html", "<p>hi</p>")
>>> (d / "a" / "x.html").read_text()
'<p>hi</p>'
"""

from __future__ import annotations

import contextlib
import errno
import html
import json
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from leadlab.errors import ReportError
from leadlab.i18n import N_, _, fmt, ngettext, resolve_lang, translate, use_lang

INDEX_JSON = "index.json"
INDEX_HTML = "index.html"
#: Runs kept per (report, label) in index.json (newest first).
KEEP_RUNS = 10


@dataclass
class RunRecord:
    """One run of one report, as stored in ``reports/index.json``."""

    report: str
    label: str
    title: str
    parameters: dict[str, Any]
    status: str  # ok | failed
    started_at: str  # ISO UTC
    seconds: float
    leadlab_version: str
    html: str | None = None  # published page, relative to reports/ (ok runs)
    notebook: str | None = None  # executed notebook, relative to the project root
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    lang: str = "en"  # language of the page ("en" or "zh")

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temp file in the same folder + ``os.replace``; the
    file gets mode ``0666 & ~umask`` (mkstemp alone would leave it ``0600``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, 0o666 & ~_umask())
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def _locked(reports: Path) -> Iterator[None]:
    """Serialize index updates between processes (e.g. two cron jobs)."""
    reports.mkdir(parents=True, exist_ok=True)
    with open(reports / ".index.lock", "w") as fh:
        try:
            import fcntl

            fcntl.flock(fh, fcntl.LOCK_EX)
        except ImportError:  # pragma: no cover - Windows
            pass
        yield


def _write_error(path: Path, exc: OSError, after: str) -> ReportError:
    """A one-line ReportError for a failed write of ``path`` (disk full, read-only, ...)."""
    reason = exc.strerror or type(exc).__name__
    code = errno.errorcode.get(exc.errno or 0, "")
    return ReportError(_("cannot write {path}: {reason}; {after}", path=str(path),
                         reason=f"{reason} ({code})" if code else reason, after=after))


_RECORD_KEYS = {"report": str, "label": str, "title": str, "parameters": dict, "status": str, "started_at": str}


def load_index(reports: Path) -> list[dict[str, Any]]:
    """The run records of ``reports/index.json`` (empty when absent); ReportError when it is
    not an index leadlab wrote (checked before any report runs)."""
    path = Path(reports) / INDEX_JSON
    if not path.exists():
        return []
    fix = _("run `leadlab report reindex` to rebuild it from the published pages")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ReportError(_("{path} is not valid JSON ({problem}, line {line}); {fix}", path=str(path), problem=exc.msg,
                             line=exc.lineno, fix=fix)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ReportError(_("{path} cannot be read ({problem}); {fix}", path=str(path), problem=type(exc).__name__,
                             fix=fix)) from None
    runs = data.get("runs") if isinstance(data, dict) else None
    if not isinstance(runs, list):
        raise ReportError(_("{path} has no list of runs (not a leadlab report index); {fix}", path=str(path), fix=fix))
    for i, r in enumerate(runs):
        bad = [k for k, t in _RECORD_KEYS.items() if not isinstance(r, dict) or not isinstance(r.get(k), t)]
        if bad:
            raise ReportError(_("{path}, run {run}: field {field} missing or of the wrong type; {fix}", path=str(path),
                                run=i + 1, field=bad[0], fix=fix))
    return list(runs)


def record_run(reports: Path, record: RunRecord) -> Path:
    """Add ``record`` to index.json (keeping the newest runs per report and label) and
    regenerate index.html. Returns the path of index.html."""
    reports = Path(reports)
    with _locked(reports):
        runs = load_index(reports)
        runs.insert(0, asdict(record))
        kept, seen = [], {}
        for r in sorted(runs, key=lambda r: r["started_at"], reverse=True):
            key = (r["report"], r["label"])
            seen[key] = seen.get(key, 0) + 1
            if seen[key] <= KEEP_RUNS:
                kept.append(r)
        _write_index(reports, kept)
    return reports / INDEX_HTML


def _write_index(reports: Path, runs: list[dict[str, Any]]) -> None:
    page = index_html(runs)
    for name, text in ((INDEX_JSON, json.dumps({"version": 1, "runs": runs}, indent=1, default=str)), (INDEX_HTML, page)):
        try:
            atomic_write_text(reports / name, text)
        except OSError as exc:
            raise _write_error(reports / name, exc, _("the published pages are unchanged; free space and run "
                                                     "`leadlab report reindex`")) from None


def page_path(reports: Path, report: str, label: str) -> Path:
    """``reports/<report>/<label>.html``, refused (ReportError) when it would leave ``reports/``."""
    reports = Path(reports).resolve()
    dest = (reports / report / f"{safe_label(label)}.html").resolve()
    if not SAFE_NAME.fullmatch(report) or dest.parent != reports / report:
        raise ReportError(_("report name {name}: a page must go to reports/<name>/ (letters, digits, _ and -)",
                            name=repr(report)))
    return dest


def publish(reports: Path, record: RunRecord, page: str) -> Path:
    """Publish ``page`` as ``reports/<report>/<label>.html`` and return its path; on a
    failed write (disk full, ...) the page published before stays and ReportError says why."""
    dest = page_path(reports, record.report, record.label)
    try:
        atomic_write_text(dest, page)
    except OSError as exc:
        raise _write_error(dest, exc, _("the page published before stays in place")) from None
    record.html = f"{record.report}/{dest.name}"
    return dest


def _facts_from_file(page: Path) -> dict[str, Any]:
    from leadlab.reports.registry import get_spec

    report, label = page.parent.name, page.stem
    started = pd.Timestamp(page.stat().st_mtime, unit="s", tz="UTC").isoformat(timespec="seconds")
    return {"report": report, "label": label, "title": f"{get_spec(report).title} — {label}", "parameters": {},
            "started_at": started, "seconds": 0.0, "leadlab_version": "?", "lang": lang_of_label(label)}


def lang_suffix(lang: str) -> str:
    """What the language adds to a run label: nothing for English, ``.zh`` for Chinese.

    >>> lang_suffix("en"), lang_suffix("zh")
    ('', '.zh')
    """
    return "" if lang == "en" else f".{lang}"


def lang_of_label(label: str) -> str:
    """The language a published file name carries (``2026-10.zh`` → ``zh``, else ``en``).

    >>> lang_of_label("2026-10.zh"), lang_of_label("2026-10"), lang_of_label("as-of-2026-11-20")
    ('zh', 'en', 'en')
    """
    from leadlab.i18n import LANGS

    ending = str(label).rsplit(".", 1)[-1] if "." in str(label) else ""
    return ending if ending in LANGS and ending != "en" else "en"


def reindex(reports: Path) -> tuple[int, list[str]]:
    """Rebuild ``index.json`` and ``index.html`` from the published pages' ``leadlab-run``
    meta tags. Returns (pages indexed, pages without run facts, indexed from their path and
    time only); a corrupt index.json is kept beside as ``index.json.broken``. Failed runs
    (which publish no page) are not in the rebuilt index."""
    from leadlab.reports.render import read_run_meta

    reports = Path(reports)
    runs: list[dict[str, Any]] = []
    skipped: list[str] = []
    for page in sorted(reports.glob("*/*.html")):
        try:
            facts = read_run_meta(page.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            facts = None
        rel = f"{page.parent.name}/{page.name}"
        if not SAFE_NAME.fullmatch(page.parent.name) or not _PAGE_HREF.fullmatch(rel):
            skipped.append(rel)
            continue
        if not facts or any(not isinstance(facts.get(k), t) for k, t in _RECORD_KEYS.items() if k != "status"):
            facts = _facts_from_file(page)  # a page from an older leadlab: what its path and time say
            skipped.append(rel)
        rec = {f: facts.get(f) for f in RunRecord.__dataclass_fields__}
        rec.update(status="ok", html=rel, error=None, extra=rec.get("extra") or {},
                   seconds=float(rec.get("seconds") or 0.0),
                   lang=rec.get("lang") if rec.get("lang") in ("en", "zh") else lang_of_label(str(rec.get("label"))))
        runs.append(rec)
    with _locked(reports):
        old = reports / INDEX_JSON
        if old.exists():
            try:
                load_index(reports)
            except ReportError:
                with contextlib.suppress(OSError):
                    os.replace(old, reports / (INDEX_JSON + ".broken"))
        runs.sort(key=lambda r: r["started_at"], reverse=True)
        _write_index(reports, runs)
    return len(runs), skipped


#: Report names and published folders: letters, digits, ``_`` and ``-``.
SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}")
_PAGE_HREF = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*/[A-Za-z0-9][A-Za-z0-9._-]*\.html")


def safe_label(label: str) -> str:
    """``label`` usable as a file name and URL (ASCII letters, digits, ``-``, ``_``, ``.``).

    >>> safe_label("EXP/LEAD SCRIPT")
    'EXP-LEAD-SCRIPT'
    """
    out = "".join(c if (c.isascii() and c.isalnum()) or c in "-_." else "-" for c in str(label)).strip(".-")
    return out or "run"


# ---------------------------------------------------------------- index page
#: Status words of the index (codes stored in index.json, words shown).
_STATUS = {"ok": ("#009E73", N_("published")), "failed": ("#D55E00", N_("failed"))}
#: Each language named in itself, as language pickers do.
LANGUAGE_NAMES = {"en": "English", "zh": "中文"}
#: ``<html lang>`` of a page in each language.
HTML_LANG = {"en": "en", "zh": "zh-CN"}


def _badge(status: str) -> str:
    color, text = _STATUS.get(status, ("#7F7F7F", status))
    return f"<span class='badge' style='background:{color}'>{html.escape(translate(text))}</span>"


def _when(iso: str) -> str:
    """A run time (ISO, UTC) in the business time zone, in the current language."""
    try:
        return fmt.datetime(pd.Timestamp(iso))
    except (ValueError, TypeError):
        return str(iso)


def _sort_key(label: str, run: dict[str, Any]) -> tuple:
    """Newest period first (the run's ``period`` parameter, else the label), then newest run."""
    from leadlab.periods import parse_period

    started = str(run.get("started_at", ""))
    period = (run.get("parameters") or {}).get("period") or label
    try:
        return (1, parse_period(str(period)).start.isoformat(), label, started)
    except Exception:
        return (0, started, label)


def _seconds(v: Any) -> str:
    try:
        return _("{seconds} s", seconds=fmt.number(float(v), 1))
    except (TypeError, ValueError):
        return "?"


def _params(p: dict[str, Any]) -> str:
    from leadlab.reports.registry import parameter_name

    p = {k: v for k, v in p.items() if k != "lang"}  # the language has its own column
    if not p:
        return f"<span class='muted'>{html.escape(_('defaults'))}</span>"
    def show(v: Any) -> str:
        return v if isinstance(v, str) else ", ".join(map(str, v)) if isinstance(v, list) else json.dumps(v, default=str)

    return "<br>".join(f"{html.escape(parameter_name(k))}: <b>{html.escape(show(v))}</b>" for k, v in p.items())


def _language(run: dict[str, Any]) -> str:
    lang = run.get("lang") or lang_of_label(str(run.get("label", "")))
    return LANGUAGE_NAMES.get(str(lang), str(lang))


def index_html(runs: list[dict[str, Any]], lang: str | None = None) -> str:
    """The report index page in ``lang`` (default: the project language, ``$LEADLAB_LANG`` or
    ``leadlab.toml``): one section per report, newest period first; for each label the latest
    run with its language, status, parameters, run time, leadlab version; a failed latest run
    shows its error and links to the last good page, which stays published.

    >>> page = index_html([], lang="zh")
    >>> '<html lang="zh-CN">' in page, "还没有运行过任何报告" in page
    (True, True)
    """
    with use_lang(lang or resolve_lang(None)) as lang:
        return _index_page(runs, lang)


def _index_page(runs: list[dict[str, Any]], lang: str) -> str:
    from leadlab.reports.registry import REGISTRY, get_spec
    from leadlab.safehtml import csp_meta

    by_report: dict[str, dict[str, list[dict]]] = {}
    for r in runs:
        by_report.setdefault(r["report"], {}).setdefault(r["label"], []).append(r)
    order = [s.name for s in REGISTRY if s.name in by_report] + sorted(set(by_report) - {s.name for s in REGISTRY})
    latest_all = [sorted(v, key=lambda r: r["started_at"], reverse=True)[0] for d in by_report.values() for v in d.values()]
    failed = [r for r in latest_all if r["status"] != "ok"]
    updated = max((r["started_at"] for r in runs), default="")
    heads = "".join(f"<th>{html.escape(h)}</th>" for h in (
        _("report"), _("language"), _("status"), _("parameters"), _("generated"), _("run time"), "leadlab"))
    sections = []
    for name in order:
        spec = get_spec(name)
        rows = []
        labels = by_report[name]
        for label in sorted(labels, key=lambda lb: _sort_key(lb, labels[lb][0]), reverse=True):
            history = sorted(labels[label], key=lambda r: r["started_at"], reverse=True)
            latest = history[0]
            good = next((r for r in history if r["status"] == "ok" and r.get("html")), None)
            link = (f"<a href='{html.escape(good['html'])}'>{html.escape(label)}</a>"
                    if good and _PAGE_HREF.fullmatch(str(good["html"])) else f"<span>{html.escape(label)}</span>")
            note = ""
            if latest["status"] != "ok":
                note = f"<div class='error'>{html.escape(latest.get('error') or translate(_STATUS['failed'][1]))}</div>"
                still = (_("The last good report (from {when}) is still shown.", when=_when(good["started_at"]))
                         if good else _("No good report published yet."))
                note += f"<div class='muted'>{html.escape(still)}</div>"
            rows.append(
                f"<tr class='{html.escape(str(latest['status']))}'><td class='label'>{link}</td>"
                f"<td>{html.escape(_language(latest))}</td><td>{_badge(latest['status'])}{note}</td>"
                f"<td>{_params(latest.get('parameters') or {})}</td><td>{html.escape(_when(latest['started_at']))}</td>"
                f"<td class='num'>{html.escape(_seconds(latest.get('seconds')))}</td>"
                f"<td>{html.escape(str(latest.get('leadlab_version', '')))}</td></tr>"
            )
        sections.append(
            f"<section><h2>{html.escape(translate(spec.title))}</h2>"
            + (f"<p class='muted'>{html.escape(translate(spec.description))}</p>" if spec.description else "")
            + "<table><colgroup><col style='width:16%'><col style='width:8%'><col style='width:22%'>"
              "<col style='width:21%'><col style='width:15%'><col style='width:8%'><col style='width:10%'></colgroup>"
              f"<thead><tr>{heads}</tr></thead><tbody>" + "".join(rows) + "</tbody></table></section>"
        )
    if not runs:
        banner = ("<p class='muted'>" + html.escape(_("No report has run yet. Run {command}.", command="\0"))
                  .replace("\0", "<code>leadlab report all --period last-month</code>") + "</p>")
    elif failed:
        names = ", ".join(f"{translate(get_spec(r['report']).title)} {r['label']}" for r in failed)
        banner = ("<p class='banner bad'>" + html.escape(ngettext(
            "{n} report failed in its latest run: {names}. Earlier good versions stay published.",
            "{n} reports failed in their latest run: {names}. Earlier good versions stay published.",
            len(failed), n=fmt.number(len(failed)), names=names)) + "</p>")
    else:
        banner = f"<p class='banner good'>{html.escape(_('All reports ran successfully in their latest run.'))}</p>"
    title = _("leadlab reports")
    intro = _("Every published report, newest first. Click a report to open it. Updated {when}.",
              when=_when(updated) if updated else _("never"))
    zone = _("Times are in the business time zone: {zone}.", zone=fmt.tz_label())
    from leadlab.reports.webfont import embed_cjk_font

    return embed_cjk_font(f"""<!DOCTYPE html>
<html lang="{HTML_LANG.get(lang, lang)}"><head><meta charset="utf-8">{csp_meta()}<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>
body {{ font-family: "leadlab CJK", -apple-system, "Segoe UI", Roboto, Helvetica, Arial, "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif; margin: 2em auto; max-width: 1100px; color: #222; padding: 0 1em; }}
h1 {{ margin-bottom: 0.1em; }} h2 {{ margin: 1.6em 0 0.2em; border-bottom: 2px solid #0072B2; padding-bottom: 2px; }}
table {{ border-collapse: collapse; width: 100%; margin-top: 0.5em; table-layout: fixed; }}
th, td {{ text-align: left; padding: 6px 10px; border-bottom: 1px solid #e6e6e6; vertical-align: top; font-size: 0.95em; }}
th {{ background: #f5f7fa; font-weight: 600; }} td.num {{ text-align: right; white-space: nowrap; }}
td.label a {{ font-weight: 600; font-size: 1.05em; }} tr.failed td.label {{ color: #888; }}
.badge {{ color: white; border-radius: 3px; padding: 1px 7px; font-size: 0.85em; font-weight: 600; }}
.error {{ color: #A33; font-family: monospace; font-size: 0.85em; margin-top: 4px; white-space: pre-wrap; max-width: 32em; }}
.muted {{ color: #777; font-size: 0.9em; }} code {{ background: #f3f3f3; padding: 0 3px; border-radius: 2px; }}
.banner {{ padding: 8px 12px; border-radius: 4px; }} .banner.bad {{ background: #fdecea; color: #8a1f11; }} .banner.good {{ background: #e8f6f0; color: #0b5d43; }}
</style></head><body>
<h1>{html.escape(title)}</h1>
<p class="muted">{html.escape(intro)} {html.escape(zone)}</p>
{banner}
{''.join(sections)}
</body></html>
""")


__all__ = ["HTML_LANG", "LANGUAGE_NAMES", "SAFE_NAME", "RunRecord", "atomic_write_text", "index_html", "lang_of_label",
           "lang_suffix", "load_index", "page_path", "publish", "record_run", "reindex", "safe_label"]
