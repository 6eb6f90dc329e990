"""Writing .tflite files: a PyTorch module through litert-torch (optionally weight-only int8 with ai-edge-quantizer),
or a shipped model with a new float32 head (tflite_head)."""

from __future__ import annotations

import os
import pathlib

import torch

from . import tflite_head
from .progress import log


def to_tflite(module, sample, path: pathlib.Path) -> None:
    """MODULE (in eval mode) converted for inputs shaped like SAMPLE, float32."""
    import litert_torch

    litert_torch.convert(module.eval(), (sample,)).export(str(path))


def export_tflite(module, out_path: pathlib.Path, quant: str, check_inputs) -> pathlib.Path:
    """The exported model at OUT_PATH: QUANT "wi8" (weight-only int8 weights, float activations) or "none" (fp32)."""
    sample = torch.from_numpy(check_inputs[:1])
    fp32 = out_path.with_name("model_fp32.tflite")
    log("converting with litert-torch ...")
    to_tflite(module, sample, fp32)
    if quant == "none":
        os.replace(fp32, out_path)
    else:
        from ai_edge_quantizer import quantizer, recipe

        log("weight-only int8 quantization ...")
        qt = quantizer.Quantizer(str(fp32))
        qt.load_quantization_recipe(recipe.weight_only_wi8_afp32())
        res = qt.quantize()
        res.export_model(str(out_path), overwrite=True)
        fp32.unlink()
    return out_path


def write_head_model(base: pathlib.Path, out: pathlib.Path, W, B) -> tuple[pathlib.Path, int, dict]:
    """BASE's model.tflite with the float32 head (W, B) written to OUT/model.tflite: (path, bytes, where the head is)."""
    data, head = tflite_head.with_head(tflite_head.read(base / "model.tflite"), W, B)
    path = out / "model.tflite"
    path.write_bytes(data)
    return path, len(data), head
