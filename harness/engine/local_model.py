"""What can be learned about a model from a local folder, for engines that do not load it here."""
from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

from thinkbench.harness.engine.vllm_engine import model_shape
from thinkbench.harness.types import ModelShape


def local_shape(model: str) -> ModelShape | None:
    """The FLOP-relevant shape from a local folder's config.json; None for a name only a server
    knows (then metrics carry tokens but no FLOPs)."""
    path = Path(model) / "config.json"
    if not path.is_file():
        return None
    config = json.loads(path.read_text())
    # Multimodal configs keep the language model's shape under text_config.
    config = config.get("text_config", config)
    return model_shape(SimpleNamespace(**config))
