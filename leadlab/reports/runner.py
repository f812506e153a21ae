"""Run report notebooks: check parameters, execute with papermill, render, publish, record.

One run = :func:`run_report`:

1. parameters are checked against the notebook's ``parameters`` cell (unknown name, wrong
   type or credential-looking → ConfigError before anything runs);
2. a relative ``period`` (``last-month``) is resolved against the store's latest activity
   and passed as a concrete label (``2026-10``), which also names the published file; the
   language too is made concrete: the ``lang`` parameter, else the current language
   (``--lang``, ``$LEADLAB_LANG``, ``leadlab.toml``, English); a page in another language
   than English carries it in its name (``2026-10.zh.html``);
3. papermill executes the notebook into ``build/reports/<name>/<label>.ipynb`` with a
   per-cell timeout, in a kernel whose cwd is the project root and whose environment has
   ``LEADLAB_HOME``, ``LEADLAB_LANG`` (and ``LEADLAB_DB`` when ``db`` is given) — the
   connection never travels as a parameter;
4. the executed notebook is rendered to HTML without code and published atomically to
   ``reports/<name>/<label>.html``; a failure publishes nothing and keeps the last good page;
5. the run (ok or failed, with its error) is recorded in ``reports/index.json`` and
   ``reports/index.html`` is regenerated.

``report all`` (:func:`run_all`) runs the reports in shared kernels (:class:`SharedKernel`):
each started once, its namespace reset between reports, so the imports (pandas, Ibis,
matplotlib, leadlab: about 4 s of CPU) are paid once per kernel instead of once per report.
It keeps the cores busy: on a DuckDB store and two cores or more, two kernels run reports side
by side (:func:`kernel_lanes`); each kernel starts at once and imports the modules the
notebooks import (:func:`notebook_imports`) while this process plans the runs; and each
executed notebook is rendered, published and recorded in a background thread, in registry
order, while the kernels go on. Kernels start one at a time (parallel starts in one process
race on ports and on the environment). The pages are the same as run one by one.
"""

from __future__ import annotations

import contextlib
import contextvars
import ast
import hashlib
import json
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pandas as pd

from leadlab.errors import ConfigError, LeadlabError, ReportError, StoreError
from leadlab.i18n import _, fmt, get_lang, resolve_lang, translate, use_lang
from leadlab.reports.params import SECRET_NAME, Param, check_parameters, declared_parameters
from leadlab.reports.publish import SAFE_NAME, RunRecord, lang_suffix, load_index, publish, record_run, safe_label
from leadlab.reports.registry import PATH_KEYWORDS, PATH_PARAMETERS, REGISTRY, ReportSpec, get_spec, parameter_name

DEFAULT_TIMEOUT = 600
KERNEL = "python3"


def _root(root: str | Path | None) -> Path:
    from leadlab.paths import project_root

    return Path(root).resolve() if root is not None else project_root()


def available_notebooks(root: str | Path | None = None) -> list[str]:
    """Names of the notebooks in ``<root>/notebooks`` (registered ones first, in run order);
    only plain names (letters, digits, ``_``, ``-``) count."""
    folder = _root(root) / "notebooks"
    found = ({p.stem for p in folder.glob("*.ipynb") if SAFE_NAME.fullmatch(p.stem)}
             if folder.is_dir() else set())
    registered = [s.name for s in REGISTRY if s.name in found]
    return registered + sorted(found - set(registered))


def notebook_path(name: str, root: str | Path | None = None) -> Path:
    """``notebooks/<name>.ipynb`` for a NAME from the list of report notebooks (never a path
    built from the user's text); ConfigError listing the available names otherwise."""
    names = available_notebooks(root)
    if not isinstance(name, str) or name not in names:
        shown = repr(name) if len(str(name)) <= 80 else repr(str(name)[:77] + "...")
        listed = ", ".join(names) or _("none")
        if not SAFE_NAME.fullmatch(str(name)):
            raise ConfigError(_("no report notebook {name}: NAME is not a report name (letters, digits, _ and -; no path); "
                                "available: {names}", name=shown, names=listed))
        raise ConfigError(_("no report notebook {name}: NAME is not in notebooks/; available: {names}",
                            name=shown, names=listed))
    folder = (_root(root) / "notebooks").resolve()
    path = folder / f"{name}.ipynb"
    if path.resolve().parent != folder:
        raise ConfigError(f"notebooks/{name}.ipynb is a link to a file outside notebooks/; refused")
    return path


