"""Hostile inputs against the report pipeline (issue 9, classes 2, 4, 8 and `-p alpha=nan`).

Three parts:

1. a store whose every text field (teams, rep ids and names, sources, campaigns, regions,
   industries, job titles, experiment ids, names, descriptions, arm names) carries an
   HTML/JS/Markdown payload, rendered once per session through every report (plus a
   hostile ``team`` parameter); each page is checked statically (no element, attribute or
   link a payload could have created; no payload verbatim) and loaded in headless Chromium,
   as published and with its Content-Security-Policy removed (escaping alone must hold),
   proving no payload ran (each payload would set ``document.title`` to ``xssran<N>``);
2. a table of hostile command lines (report names, path parameters, non-finite and
   out-of-range numbers, control characters, corrupt index, full disk, read-only folder):
   each exits with the right code, prints one ``error:`` line naming the parameter or file
   and the rule, starts no kernel and leaves ``reports/`` byte for byte unchanged;
3. publishing: one page per parameter set, file modes from the umask, ``report reindex``.

Kernel runs are the cost (5 renders, in one shared kernel as ``report all`` runs them: the
escaping under test does not depend on the kernel); everything else replaces papermill by a stub.
"""

from __future__ import annotations

import concurrent.futures
import errno
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import nbformat
import pytest

from leadlab.cli import main
from leadlab.reports import publish as publish_mod
from leadlab.reports.publish import RunRecord, load_index, publish, record_run
from leadlab.reports.render import read_run_meta, render_html
from leadlab.safehtml import CSP
from reports_helpers import make_tiny_store

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

# Each payload, if it ever ran, would set document.title to "xssran<N>"; the marker is built by
# concatenation at run time, so the payload's own text never contains it.
PAYLOADS = [
    "<script>document.title='xss'+'ran1'</script>",
    "<img src=x onerror=\"document.title='xss'+'ran2'\">",
    "\"><svg onload=\"document.title='xss'+'ran3'\">",
    "[x](javascript:document.title='xss'+'ran4')",
    "{{7*7}} $x^2$ **b** # h",
    "'</style><script>document.title='xss'+'ran6'</script>",
    "<iframe srcdoc=\"<script>parent.document.title='xss'+'ran7'</script>\"></iframe>",
    "`<b onmouseover=\"document.title='xss'+'ran8'\">`",
]
MARKER = re.compile(r"xssran\d|xssranC")
# (table, column) groups holding one domain of values (keys stay consistent across tables).
DOMAINS = [
    ([("reps", "team")], 0),
    ([("reps", "rep_name")], 1),
    ([("reps", "rep_id"), ("leads", "rep_id"), ("calls", "rep_id")], 2),
    ([("leads", "source"), ("spend", "source")], 3),
    ([("leads", "campaign"), ("spend", "campaign")], 4),
    ([("leads", "region")], 5),
    ([("leads", "industry")], 6),
    ([("leads", "job_title")], 7),
    ([("experiments", "name")], 0),
    ([("experiments", "description")], 1),
    ([("experiments", "experiment_id"), ("assignments", "experiment_id")], 2),
    ([("experiments", "control_arm"), ("assignments", "arm")], 5),
]
TEAM_PARAM = PAYLOADS[0] + "West"


def poison(db: Path) -> None:
    """Prefix every value of the text columns of DOMAINS with its payload."""
    con = duckdb.connect(str(db))
    try:
        for cols, k in DOMAINS:
            for table, col in cols:
                con.execute(f'UPDATE "{table}" SET "{col}" = ? || "{col}" WHERE "{col}" IS NOT NULL', [PAYLOADS[k]])
        con.execute("UPDATE assignments SET unit_id = ? || unit_id WHERE unit_type = 'rep'", [PAYLOADS[2]])
    finally:
        con.close()


def _tree_hash(folder: Path) -> dict[str, str]:
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != ".index.lock"}


