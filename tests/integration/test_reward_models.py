"""The `prm` and `orm` plumbing through vLLM, with tiny randomly initialised reward models of real
architectures built here (no reward model can be downloaded offline): their scores mean nothing, but
loading, the step token, step splitting and score extraction are the real ones."""
import json

import pytest

from thinkbench.harness.scorers import build_scorer
from thinkbench.harness.scorers.base import ScoreRequest, Segment

pytestmark = pytest.mark.integration


def _tiny_reward_model(folder, architecture: str, labels: int, tokenizer_dir: str):
    """A two-layer Qwen2 with the score head vLLM's Qwen2 reward models load (score.0, ReLU,
    score.2), a head size of 64 (the CPU attention backend's minimum) and the embedded model's
    tokenizer plus the Qwen PRMs' step token."""
    import torch
    from safetensors.torch import save_file
    from transformers import AutoTokenizer, Qwen2Config, Qwen2Model

    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    tokenizer.add_special_tokens({"additional_special_tokens": ["<extra_0>"]})
    tokenizer.save_pretrained(folder)
    config = Qwen2Config(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=1,
                         num_key_value_heads=1, vocab_size=len(tokenizer), max_position_embeddings=1024)
    torch.manual_seed(0)
    weights = {f"model.{k}": v.to(torch.bfloat16).contiguous() for k, v in Qwen2Model(config).state_dict().items()}
    h = config.hidden_size
    weights |= {"score.0.weight": torch.randn(h, h) * 0.2, "score.0.bias": torch.zeros(h),
                "score.2.weight": torch.randn(labels, h) * 0.2, "score.2.bias": torch.zeros(labels)}
    save_file({k: v.to(torch.bfloat16) for k, v in weights.items()}, folder / "model.safetensors")
    (folder / "config.json").write_text(json.dumps(
        {**config.to_dict(), "architectures": [architecture], "num_labels": labels, "torch_dtype": "bfloat16"}))
    return str(folder)


CANDIDATES = [ScoreRequest("What is 3 + 4?", (Segment("3 + 4 is 7.\n\n"), Segment("So \\boxed{7}")), "\n\n"),
              ScoreRequest("What is 3 + 4?", (Segment("First, 3.\n\nThen 4 more.\n\nThe sum is \\boxed{8}"),), "\n\n")]
SETTINGS = {"max_model_len": 512, "kv_cache_gib": 1}


def test_a_process_reward_model_scores_every_step(tmp_path, model_dir):
    prm = build_scorer({"name": "prm", "aggregation": "min", "engine": SETTINGS,
                        "model": _tiny_reward_model(tmp_path / "prm", "Qwen2ForProcessRewardModel", 2, model_dir)},
                       "scorer")
    try:
        two, three = prm.score(CANDIDATES)
    finally:
        prm.close()
    assert len(two.values) == 2 and len(three.values) == 3  # one value per step, read at each step token
    assert all(0 < v < 1 for v in two.values + three.values)
    assert prm.aggregate(three.values) == min(three.values)
    assert two.cost.calls == 1 and two.cost.prompt_tokens > 10 and two.cost.generated_tokens == 0
    assert two.cost.flops > 0


def test_an_outcome_reward_model_scores_the_whole_solution(tmp_path, model_dir):
    orm = build_scorer({"name": "orm", "engine": SETTINGS,
                        "model": _tiny_reward_model(tmp_path / "orm", "Qwen2ForRewardModel", 1, model_dir)}, "scorer")
    try:
        first, second = orm.score(CANDIDATES)
    finally:
        orm.close()
    assert len(first.values) == len(second.values) == 1
    assert 0 < first.values[0] < 1 and first.values != second.values