def confine_paths(params: dict[str, Any], declared: dict[str, Param], root: Path, report: str) -> None:
    """Refuse (ConfigError) a path parameter (:data:`~leadlab.reports.registry.PATH_PARAMETERS`)
    whose file would lie outside its folder once resolved (``..``, absolute paths, links)."""
    for name, folder in PATH_PARAMETERS.items():
        if name not in params:
            continue
        value = params[name]
        if value in (None, "") or value in PATH_KEYWORDS.get(name, ()):
            continue
        rule = f"a file named by -p {name} must lie inside {folder}/ of the project"
        if not isinstance(value, str):
            raise ConfigError(f"report {report}, parameter {name}: {value!r} is not a file name; {rule}")
        base = (root / folder).resolve()
        target = (root / value).resolve()  # an absolute value replaces root
        if not target.is_relative_to(base) or target == base:
            raise ConfigError(f"report {report}, parameter {name}: {value!r} is outside {folder}/; {rule}")


def _slug(value: Any) -> tuple[str, bool]:
    """A file-name part for ``value`` and whether it is lossless (equals the value's text)."""
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    slug = safe_label(text)[:40] if re.search(r"[A-Za-z0-9]", text) else "x"
    return slug, slug == text


def run_label(spec: ReportSpec, declared: dict[str, Param], params: dict[str, Any], base: str | None) -> str:
    """The published file name: ``base`` (period, experiment id or as-of date), then every
    other parameter whose value differs from the notebook default as ``_name-value``, then a
    short hash when any part had to be shortened or cleaned, so that two runs with different
    content never share a page.

    >>> d = {"period": Param("period", "str", '"last-month"', ""), "team": Param("team", "str", '""', "")}
    >>> run_label(ReportSpec("kpi_report", "KPI"), d, {"period": "2026-10", "team": ""}, "2026-10")
    '2026-10'
    >>> run_label(ReportSpec("kpi_report", "KPI"), d, {"period": "2026-10", "team": "East"}, "2026-10")
    '2026-10_team-East'
    >>> run_label(ReportSpec("kpi_report", "KPI"), d, {"period": "2026-10", "team": "<East>"}, "2026-10")
    '2026-10_team-East_3c50593f'
    >>> run_label(ReportSpec("kpi_report", "KPI"), d, {"period": "2026-10", "team": "华东"}, "2026-10")
    '2026-10_team-x_6c44e798'
    """
    base_param = spec.label_param if spec.label_param in declared else ("period" if "period" in declared else None)
    parts, lossless = [], True
    if base is not None:
        slug, ok = _slug(base)
        parts.append(slug)
        lossless &= ok
    extras = {k: v for k, v in sorted(params.items())  # the language is the file's suffix (plan_run)
              if k != base_param and k != "lang" and (k == "period" or v != declared[k].default_value)}
    for k, v in extras.items():
        slug, ok = _slug(v)
        parts.append(f"{k}-{slug}")
        lossless &= ok
    label = "_".join(p for p in parts if p) or "run"
    if not lossless:
        digest = hashlib.sha256(json.dumps([base, extras], sort_keys=True, default=str).encode()).hexdigest()[:8]
        label = f"{label}_{digest}"
    return safe_label(label)


def check_index(root: Path) -> None:
    """Before anything runs: ``reports/index.json`` must be readable (ReportError otherwise)."""
    load_index(root / "reports")


# ---------------------------------------------------------------- environment and secrets
def absolute_db(url: str | None) -> str | None:
    """A relative DuckDB path made absolute (from the current folder), so the kernel, whose
    cwd is the project root, opens the same file. Other URLs are returned unchanged.

    >>> absolute_db("duckdb:///tmp/x.duckdb"), absolute_db("postgres://h/db"), absolute_db(None)
    ('duckdb:///tmp/x.duckdb', 'postgres://h/db', None)
    """
    from leadlab.store import absolute_url

    return absolute_url(url)


@contextlib.contextmanager
def kernel_environment(root: Path, db: str | None, lang: str | None = None) -> Iterator[None]:
    """Set ``LEADLAB_HOME`` (``LEADLAB_LANG``, ``LEADLAB_DB``) for the kernel, restore afterwards."""
    saved = {k: os.environ.get(k) for k in ("LEADLAB_HOME", "LEADLAB_DB", "LEADLAB_LANG")}
    os.environ["LEADLAB_HOME"] = str(root)
    if lang:
        os.environ["LEADLAB_LANG"] = lang
    db = absolute_db(db or os.environ.get("LEADLAB_DB"))
    if db:
        os.environ["LEADLAB_DB"] = db
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


