"""Chinese text in figures: the bundled CJK font is found offline and every glyph draws."""

from __future__ import annotations

import io
import socket
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from leadlab.i18n import fonts  # noqa: E402

LABELS = {"title": "拨打量与接通率（2026年第46周）", "x": "销售周期（天）", "y": "对话率", "legend": ["华东一组", "华南二组 B"],
          "ticks": ["周一", "周二", "周三"]}


def _render(rc: dict) -> list[str]:
    """Draw a figure with Chinese title, axis labels, legend and tick labels; return the warnings."""
    with plt.rc_context(rc), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig, ax = plt.subplots(figsize=(4, 3))
        for name, ys in zip(LABELS["legend"], ([0.31, 0.35, -0.02], [0.28, 0.30, 0.33])):
            ax.plot([0, 1, 2], ys, label=name)
        ax.set_title(LABELS["title"])
        ax.set_xlabel(LABELS["x"])
        ax.set_ylabel(LABELS["y"])
        ax.set_xticks([0, 1, 2], LABELS["ticks"])
        ax.legend(title="团队")
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        plt.close(fig)
    assert buf.getvalue()[:8] == b"\x89PNG\r\n\x1a\n"
    return [str(w.message) for w in caught]


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_font_file_is_found_without_network(no_network):
    path = fonts.cjk_font_path()
    assert path.is_file() and path.name == "NotoSansCJKsc-Regular.otf" and path.stat().st_size > 10_000_000
    from matplotlib import font_manager

    assert fonts.register_cjk_font() == "Noto Sans CJK SC"
    entries = sum(e.fname == str(path) for e in font_manager.fontManager.ttflist)
    assert entries >= 1
    assert fonts.register_cjk_font.__wrapped__() == "Noto Sans CJK SC"  # run again past the cache: no new entries
    assert sum(e.fname == str(path) for e in font_manager.fontManager.ttflist) == entries


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_chinese_figure_draws_every_glyph(lang, no_network, caplog):
    rc = fonts.font_rc(lang)
    assert rc["font.family"] == (["Noto Sans CJK SC", "DejaVu Sans"] if lang == "zh" else ["DejaVu Sans", "Noto Sans CJK SC"])
    assert rc["axes.unicode_minus"] is False
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning fails, missing glyphs included
        assert _render({**rc, "axes.titleweight": "bold"}) == []
    assert not [r for r in caplog.records if "findfont" in r.getMessage()]  # no bold-face notice in reports


def test_without_the_cjk_font_the_glyphs_are_missing():
    """The check above can fail: DejaVu Sans alone reports the missing Chinese glyphs."""
    messages = _render({"font.family": ["DejaVu Sans"], "font.sans-serif": ["DejaVu Sans"]})
    assert any("Glyph" in m and "missing from font" in m for m in messages), messages


def test_rare_symbols_fall_back_to_dejavu():
    rc = fonts.font_rc("zh")
    with plt.rc_context(rc), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig, ax = plt.subplots(figsize=(2, 1))
        ax.set_title("接通率 ≥ 95% ± 2 · Δ ა")  # ა (Georgian) is not in Noto Sans CJK, is in DejaVu Sans
        fig.savefig(io.BytesIO(), format="png")
        plt.close(fig)
    assert not [str(w.message) for w in caught if "Glyph" in str(w.message)]


def test_missing_font_package_is_a_clear_error(monkeypatch):
    from leadlab.errors import ConfigError

    monkeypatch.setattr(fonts, "FONT_PACKAGE", "no_such_font_package_xyz")
    with pytest.raises(ConfigError, match="no_such_font_package_xyz is not installed"):
        fonts.cjk_font_path()


def test_apply_style_draws_chinese_in_leadlab_charts():
    import pandas as pd

    from leadlab import plots

    with plt.rc_context():
        plots.apply_style(lang="zh")
        assert plt.rcParams["font.family"][0] == "Noto Sans CJK SC"
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            ax = plots.funnel_chart(pd.DataFrame({"stage": ["线索", "已拨打", "已接通", "赢单"], "count": [1000, 800, 420, 40]}))
            ax.set_title("销售漏斗（2026年10月）")
            ax.figure.savefig(io.BytesIO(), format="png")
            plt.close(ax.figure)
        with pytest.raises(Exception, match="not a supported language"):
            plots.apply_style(lang="fr")
