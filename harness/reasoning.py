"""How to run a model that thinks before it answers: its thinking delimiters, the chat-template switch
that turns thinking on, its recommended sampling, and how to ask for a final answer once thinking is
closed. A run config names a preset and may override any field:

    reasoning: qwen3                                   # a preset by name
    reasoning: {preset: prompted, temperature: 0.8}    # a preset with overrides
"""
from __future__ import annotations

from dataclasses import dataclass, field

from thinkbench.harness.errors import InputError
from thinkbench.harness.validate import param

# Published sampling protocols. DeepSeek-R1 (and its distills): temperature 0.6, top-p 0.95, no
# system prompt, the reply starts with "<think>\n", pass@1 estimated from many samples. Qwen3 in
# thinking mode and QwQ recommend the same temperature and top-p (plus top-k 20-40, which SamplingSpec
# does not carry).
PRESETS: dict[str, dict] = {
    # A chat model that is not a reasoning model, told to think between the tags: tests the machinery
    # on the embedded model.
    "prompted": {
        "system_prompt": "You are a helpful assistant. Reason step by step inside <think> </think> tags, "
                         "then state the final answer after </think>.",
        "temperature": 0.6, "top_p": 1.0,
    },
    "deepseek-r1": {"temperature": 0.6, "top_p": 0.95},
    # Qwen3's chat template thinks unless told otherwise; saying so keeps the switch visible in config.
    "qwen3": {"template_kwargs": {"enable_thinking": True}, "temperature": 0.6, "top_p": 0.95},
    "qwq": {"temperature": 0.6, "top_p": 0.95},
}


@dataclass(frozen=True)
class Reasoning:
    preset: str | None = None
    think_open: str = param("<think>", nonempty=True)
    think_close: str = param("</think>", nonempty=True)
    template_kwargs: dict = field(default_factory=dict)  # extra arguments to the chat template
    system_prompt: str | None = None
    temperature: float = param(0.6, ge=0)  # for thinking; strategies may override
    top_p: float = param(0.95, gt=0, le=1)
    # Appended after the closed thinking to get a short final answer. It ends inside \boxed{ so even a
    # small model writes just the answer; the stored answer text starts with it, so graders see the box.
    answer_cue: str = "\n\nThe final answer is \\boxed{"
    answer_stop: list[str] = field(default_factory=lambda: ["\n\n"])


def expand_preset(value: object, where: str) -> dict:
    """The `reasoning` mapping of a run config with its preset's values filled in under the overrides."""
    if isinstance(value, str):
        value = {"preset": value}
    if not isinstance(value, dict):
        raise InputError(f"{where}: expected a preset name or a mapping, got {type(value).__name__}")
    preset = value.get("preset")
    if preset is None:
        return dict(value)
    if preset not in PRESETS:
        raise InputError(f"{where}.preset: unknown preset {preset!r} (known: {', '.join(PRESETS)})")
    return {**PRESETS[preset], **value}