# ------------------------------------------------------------------ 1. payload store, every report
@pytest.fixture(scope="session")
def payload_pages(tmp_path_factory) -> dict[str, Path]:
    """Every report rendered from the payload store: {name: published page}, plus the index."""
    from leadlab.reports.runner import run_report, shared_kernel
    from leadlab.synth import synthesize

    root = tmp_path_factory.mktemp("payload_project")
    shutil.copytree(ROOT / "notebooks", root / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    db = root / "data" / "leadlab.duckdb"
    synthesize(n_leads=2000, seed=3, url=f"duckdb://{db}", truth_dir=root / "data", progress=False)
    poison(db)
    saved = {k: os.environ.get(k) for k in ("LEADLAB_HOME", "LEADLAB_DB")}
    os.environ["LEADLAB_HOME"] = str(root)
    os.environ.pop("LEADLAB_DB", None)
    try:
        # no model is trained (it would cost a third of the file's time and its pages show no
        # store text): the scorer reports render their "no model yet" pages with store tables
        con = duckdb.connect(str(db), read_only=True)
        rep_exp = con.execute("SELECT experiment_id FROM experiments WHERE unit_type = 'rep'").fetchone()[0]
        con.close()
        runs = {
            "data_overview": ("data_overview", {"period": "2026-10"}),
            "kpi_report": ("kpi_report", {"period": "2026-10", "team": TEAM_PARAM}),
            "experiment_report": ("experiment_report", {"experiment_id": rep_exp}),
            "scorer_training": ("scorer_training", {}),
            "scorer_monitoring": ("scorer_monitoring", {"period": "2026-10"}),
        }
        pages, failures = {}, {}
        with shared_kernel():  # one kernel for the five renders, as `report all` runs them
            for key, (name, params) in runs.items():
                rec = run_report(name, params, root=root, raise_on_error=False, timeout=300)
                if rec.ok:
                    pages[key] = root / "reports" / rec.html
                else:
                    failures[key] = rec.error
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    assert not failures, f"reports failed on the payload store: {failures}"
    pages["index"] = root / "reports" / "index.html"
    return pages


PAGES = ["data_overview", "kpi_report", "experiment_report", "scorer_training", "scorer_monitoring", "index"]


class _Dangerous(HTMLParser):
    """Collects every element, attribute or URL through which a payload could act."""

    TAGS = {"script", "iframe", "svg", "object", "embed", "base", "form", "frame", "meta-refresh"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.head_first: list[str] = []

    def handle_starttag(self, tag, attrs):
        if len(self.head_first) < 3 and tag == "meta":
            self.head_first.append(dict(attrs).get("http-equiv") or dict(attrs).get("charset") or "")
        if tag in self.TAGS:
            self.found.append(f"<{tag}>")
        for k, v in attrs:
            v = v or ""
            if k.startswith("on") or k in ("srcdoc", "formaction"):
                self.found.append(f"<{tag} {k}>")
            if k in ("href", "src", "action") and re.match(r"\s*(javascript|vbscript|data:text)", v, re.I):
                self.found.append(f"<{tag} {k}={v[:30]}>")
            if tag == "meta" and k == "http-equiv" and v.lower() == "refresh":
                self.found.append("<meta refresh>")


@pytest.mark.parametrize("page", PAGES)
def test_page_has_no_payload_markup(payload_pages, page):
    """Static check: the payloads reached the page only as text."""
    text = payload_pages[page].read_text(encoding="utf-8")
    parser = _Dangerous()
    parser.feed(text)
    assert parser.found == [], f"{page}: {parser.found[:5]}"
    body = re.sub(r"base64,[A-Za-z0-9+/=]+", "", text)
    for p in PAYLOADS:
        if any(c in p for c in "<>[`"):
            assert p not in body, f"{page}: payload verbatim: {p}"
    assert f'<meta http-equiv="Content-Security-Policy" content="{CSP}">' in text
    assert "Content-Security-Policy" in parser.head_first, "the CSP must be among the first tags of <head>"
    assert "script-src 'none'" in CSP and "<script" not in text.lower()


def test_payloads_did_reach_the_pages(payload_pages):
    """The test is not vacuous: the payloads are shown (as text) in the reports."""
    kpi = payload_pages["kpi_report"].read_text()
    exp = payload_pages["experiment_report"].read_text()
    assert "&lt;script&gt;document.title=" in kpi  # the hostile team parameter, escaped
    assert "&lt;svg onload=" in kpi  # rep ids in the scorecard
    assert "&lt;/style&gt;&lt;script&gt;" in exp  # arm names in tables and sentences
    assert "onload=" in exp  # the experiment id, escaped


def _chromium_dom(path: Path, scratch: Path) -> str:
    # a throw-away profile (~200 files), removed at once: it would otherwise stay in pytest's
    # retained tmp folders, and the next session's start would spend seconds deleting it
    with tempfile.TemporaryDirectory(dir=scratch) as profile:
        out = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", f"--user-data-dir={profile}", "--virtual-time-budget=1000",
             "--dump-dom", path.as_uri()],
            capture_output=True, text=True, timeout=60)
    return out.stdout


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (Debian: apt-get install chromium)")
def test_headless_chromium_runs_no_payload(payload_pages, tmp_path):
    """Every page, as published and with its CSP stripped (escaping alone), loaded in headless
    Chromium: no payload ran. A control page with one raw payload proves the harness sees it."""
    control = tmp_path / "control.html"
    control.write_text(f"<html><head><title>t</title></head><body>{PAYLOADS[1]}</body></html>")
    jobs = {"control": control}
    for name in PAGES:
        page = payload_pages[name]
        jobs[name] = page
        stripped = page.with_name(f".nocsp-{page.name}")
        stripped.write_text(page.read_text().replace(f'<meta http-equiv="Content-Security-Policy" content="{CSP}">', ""))
        jobs[f"{name} (no CSP)"] = stripped
    with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
        doms = dict(zip(jobs, pool.map(lambda p: _chromium_dom(p, tmp_path), jobs.values())))
    for name in jobs:
        jobs[name].name.startswith(".nocsp-") and jobs[name].unlink()
    assert "xssran2" in doms.pop("control"), "the harness must see a payload that runs"
    for name, dom in doms.items():
        assert "</html>" in dom, f"{name}: chromium returned no DOM"
        assert not MARKER.search(dom), f"{name}: a payload ran ({MARKER.search(dom).group(0)})"