#: Namespace reset between two reports in a shared kernel (modules stay imported).
_RESET = "get_ipython().run_line_magic('reset', '-f')\nimport matplotlib.pyplot\nmatplotlib.pyplot.close('all')\n"
#: Imports a shared kernel runs while the first report is planned (module names only, see _MODULE).
_WARM = ("import importlib\nfor _m in {modules!r}:\n    try:\n        importlib.import_module(_m)\n"
         "    except Exception:\n        pass\ndel _m, importlib\n")
_MODULE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


def notebook_imports(paths: Iterable[Path]) -> list[str]:
    """The modules the code cells of these notebooks import at top level (``import x.y``,
    ``from x.y import z``; relative imports and cells that do not parse are left out), sorted.

    >>> import nbformat, tempfile
    >>> nb = nbformat.v4.new_notebook()
    >>> nb.cells = [nbformat.v4.new_code_cell("import matplotlib.pyplot as plt\\nfrom leadlab.kpi import report"),
    ...             nbformat.v4.new_code_cell("%matplotlib inline"), nbformat.v4.new_markdown_cell("import os")]
    >>> path = Path(tempfile.mkdtemp()) / "x.ipynb"
    >>> nbformat.write(nb, str(path))
    >>> notebook_imports([path])
    ['leadlab.kpi', 'matplotlib.pyplot']
    """
    import nbformat

    found: set[str] = set()
    for path in paths:
        with contextlib.suppress(Exception):
            for cell in nbformat.read(str(path), as_version=4).cells:
                if cell.cell_type != "code":
                    continue
                try:
                    tree = ast.parse(cell.source)
                except SyntaxError:
                    continue
                for node in tree.body:
                    if isinstance(node, ast.Import):
                        found.update(a.name for a in node.names)
                    elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                        found.add(node.module)
    return sorted(m for m in found if _MODULE.fullmatch(m))



class SharedKernel:
    """A kernel reused for runs of ``report all``: started (:meth:`start`, or at the first run) in
    that run's folder and environment (:func:`kernel_environment`), its variables and figures
    cleared before each later run, shut down after a failed run (a fresh one starts for the next)
    and at the end. A run with another folder, store or language gets its own kernel."""

    def __init__(self) -> None:
        self.km = None
        self.key: tuple | None = None
        self._warm = None

    def manager(self, root: Path, db: str | None, lang: str | None):
        """The kernel manager for a run, started or reset."""
        if not self.start(root, db, lang):
            self._run(_RESET)
        return self.km

    def start(self, root: Path, db: str | None, lang: str | None, warm: Iterable[str] = ()) -> bool:
        """Start the kernel for this folder, store and language unless it runs already
        (True when started); ``warm``: modules it imports at once, without waiting (the
        first report's requests queue behind them; an import error is left for the
        notebook to report)."""
        key = (str(root), db, lang)
        if self.km is not None and self.key != key:
            self.close()
        if self.km is not None:
            return False
        from jupyter_client.manager import KernelManager

        with _STARTING, kernel_environment(root, db, lang):  # one start at a time: the environment is global
            km = KernelManager(kernel_name=KERNEL)
            km.start_kernel(cwd=str(root), extra_arguments=["--IPKernelApp.log_level=CRITICAL"])
        self.km, self.key = km, key
        modules = sorted(m for m in warm if _MODULE.fullmatch(m))
        if modules:
            self._warm = threading.Thread(target=self._import, args=(_WARM.format(modules=modules),),
                                          name="leadlab-kernel-warm-up", daemon=True)
            self._warm.start()
        return True

    def _import(self, code: str) -> None:
        """Run ``code`` in the kernel once it is ready (a request sent earlier is lost);
        errors are left for the first report, which then fails with its own message."""
        with contextlib.suppress(Exception):
            self._run(code, wait=False)

    def _stop_warm(self) -> None:
        """Wait for the warm-up request to be sent and answered (the kernel runs one request at a time)."""
        if self._warm is not None:
            self._warm.join(timeout=300)
            self._warm = None

    def _run(self, code: str, wait: bool = True) -> None:
        if wait:
            self._stop_warm()
        kc = self.km.client()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=120)
            kc.execute_interactive(code, timeout=300, silent=not wait, store_history=False, output_hook=lambda msg: None)
        finally:
            kc.stop_channels()

    def close(self) -> None:
        self._stop_warm()
        if self.km is not None:
            with contextlib.suppress(Exception):
                self.km.shutdown_kernel(now=True)
        self.km, self.key = None, None


