"""Writing .tflite files: a PyTorch module through litert-torch (optionally weight-only int8 with ai-edge-quantizer),
or a shipped model with a new float32 head (tflite_head)."""

from __future__ import annotations

import os
import pathlib
import re

import torch

from . import tflite_head
from .progress import log


def to_tflite(module, sample, path: pathlib.Path) -> None:
    """MODULE (in eval mode) converted for inputs shaped like SAMPLE, float32."""
    import litert_torch

    litert_torch.convert(module.eval(), (sample,)).export(str(path))


# Weighted layers (convolutions, fully connected) that "wi8-float-stem" keeps in float32: the stem and the first
# block. Their weights are a few kilobytes, but an int8 error there reaches every later layer: on fruit-lite0-v5 the
# first depthwise convolution alone moved a probability by 0.23 (the acceptance allows 0.05); kept float, the whole
# model moved by 0.022 and is 3.8 MB instead of 13.7.
FLOAT_STEM_LAYERS = 3


def export_tflite(module, out_path: pathlib.Path, quant: str, check_inputs) -> pathlib.Path:
    """The exported model at OUT_PATH. QUANT: "none" (float32), "wi8" (weight-only int8 weights, float activations)
    or "wi8-float-stem" (the same, but the first FLOAT_STEM_LAYERS weighted layers float32)."""
    sample = torch.from_numpy(check_inputs[:1])
    fp32 = out_path.with_name("model_fp32.tflite")
    log("converting with litert-torch ...")
    to_tflite(module, sample, fp32)
    if quant == "none":
        os.replace(fp32, out_path)
    else:
        weight_only_int8(fp32, out_path, float_layers=FLOAT_STEM_LAYERS if quant == "wi8-float-stem" else 0)
        fp32.unlink()
    return out_path


def weight_only_int8(fp32: pathlib.Path, out_path: pathlib.Path, float_layers: int = 0) -> None:
    """FP32 with int8 weights (per channel) and float activations, except its first FLOAT_LAYERS weighted layers."""
    from ai_edge_quantizer import quantizer, recipe

    log(f"weight-only int8 quantization ({float_layers} weighted layers kept float) ...")
    qt = quantizer.Quantizer(str(fp32))
    if float_layers == 0:
        qt.load_quantization_recipe(recipe.weight_only_wi8_afp32())
    else:
        for op_name, scope in weighted_layers(fp32)[float_layers:]:
            qt.add_weight_only_config(regex=f"^{re.escape(scope)}$", operation_name=op_name, num_bits=8)
    qt.quantize().export_model(str(out_path), overwrite=True)


def weighted_layers(path: pathlib.Path) -> list:
    """(operation name, scope) of each convolution and fully connected layer, in graph order; the scope (its output
    tensors' names) is what a quantization recipe's regex matches."""
    from ai_edge_quantizer import qtyping
    from ai_edge_quantizer.utils import tfl_flatbuffer_utils as fb

    model = fb.read_model(path)
    graph = model.subgraphs[0]
    weighted = {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"}
    layers = []
    for index, op in enumerate(graph.operators):
        name = fb.get_op_name_by_index(model, 0, index)
        if name in weighted:
            layers.append((qtyping.TFLOperationName(name), fb.get_op_scope(op, graph.tensors)))
    return layers


def write_head_model(base: pathlib.Path, out: pathlib.Path, W, B) -> tuple[pathlib.Path, int, dict]:
    """BASE's model.tflite with the float32 head (W, B) written to OUT/model.tflite: (path, bytes, where the head is)."""
    data, head = tflite_head.with_head(tflite_head.read(base / "model.tflite"), W, B)
    path = out / "model.tflite"
    path.write_bytes(data)
    return path, len(data), head