# ------------------------------------------------------------------ 2. hostile command lines
@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory) -> Path:
    """make_tiny_store's data folder, built once for the module (each project gets a copy)."""
    folder = tmp_path_factory.mktemp("tiny_data")
    make_tiny_store(folder / "leadlab.duckdb")
    return folder


@pytest.fixture
def project(tmp_path, monkeypatch, tiny_data):
    """A project with the real notebooks, a tiny store, one published page and an index;
    papermill is replaced by a stub that records calls (no kernel)."""
    monkeypatch.setenv("LEADLAB_HOME", str(tmp_path))
    monkeypatch.delenv("LEADLAB_DB", raising=False)
    shutil.copytree(tiny_data, tmp_path / "data")
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    (tmp_path / "data" / "models").mkdir(parents=True)
    (tmp_path / "secret.txt").write_text("TOP-SECRET-CONTENT\n")
    os.symlink(tmp_path / "secret.txt", tmp_path / "data" / "models" / "link.skops")
    rec = RunRecord("kpi_report", "2026-10", "KPI report — 2026-10", {"period": "2026-10"}, "ok",
                    "2026-11-22T10:00:00+00:00", 3.0, "0.1.0")
    publish(tmp_path / "reports", rec, "<html><body>the good October page</body></html>")
    record_run(tmp_path / "reports", rec)
    started: list[str] = []

    def fake_execute(input_path, output_path, parameters=None, **kw):
        started.append(str(input_path))
        nb = nbformat.read(input_path, as_version=4)
        nbformat.write(nb, output_path)
        return nb

    import papermill

    monkeypatch.setattr(papermill, "execute_notebook", fake_execute)
    return tmp_path, started


def _enospc(*a, **k):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _erofs(*a, **k):
    raise OSError(errno.EROFS, os.strerror(errno.EROFS))