_STARTING = threading.Lock()
_SHARED: contextvars.ContextVar[SharedKernel | None] = contextvars.ContextVar("leadlab_shared_kernel", default=None)


def kernel_lanes(db: str) -> int:
    """How many kernels ``report all`` runs side by side: two on a machine with two cores or more
    when the store is a DuckDB file (each kernel holds its own read-only connection); one
    otherwise (a PostgreSQL or Spark store does the work itself; Spark would start two JVMs).

    >>> kernel_lanes("postgresql://h/db")
    1
    """
    from leadlab.store import is_duckdb

    return 2 if (os.cpu_count() or 1) >= 2 and is_duckdb(db) else 1


@contextlib.contextmanager
def shared_kernel() -> Iterator[SharedKernel]:
    """Within the block, :func:`execute` runs every report in one :class:`SharedKernel`."""
    pool = SharedKernel()
    token = _SHARED.set(pool)
    try:
        yield pool
    finally:
        _SHARED.reset(token)
        pool.close()


_NOT_SECRET = {"PWD", "OLDPWD", "LEADLAB_HOME"}


def secrets_in_environment(db: str | None = None) -> list[str]:
    """Values that must never reach an output: the password of the store URL and the values
    of environment variables named like credentials (``PGPASSWORD``, ``API_TOKEN``, ...)."""
    out: list[str] = []
    url = db or os.environ.get("LEADLAB_DB") or ""
    with contextlib.suppress(ValueError):
        parts = urlsplit(url)
        if parts.password:
            out.append(parts.password)
    for name, value in os.environ.items():
        if (SECRET_NAME.search(name) and value and len(value) >= 6 and name not in _NOT_SECRET
                and not name.upper().endswith(("_PATH", "_FILE", "_DIR", "_SOCK"))):
            out.append(value)
    return sorted(set(out), key=len, reverse=True)


def scrub(text: str, secrets: list[str]) -> str:
    """``text`` with every secret replaced by ``***``."""
    for s in secrets:
        text = text.replace(s, "***")
    return text


# ---------------------------------------------------------------- planning
@dataclass
class PlannedRun:
    """A checked, ready-to-run report: notebook, final parameters, label, page title, language."""

    name: str
    path: Path
    parameters: dict[str, Any]
    label: str
    title: str
    declared: dict[str, Param] = field(default_factory=dict)
    lang: str = "en"


def run_language(params: dict[str, Any], declared: dict[str, Param], lang: str | None = None) -> str:
    """The language of a run: the ``lang`` parameter when given (``""``: not given), else
    ``lang``, else the current language; ConfigError naming the parameter when unsupported.
    A notebook declaring ``lang`` gets the concrete value as its parameter.

    >>> d = {"lang": Param("lang", "str", '""', "")}
    >>> p = {"lang": "zh-CN"}
    >>> run_language(p, d), p
    ('zh', {'lang': 'zh'})
    >>> run_language({"lang": "fr"}, d)
    Traceback (most recent call last):
    ...
    leadlab.errors.ConfigError: parameter lang: 'fr' is not a supported language; use en or zh (also en_US, zh_CN, zh-CN, zh-Hans)
    """
    given = params.get("lang")
    if given not in (None, ""):
        chosen = resolve_lang(str(given), source="parameter lang")
    else:
        chosen = resolve_lang(lang, source="option --lang") if lang else get_lang()
    if "lang" in declared:
        params["lang"] = chosen
    return chosen


def page_title(spec: ReportSpec, label: str, params: dict[str, Any], lang: str) -> str:
    """The page title in ``lang``: the report's title, then the period in words (or the label).

    >>> spec = get_spec("kpi_report")
    >>> page_title(spec, "2026-10", {"period": "2026-10"}, "zh"), page_title(spec, "2026-10_team-East", {"period": "2026-10"}, "en")
    ('关键指标报告 — 2026年10月', 'KPI report — October 2026 (team-East)')
    """
    core = label[: -len(lang_suffix(lang))] if lang_suffix(lang) and label.endswith(lang_suffix(lang)) else label
    with use_lang(lang):
        period = params.get("period")
        shown = core
        if isinstance(period, str) and core.startswith(period):
            try:
                rest = core[len(period):].lstrip("_")
                shown = fmt.period_label(period) + (f" ({rest})" if rest else "")
            except ConfigError:
                shown = core
        return _("{report} — {label}", report=translate(spec.title), label=shown)


