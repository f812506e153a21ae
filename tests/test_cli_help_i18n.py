"""``leadlab … --help`` in both languages: every command's help, short help, option help and
word metavars in Chinese under zh; English as before; layout by terminal columns."""

from __future__ import annotations

import re

import click
import pytest

from leadlab.cli import cli, main
from leadlab.cli.help import display_width
from leadlab.i18n import translate, use_lang

CJK = re.compile(r"[\u4e00-\u9fff]")


def _walk(command: click.Command, path: tuple[str, ...] = ()):
    yield path, command
    if isinstance(command, click.Group):
        ctx = click.Context(command, info_name="leadlab")
        for name in command.list_commands(ctx):
            yield from _walk(command.get_command(ctx, name), path + (name,))


COMMANDS = dict(_walk(cli))
PATHS = [p for p in COMMANDS if p]  # the top level is checked on its own below


def _help(capsys, path, lang: str) -> str:
    """The --help page of ``leadlab <path>`` through the real entry point (exit status 0)."""
    out, err = _run(capsys, ["--lang", lang, *path, "--help"])
    return out


def _run(capsys, args: list[str]) -> tuple[str, str]:
    """stdout and stderr of ``leadlab <args>``, which must succeed (click ends --help with exit 0)."""
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    assert code in (0, None), err
    return out, err


def _paragraphs(text: str) -> str:
    return " ".join(text.split())


def _squeezed(text: str) -> str:
    return "".join(text.split())


@pytest.mark.parametrize("path", [(), *PATHS], ids=lambda p: " ".join(p) or "leadlab")
def test_help_in_both_languages(capsys, path):
    command = COMMANDS[path]
    english_help = command.help
    en = _help(capsys, path, "en")
    zh = _help(capsys, path, "zh")
    assert not CJK.search(english_help or "")
    first_en = english_help.strip().splitlines()[0]
    assert _paragraphs(first_en) in _paragraphs(en)  # today's English text, first sentence as written
    with use_lang("zh"):
        translated = translate(english_help)
    assert CJK.search(translated), f"no Chinese help for {path}"
    assert _squeezed(translated.splitlines()[0]) in _squeezed(zh)
    assert _paragraphs(first_en) not in _paragraphs(zh)
    assert "用法：" in zh and "显示此帮助并退出。" in zh
    # every option's help has a Chinese translation, and the page shows it
    ctx = click.Context(command, info_name=path[-1] if path else "leadlab")
    for param in command.get_params(ctx):
        if isinstance(param, click.Option) and param.help and not param.hidden:
            with use_lang("zh"):
                shown = translate(param.help)
            assert CJK.search(shown), f"{path} {param.opts}: option help not translated"
            assert _squeezed(shown)[:12] in _squeezed(zh), f"{path} {param.opts}: help not shown in Chinese"
    # example command lines survive translation unchanged
    for line in english_help.splitlines():
        if line.startswith("  leadlab "):
            assert line.split("#")[0].strip() in zh, line
    assert command.help == english_help  # rendering in zh does not change the stored English


def test_english_pages_unchanged(capsys):
    show = _help(capsys, ("kpi", "show"), "en")
    assert "Usage: leadlab kpi show [OPTIONS]" in show
    assert "--period PERIOD" in show and "[default: last-month]" in _paragraphs(show)
    assert "Print JSON instead of a table." in show and "Show this message and exit." in show
    assert "Comparison period: the previous period or the same period last year." in _paragraphs(show)
    ingest = _help(capsys, ("ingest",), "en")
    assert "Usage: leadlab ingest [OPTIONS] TABLE FILE" in ingest and "--mapping MAP.yml" in ingest
    assert "Examples:" in ingest and "Options:" in ingest
    kpi = _help(capsys, ("kpi",), "en")
    assert "show       The KPI table of a period against the comparison period," in kpi
    design = _help(capsys, ("ab", "design"), "en")
    assert "8% SQL rate" in design and "%%" not in design
    assert not CJK.search(show + kpi + design)


def test_chinese_pages(capsys, monkeypatch):
    kpi = _help(capsys, ("kpi",), "zh")
    assert "用法： leadlab kpi [选项] 命令 [参数]..." in kpi
    assert "示例：" in kpi and "  show       本期 KPI 与对比期的对照表，并标出是否显著。" in kpi
    monkeypatch.setenv("LEADLAB_LANG", "zh")
    train, _err = _run(capsys, ["score", "train", "--help"])
    assert "训练评分模型" in train and "--target 列名" in train and "[默认：time]" in train
    ingest = _help(capsys, ("ingest",), "zh")
    assert "用法： leadlab ingest [选项] 表名 文件" in ingest and "不显示进度条。" in ingest


@pytest.mark.parametrize("path", [("score", "train"), ("ingest",), ("kpi",), ("ab", "analyze"), ()],
                         ids=lambda p: " ".join(p) or "leadlab")
def test_chinese_layout_by_terminal_columns(capsys, path):
    """Chinese lines keep to the page width and the option column stays aligned."""
    zh = _help(capsys, path, "zh")
    en = _help(capsys, path, "en")
    width = max(display_width(line) for line in en.splitlines() if not line.lstrip().startswith("leadlab"))
    for line in zh.splitlines():
        if CJK.search(line) and not line.lstrip().startswith("leadlab"):
            assert display_width(line) <= max(width, 80), line
    starts = set()
    for line in zh.splitlines():
        m = re.match(r"(  -[^ ].*?  +)(\S)", line)
        if m and CJK.search(line[m.end() - 1:]) and display_width(m.group(1)) < 34:
            starts.add(display_width(m.group(1)))
    assert len(starts) <= 1, starts  # one help column, whatever the metavar's script


def test_zh_render_leaves_english_state(capsys):
    before = _help(capsys, ("score", "evaluate"), "en")
    _help(capsys, ("score", "evaluate"), "zh")
    assert _help(capsys, ("score", "evaluate"), "en") == before
