"""Chat rendering and token conversion with the model's own Hugging Face tokenizer, for engines
that hold one (in process, or on a Ray driver)."""
from __future__ import annotations

from typing import Sequence


class TokenizerText:
    """Engine methods over `self._tokenizer` (a transformers tokenizer)."""

    def render(self, messages: Sequence[tuple[str, str]], template_kwargs: dict | None = None) -> str:
        chat = [{"role": role, "content": content} for role, content in messages]
        return self._tokenizer.apply_chat_template(chat, tokenize=False, add_generation_prompt=True,
                                                   **(template_kwargs or {}))

    def tokenize(self, text: str) -> list[int]:
        return list(self._tokenizer(text, add_special_tokens=False)["input_ids"])

    def detokenize(self, token_ids: Sequence[int]) -> str:
        return self._tokenizer.decode(list(token_ids), skip_special_tokens=True)