def header_facts(run: "PlannedRun", started: pd.Timestamp, version: str) -> dict[str, str]:
    """The grey header line of a page, in the run's language: parameters (period in words),
    generation time and the business time zone it is given in, leadlab version."""
    with use_lang(run.lang):
        meta: dict[str, str] = {}
        for k, v in run.parameters.items():
            if k == "lang":
                continue
            shown = ", ".join(map(str, v)) if isinstance(v, list) else v
            if k == "period" and isinstance(v, str):
                with contextlib.suppress(ConfigError):
                    shown = fmt.period_label(v)
            meta[parameter_name(k)] = shown
        meta[_("generated")] = fmt.datetime(started)
        meta[_("time zone")] = fmt.tz_label(started)
        meta["leadlab"] = version
        return meta


def effective_db(db: str | None, root: Path) -> str:
    """The store URL the kernel will use: ``db``, else ``$LEADLAB_DB``, else ``<root>/data/leadlab.duckdb``."""
    return absolute_db(db or os.environ.get("LEADLAB_DB")) or f"duckdb://{root / 'data' / 'leadlab.duckdb'}"


def _store_as_of(db: str | None) -> pd.Timestamp | None:
    """Latest activity in the store, or None when the store cannot be opened (the kernel
    will then report the problem itself). The connection is closed before any kernel starts:
    DuckDB allows only one writing process."""
    from leadlab.overview import store_as_of
    from leadlab.store import disconnect, open_read_only, store_exists

    if not store_exists(db):
        return None
    try:
        con = open_read_only(db)
    except StoreError:
        return None
    try:
        return store_as_of(con)
    except Exception:
        return None
    finally:
        with contextlib.suppress(Exception):
            disconnect(con)


def plan_run(name: str, parameters: dict[str, Any] | None = None, *, root: str | Path | None = None,
             db: str | None = None, label: str | None = None, from_text: bool = False,
             as_of: pd.Timestamp | None = None, lang: str | None = None) -> PlannedRun:
    """Check ``parameters`` for notebook ``name`` and work out label, title and language
    (no execution). ``lang`` is the language when the ``lang`` parameter is not given."""
    from leadlab.periods import parse_period

    path = notebook_path(name, root)
    declared = declared_parameters(path)
    params = check_parameters(path, dict(parameters or {}), from_text=from_text, declared=declared)
    confine_paths(params, declared, _root(root), name)
    try:
        run_lang = run_language(params, declared, lang)
    except ConfigError as exc:
        raise ConfigError(f"report {name}: {exc.message}") from None
    spec: ReportSpec = get_spec(name)
    period = None
    if "period" in declared:
        value = params.get("period", declared["period"].default_value)
        if isinstance(value, str) and value.strip():
            relative = value.strip().lower().startswith(("last-", "yesterday"))
            if relative and as_of is None:
                as_of = _store_as_of(effective_db(db, _root(root)))
            try:
                period = parse_period(value, as_of=as_of)
            except ConfigError as exc:
                raise ConfigError(f"report {name}: {exc.message}") from None
            params["period"] = period.label
    if label is None:
        base = None
        if spec.label_param and spec.label_param != "period" and spec.label_param in declared:
            value = params.get(spec.label_param, declared[spec.label_param].default_value)
            base = str(value) if value not in (None, "") else None
        if base is None and period is not None:
            base = period.label
        if base is None:
            as_of = as_of if as_of is not None else _store_as_of(effective_db(db, _root(root)))
            base = f"as-of-{(as_of if as_of is not None else pd.Timestamp.now()):%Y-%m-%d}"
        label = run_label(spec, declared, params, base)
    label = safe_label(label)
    if lang_suffix(run_lang) and not label.endswith(lang_suffix(run_lang)):
        label += lang_suffix(run_lang)  # both languages side by side: 2026-10.html, 2026-10.zh.html
    return PlannedRun(name, path, params, label, page_title(spec, label, params, run_lang), declared, run_lang)


# ---------------------------------------------------------------- running
def _leadlab_error_names() -> set[str]:
    names, todo = set(), [LeadlabError]
    while todo:
        cls = todo.pop()
        names.add(cls.__name__)
        todo.extend(cls.__subclasses__())
    return names