# (id, argv, exit code, words the one error line must contain, setup)
CASES = [
    ("name-dotdot", ["report", "../notebooks/kpi_report"], 2, ["'../notebooks/kpi_report'", "not a report name"], None),
    ("name-up-up", ["report", "../../x"], 2, ["'../../x'", "not a report name"], None),
    ("name-absolute", ["report", "/etc/passwd"], 2, ["'/etc/passwd'", "not a report name"], None),
    ("name-absolute-notebook", ["report", str(ROOT / "notebooks" / "kpi_report.ipynb")], 2, ["not a report name"], None),
    ("name-with-suffix", ["report", "kpi_report.ipynb"], 2, ["'kpi_report.ipynb'", "not a report name"], None),
    ("name-inner-dotdot", ["report", "data_overview/../kpi_report"], 2, ["not a report name"], None),
    ("name-nul", ["report", "kpi\x00report"], 2, ["not a report name"], None),
    ("name-unknown", ["report", "payroll"], 2, ["'payroll'", "not in notebooks/"], None),
    ("model-dotdot", ["report", "scorer_monitoring", "-p", "model_path=../../etc/passwd"], 2,
     ["parameter model_path", "outside data/models/", "must lie inside"], None),
    ("model-absolute", ["report", "scorer_monitoring", "-p", "model_path=/etc/passwd"], 2,
     ["parameter model_path", "outside data/models/"], None),
    ("model-escape-inside", ["report", "scorer_training", "-p", "model_path=data/models/../../notebooks/x.skops"], 2,
     ["parameter model_path", "outside data/models/"], None),
    ("model-symlink-out", ["report", "scorer_monitoring", "-p", "model_path=data/models/link.skops"], 2,
     ["parameter model_path", "outside data/models/"], None),
    ("targets-absolute", ["report", "kpi_report", "-p", "targets_path=/etc/passwd"], 2,
     ["parameter targets_path", "outside data/"], None),
    ("targets-dotdot", ["report", "kpi_report", "-p", "targets_path=../secret.txt"], 2,
     ["parameter targets_path", "outside data/"], None),
    ("alpha-nan", ["report", "experiment_report", "-p", "alpha=nan"], 2, ["parameter alpha", "not a finite number"], None),
    ("alpha-inf", ["report", "experiment_report", "-p", "alpha=inf"], 2, ["parameter alpha", "not a finite number"], None),
    ("alpha-minus-inf", ["report", "experiment_report", "-p", "alpha=-inf"], 2, ["parameter alpha", "not a finite number"], None),
    ("alpha-overflow", ["report", "experiment_report", "-p", "alpha=1e999"], 2, ["parameter alpha", "not a finite number"], None),
    ("alpha-negative", ["report", "experiment_report", "-p", "alpha=-0.05"], 2, ["parameter alpha", "0 < alpha < 1"], None),
    ("alpha-zero", ["report", "experiment_report", "-p", "alpha=0"], 2, ["parameter alpha", "0 < alpha < 1"], None),
    ("alpha-above-one", ["report", "experiment_report", "-p", "alpha=1.5"], 2, ["parameter alpha", "0 < alpha < 1"], None),
    ("alpha-text", ["report", "experiment_report", "-p", "alpha=five%"], 2, ["parameter alpha", "is not a number"], None),
    ("team-newline", ["report", "kpi_report", "-p", "team=East\nimport os"], 2, ["parameter team", "no control characters"], None),
    ("experiment-nul", ["report", "experiment_report", "-p", "experiment_id=EXP\x00x"], 2,
     ["parameter experiment_id", "no control characters"], None),
    ("index-not-json", ["report", "kpi_report", "--period", "2026-10"], 1, ["index.json", "not valid JSON", "reindex"],
     lambda root, mp: (root / "reports" / "index.json").write_text("{not json")),
    ("index-wrong-shape", ["report", "kpi_report", "--period", "2026-10"], 1, ["index.json", "no list of runs", "reindex"],
     lambda root, mp: (root / "reports" / "index.json").write_text("[1, 2]")),
    ("index-bad-record", ["report", "kpi_report", "--period", "2026-10"], 1, ["index.json, run 1", "field", "reindex"],
     lambda root, mp: (root / "reports" / "index.json").write_text('{"runs": [{"report": 5}]}')),
    ("index-corrupt-all", ["report", "all", "--period", "2026-10"], 1, ["index.json", "not valid JSON"],
     lambda root, mp: (root / "reports" / "index.json").write_text("\x00\x01garbage")),
    ("disk-full", ["report", "kpi_report", "--period", "2026-10"], 1,
     ["kpi_report/2026-10.html", "No space left on device (ENOSPC)", "stays in place"],
     lambda root, mp: mp.setattr(publish_mod.os, "fdopen", _enospc)),
    ("read-only-folder", ["report", "kpi_report", "--period", "2026-10"], 1,
     ["kpi_report/2026-10.html", "(EROFS)", "stays in place"],
     lambda root, mp: mp.setattr(publish_mod.tempfile, "mkstemp", _erofs)),
    ("reindex-with-params", ["report", "reindex", "-p", "team=x"], 2, ["reindex", "takes no -p"], None),
    ("all-with-params", ["report", "all", "-p", "team=x"], 2, ["report all", "takes no -p"], None),
]