def _error_message(exc: BaseException) -> str:
    """One line for the index and the CLI. A kernel error keeps its message only when it is
    a leadlab error (whose messages name file, row, column and rule); any other exception
    shows its type and cell only, since its text may quote a file's content."""
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        if exc.ename in _leadlab_error_names():
            first = (str(exc.evalue).strip().splitlines() or [""])[0][:300]
            return f"{exc.ename}: {first} (cell {exc.exec_count})"
        return (f"{exc.ename} in cell {exc.exec_count} (message not shown: it may quote data; "
                "see the executed notebook)")
    if isinstance(exc, LeadlabError):
        return exc.message
    name = type(exc).__name__
    text = str(exc).strip().splitlines()
    if "Timeout" in name or (text and "timed out" in text[0].lower()):
        return f"{name}: a cell ran longer than the timeout ({text[0] if text else ''})"
    return f"{name}: {text[0] if text else ''}".strip().rstrip(":")


def _scrub_notebook(path: Path, secrets: list[str]) -> None:
    if secrets and path.exists():
        text = path.read_text(encoding="utf-8")
        clean = scrub(text, secrets)
        if clean != text:
            from leadlab.reports.publish import atomic_write_text

            atomic_write_text(path, clean)


@dataclass
class Executed:
    """A notebook run by the kernel, waiting to be rendered and published (:func:`finish`)."""

    run: PlannedRun
    root: Path
    out: Path
    rec: RunRecord
    secrets: list[str]
    started: pd.Timestamp
    error: BaseException | None = None


def run_notebook(run: PlannedRun, *, root: str | Path | None = None, db: str | None = None,
                 timeout: int = DEFAULT_TIMEOUT, record: bool = True, progress: bool = False) -> Executed:
    """The kernel part of :func:`execute`: papermill executes the notebook into
    ``build/reports/<name>/<label>.ipynb`` (in the shared kernel when there is one; a failure
    shuts that kernel down, so the next report gets a fresh one)."""
    import papermill as pm

    from leadlab import __version__

    root = _root(root)
    out = root / "build" / "reports" / run.name / f"{run.label}.ipynb"
    out.parent.mkdir(parents=True, exist_ok=True)
    started = pd.Timestamp.now(tz="UTC")
    t0 = time.perf_counter()
    rec = RunRecord(report=run.name, label=run.label, title=run.title, parameters=run.parameters, status="ok",
                    started_at=started.isoformat(timespec="seconds"), seconds=0.0, leadlab_version=__version__,
                    notebook=str(out.relative_to(root)), lang=run.lang)
    done = Executed(run, root, out, rec, secrets_in_environment(db), started)
    if record:
        check_index(root)  # a corrupt index fails now, before the page could be replaced
    shared = _SHARED.get()
    try:  # a shared kernel sets its environment when it starts (SharedKernel.start)
        with contextlib.nullcontext() if shared else kernel_environment(root, db, run.lang):
            kw = {"km": shared.manager(root, db, run.lang)} if shared else {}
            pm.execute_notebook(
                str(run.path), str(out), parameters=run.parameters, kernel_name=KERNEL, language="python",
                # a shared kernel already runs in the project root: no cwd, because papermill's cwd
                # is a process-wide chdir, which two report lanes (threads) would undo out of order
                progress_bar=progress, log_output=False, cwd=None if shared else str(root),
                execution_timeout=timeout, start_timeout=120,
                extra_arguments=["--IPKernelApp.log_level=CRITICAL"], **kw,
            )
    except Exception as exc:  # noqa: BLE001 - recorded by finish(), never published
        done.error = exc
        if shared:
            shared.close()  # the next report gets a fresh kernel
    rec.seconds = time.perf_counter() - t0
    return done


def finish(done: Executed, *, record: bool = True) -> RunRecord:
    """The rest of :func:`execute`: scrub, render and publish the executed notebook (or record
    its failure; nothing is published then), then record the run in the index when ``record``."""
    import nbformat

    from leadlab.reports.render import render_html

    run, rec, root, out, secrets = done.run, done.rec, done.root, done.out, done.secrets
    reports = root / "reports"
    t0 = time.perf_counter()
    try:
        if done.error is not None:
            raise done.error
        _scrub_notebook(out, secrets)
        nb = nbformat.read(str(out), as_version=4)
        meta = header_facts(run, done.started, rec.leadlab_version)
        rec.seconds = round(rec.seconds + time.perf_counter() - t0, 2)
        facts = {k: v for k, v in asdict(rec).items() if k not in ("status", "error", "html", "notebook")}
        with use_lang(run.lang):
            page = render_html(nb, title=run.title, meta=meta, index_href="../index.html", run_facts=facts)
        page = scrub(page, secrets)
        publish(reports, rec, page)
    except Exception as exc:  # noqa: BLE001 - any failure is recorded, never published
        _scrub_notebook(out, secrets)
        rec.status = "failed"
        rec.error = scrub(_error_message(exc), secrets)
        rec.seconds = round(rec.seconds + time.perf_counter() - t0, 2)
    if record:
        try:
            record_run(reports, rec)
        except ReportError as exc:
            done_text = f"published reports/{rec.html}" if rec.ok else f"failed ({rec.error})"
            raise ReportError(f"report {run.name} ({run.label}) {done_text}, but the index was not updated: "
                              f"{exc.message}") from None
    return rec


def execute(run: PlannedRun, *, root: str | Path | None = None, db: str | None = None,
            timeout: int = DEFAULT_TIMEOUT, record: bool = True, progress: bool = False) -> RunRecord:
    """Execute, render and publish a planned run (:func:`run_notebook`, then :func:`finish`);
    always returns a RunRecord (status ok or failed) and records it in the index when ``record``."""
    return finish(run_notebook(run, root=root, db=db, timeout=timeout, record=record, progress=progress), record=record)


def run_report(name: str, parameters: dict[str, Any] | None = None, *, root: str | Path | None = None,
               db: str | None = None, label: str | None = None, timeout: int = DEFAULT_TIMEOUT,
               from_text: bool = False, raise_on_error: bool = True, progress: bool = False,
               lang: str | None = None) -> RunRecord:
    """Run one report end to end (see the module docstring); ``lang`` (``"en"``/``"zh"``) is
    the report language unless the ``lang`` parameter says otherwise (default: current language).

    Raises ConfigError for bad parameters (nothing runs) and, when ``raise_on_error``,
    ReportError when the notebook failed (the failure is recorded in the index first).

    Example: ``run_report("data_overview", {"period": "2026-10"})`` publishes
    ``reports/data_overview/2026-10.html``; with ``lang="zh"``, ``reports/data_overview/2026-10.zh.html``.
    """
    run = plan_run(name, parameters, root=root, db=db, label=label, from_text=from_text, lang=lang)
    check_index(_root(root))
    rec = execute(run, root=root, db=db, timeout=timeout, progress=progress)
    if raise_on_error and not rec.ok:
        nb = rec.notebook or ""
        raise ReportError(f"report {name} ({rec.label}) failed: {rec.error}",
                          details=[f"executed notebook with the error: {nb}",
                                   "the last good report (if any) stays published"])
    return rec


# ---------------------------------------------------------------- report all
@dataclass
class Outcome:
    """What ``report all`` did with one registry entry."""

    name: str
    label: str
    status: str  # ok | failed | skipped
    seconds: float = 0.0
    message: str = ""
    html: str | None = None


def experiment_ids(db: str | None = None) -> list[str]:
    """The experiment ids in the store (``experiments``, else ``assignments``), sorted."""
    from leadlab.store import disconnect, has_table, open_read_only, store_exists

    if not store_exists(db):
        return []
    con = open_read_only(db)
    try:
        for name in ("experiments", "assignments"):
            if has_table(con, name):
                ids = con.table(name).select("experiment_id").distinct().execute()["experiment_id"]
                return sorted(str(v) for v in ids.tolist() if v is not None)
        return []
    finally:
        with contextlib.suppress(Exception):
            disconnect(con)