@pytest.mark.parametrize("argv,code,words,setup", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_hostile_command_line(project, monkeypatch, capsys, argv, code, words, setup):
    root, started = project
    if setup:
        setup(root, monkeypatch)
    before = _tree_hash(root / "reports")
    try:
        main(argv)
        got = 0
    except SystemExit as exc:
        got = exc.code or 0
    monkeypatch.undo()
    out = capsys.readouterr()
    errors = [line for line in out.err.splitlines() if line.startswith("error:")]
    assert got == code, out.err
    assert len(errors) == 1 and "Traceback" not in out.err, out.err
    for w in words:
        assert w in errors[0], (w, errors[0])
    assert "TOP-SECRET-CONTENT" not in out.out + out.err
    assert _tree_hash(root / "reports") == before  # published pages and index unchanged
    if code == 2 or "index" in words[0]:
        assert started == []  # refused before any kernel started
    assert not list((root / "reports").rglob(".*.tmp"))  # no temp file left behind


def test_enough_hostile_cases():
    assert len(CASES) >= 25 and len({c[0] for c in CASES}) == len(CASES)


# ------------------------------------------------------------------ 3. publishing
def test_one_page_per_parameter_set_and_both_indexed(project, capsys):
    root, started = project
    for argv in (["report", "kpi_report", "--period", "2026-10", "-p", "team=East"],
                 ["report", "kpi_report", "--period", "2026-10", "-p", "team=<East>"],
                 ["report", "kpi_report", "--period", "2026-10", "-p", "team="]):
        main(argv)
    capsys.readouterr()
    pages = sorted(p.name for p in (root / "reports" / "kpi_report").glob("*.html"))
    assert pages[0] == "2026-10.html" and "2026-10_team-East.html" in pages
    assert len(pages) == 3 and re.fullmatch(r"2026-10_team-East_[0-9a-f]{8}\.html", pages[2])
    index = (root / "reports" / "index.html").read_text()
    for name in pages:
        assert f"href='kpi_report/{name}'" in index
    assert "team: <b>&lt;East&gt;</b>" in index
    facts = read_run_meta((root / "reports" / "kpi_report" / "2026-10_team-East.html").read_text())
    assert facts["parameters"] == {"period": "2026-10", "team": "East", "lang": "en"} and facts["report"] == "kpi_report"


@pytest.mark.parametrize("umask,mode", [(0o022, 0o644), (0o027, 0o640), (0o002, 0o664)])
def test_published_files_follow_the_umask(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        rec = RunRecord("data_overview", "2026-10", "t", {}, "ok", "2026-11-22T10:00:00+00:00", 1.0, "0.1.0")
        page = publish(tmp_path, rec, "<html></html>")
        record_run(tmp_path, rec)
    finally:
        os.umask(old)
    for p in (page, tmp_path / "index.html", tmp_path / "index.json"):
        assert p.stat().st_mode & 0o777 == mode, p


def test_index_failure_after_publishing_is_one_clear_error(project, monkeypatch, capsys):
    """The page was published; the index write hits a full disk: exit 1, and the message
    says what happened and how to repair (reindex)."""
    root, _ = project
    real = publish_mod.atomic_write_text

    def full_for_index(path, text):
        if Path(path).name.startswith("index."):
            _enospc()
        real(path, text)

    monkeypatch.setattr(publish_mod, "atomic_write_text", full_for_index)
    with pytest.raises(SystemExit) as exc:
        main(["report", "kpi_report", "--period", "2026-09"])
    err = capsys.readouterr().err
    assert exc.value.code == 1 and "Traceback" not in err
    assert "published reports/kpi_report/2026-09.html, but the index was not updated" in err
    assert "index.json: No space left on device (ENOSPC)" in err and "leadlab report reindex" in err


def test_reindex_rebuilds_from_the_pages(project, capsys):
    root, _ = project
    main(["report", "kpi_report", "--period", "2026-09", "-p", "team=East"])
    main(["report", "data_overview", "--period", "2026-10"])
    capsys.readouterr()
    before = {(r["report"], r["label"]) for r in load_index(root / "reports") if r["status"] == "ok"}
    (root / "reports" / "index.json").write_text("{broken")
    main(["report", "reindex"])
    out = capsys.readouterr().out
    assert "3 published pages indexed" in out
    assert "kpi_report/2026-10.html: no run facts in the page" in out  # the stub page of the fixture
    after = load_index(root / "reports")
    assert {(r["report"], r["label"]) for r in after} == before
    assert (root / "reports" / "index.json.broken").read_text() == "{broken"
    runs = {r["label"]: r for r in after}
    assert runs["2026-09_team-East"]["parameters"] == {"period": "2026-09", "team": "East", "lang": "en"}
    index = (root / "reports" / "index.html").read_text()
    assert "href='kpi_report/2026-09_team-East.html'" in index and "href='data_overview/2026-10.html'" in index


def test_error_text_of_a_foreign_exception_never_reaches_the_index():
    """A kernel error that is not a leadlab error may quote a file (pandas quotes lines it
    cannot parse): only its type and cell are kept."""
    from papermill.exceptions import PapermillExecutionError

    from leadlab.reports.runner import _error_message

    foreign = PapermillExecutionError(3, 4, "x = 1", "ValueError", "could not convert 'root:x:0:0:TOP-SECRET' to float", [])
    own = PapermillExecutionError(3, 4, "x = 1", "DataError", "leads.csv, row 3, column revenue: not a number", [])
    assert "TOP-SECRET" not in _error_message(foreign) and _error_message(foreign).startswith("ValueError in cell 4")
    assert _error_message(own) == "DataError: leads.csv, row 3, column revenue: not a number (cell 4)"


def test_rendered_page_escapes_every_context():
    """Header facts, Markdown (raw HTML, links, emphasis), titles, alt texts: one hostile
    string in each context of render_html, without a kernel."""
    from leadlab.safehtml import md

    hostile = PAYLOADS[2] + PAYLOADS[3]
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [
        nbformat.v4.new_output("display_data", data={"text/markdown": f"# Team {md(hostile)}"}),
        nbformat.v4.new_output("display_data", data={"text/markdown": f"raw {hostile} [l](javascript:alert(1))"}),
        nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo="}),
    ]
    nb.cells = [nbformat.v4.new_markdown_cell(f"<b>{hostile}</b>"), cell]
    page = render_html(nb, title=f"KPI — {hostile}", meta={"team": hostile}, run_facts={"team": hostile})
    parser = _Dangerous()
    parser.feed(page)
    assert parser.found == []
    assert read_run_meta(page)["team"] == hostile  # the facts survive escaping exactly
    assert 'alt="Chart: Team &quot;&gt;&lt;svg' in page  # alt text: plain words, escaped
    assert "<title>KPI — &quot;&gt;&lt;svg" in page or "<title>KPI — \"&gt;&lt;svg" in page
    assert '<a href="#harmful-link">l</a>' in page
    assert json.dumps(hostile) not in page