def run_all(period: str = "last-month", *, root: str | Path | None = None, db: str | None = None,
            timeout: int = DEFAULT_TIMEOUT, echo: Callable[[Outcome], None] | None = None,
            progress: bool = False, lang: str | None = None) -> list[Outcome]:
    """Run every registered notebook that exists, in registry order (see
    :mod:`leadlab.reports.registry`), with ``period`` resolved once, in ``lang`` (default:
    the current language). Never raises for a failing notebook: each outcome says ok /
    failed / skipped.

    The reports run in :func:`kernel_lanes` shared kernels (:class:`SharedKernel`), started at
    once with the notebooks' imports; a report runs in the first free kernel, and each executed
    notebook is rendered and published in a background thread while the kernels go on. Outcomes,
    ``echo`` and the index keep the registry order."""
    import queue

    from leadlab.periods import parse_period

    root = _root(root)
    check_index(root)
    lang = resolve_lang(lang, source="option --lang") if lang else get_lang()
    outcomes: list[Outcome] = []
    store = effective_db(db, root)
    paths = [root / "notebooks" / f"{spec.name}.ipynb" for spec in REGISTRY]
    present = [path for path in paths if path.is_file()]
    lanes = [SharedKernel() for _ in range(kernel_lanes(store) if present else 0)]
    progress = progress and len(lanes) == 1  # one progress bar at a time
    idle: queue.SimpleQueue = queue.SimpleQueue()

    def emit(o: Outcome) -> None:
        outcomes.append(o)
        if echo:
            echo(o)

    def finished(done: Executed) -> None:
        rec = finish(done)
        emit(Outcome(done.run.name, rec.label, rec.status, rec.seconds, rec.error or "", rec.html))

    def in_lane(run: PlannedRun) -> Executed:
        lane = idle.get()
        token = _SHARED.set(lane)
        try:
            return run_notebook(run, root=root, db=db, timeout=timeout, progress=progress)
        finally:
            _SHARED.reset(token)
            idle.put(lane)

    try:
        with (ThreadPoolExecutor(max_workers=max(len(lanes), 1), thread_name_prefix="leadlab-kernel") as kernels,
              ThreadPoolExecutor(max_workers=1, thread_name_prefix="leadlab-publish") as publisher):
            for lane in lanes:
                lane.start(root, db, lang, warm=notebook_imports(present))
                idle.put(lane)
            relative = str(period).strip().lower().startswith(("last-", "yesterday"))
            as_of = _store_as_of(store) if relative else None
            p = parse_period(period, as_of=as_of)
            items: list[Outcome | Future] = []
            for spec, path in zip(REGISTRY, paths):
                if not path.is_file():
                    items.append(Outcome(spec.name, "-", "skipped", message=f"notebooks/{spec.name}.ipynb does not exist yet"))
                    continue
                try:
                    declared = declared_parameters(path)
                except LeadlabError as exc:
                    items.append(Outcome(spec.name, "-", "failed", message=exc.message))
                    continue
                if spec.all_mode == "per_experiment":
                    try:
                        ids = experiment_ids(store)
                    except LeadlabError as exc:
                        items.append(Outcome(spec.name, "-", "failed", message=exc.message))
                        continue
                    if not ids:
                        items.append(Outcome(spec.name, "-", "skipped", message="the store has no experiments"))
                    sets = [{"experiment_id": i} for i in ids]
                elif spec.all_mode == "period":
                    sets = [{"period": p.label}]
                else:
                    sets = [{}]
                for params in sets:
                    params = {k: v for k, v in params.items() if k in declared}
                    try:
                        run = plan_run(spec.name, params, root=root, db=db, as_of=as_of, lang=lang)
                    except LeadlabError as exc:
                        items.append(Outcome(spec.name, str(params), "failed", message=exc.message))
                        continue
                    items.append(kernels.submit(in_lane, run))
            pending = []
            try:
                for item in items:  # in registry order
                    if isinstance(item, Outcome):
                        pending.append(publisher.submit(emit, item))
                    else:
                        pending.append(publisher.submit(finished, item.result()))
                    for f in [f for f in pending if f.done()]:
                        pending.remove(f)
                        f.result()  # an index that cannot be written stops the run here
                for f in pending:
                    f.result()
            except BaseException:
                kernels.shutdown(cancel_futures=True)  # reports not started yet do not run
                raise
    finally:
        for lane in lanes:
            lane.close()
    return outcomes


def notebook_catalog(root: str | Path | None = None) -> list[tuple[str, dict[str, Param]]]:
    """Every notebook with its declared parameters (for ``leadlab report list``)."""
    return [(name, declared_parameters(notebook_path(name, root))) for name in available_notebooks(root)]


__all__ = ["DEFAULT_TIMEOUT", "absolute_db", "check_index", "confine_paths", "run_label", "effective_db", "Executed",
           "Outcome", "PlannedRun", "available_notebooks", "execute", "experiment_ids", "finish", "kernel_lanes",
           "notebook_imports", "run_notebook", "header_facts", "kernel_environment",
           "notebook_catalog", "notebook_path", "page_title", "plan_run", "run_all", "run_language", "run_report",
           "scrub", "secrets_in_environment"]
