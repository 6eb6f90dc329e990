"""Swap the classifier head of a shipped fruit model, and expose its pooled features (training venv only).

A shipped model ends ``MEAN (pooled features, 1280) -> FULLY_CONNECTED -> SOFTMAX`` with the temperature folded
into the FC weights. A new head (trained on the pooled features of the same model) is written in float32 in place
of the old one; the backbone bytes stay as they are. The feature model is the same graph with the pooled tensor
as its output.

The float32 head is stored at fixed byte offsets (``head`` in model_card.json), so a later head-only retrain
(training/feedback.py) can patch it with numpy alone, without flatbuffers or torch.
"""

from __future__ import annotations

import pathlib

import numpy as np
from ai_edge_litert import schema_py_generated as schema
from ai_edge_litert.tools import flatbuffer_utils


def _op_name(model, op) -> int:
    code = model.operatorCodes[op.opcodeIndex]
    return max(code.builtinCode, code.deprecatedBuiltinCode)


def _head_ops(model):
    """(graph, FC op, index of the FC op) of the FULLY_CONNECTED that feeds the output softmax."""
    g = model.subgraphs[0]
    producer = {t: (n, op) for n, op in enumerate(g.operators) for t in op.outputs}
    _, soft = producer[g.outputs[0]]
    if _op_name(model, soft) != schema.BuiltinOperator.SOFTMAX:
        raise ValueError("the model output is not a SOFTMAX")
    n, fc = producer[soft.inputs[0]]
    if _op_name(model, fc) != schema.BuiltinOperator.FULLY_CONNECTED:
        raise ValueError("the softmax input is not a FULLY_CONNECTED")
    return g, fc, n, producer


def read(path) -> schema.ModelT:
    return flatbuffer_utils.read_model_from_bytearray(bytearray(pathlib.Path(path).read_bytes()))


def feature_tensor(model) -> int:
    """Index of the pooled-feature tensor (the FC's input)."""
    _, fc, _, _ = _head_ops(model)
    return int(fc.inputs[0])


def head_weights(model) -> tuple[np.ndarray, np.ndarray]:
    """The current head as float32 (W: classes x features, b: classes), dequantised if stored as int8."""
    g, fc, _, producer = _head_ops(model)
    w_t = fc.inputs[1]
    if w_t in producer:  # weight-only int8: a DEQUANTIZE op feeds the FC
        w_t = producer[w_t][1].inputs[0]
    t = g.tensors[w_t]
    raw = bytes(model.buffers[t.buffer].data)
    if t.type == schema.TensorType.INT8:
        q = np.frombuffer(raw, np.int8).reshape(t.shape).astype(np.float32)
        scale = np.asarray(t.quantization.scale, np.float32).reshape(-1, 1)
        zp = np.asarray(t.quantization.zeroPoint, np.float32).reshape(-1, 1)
        w = (q - zp) * scale
    else:
        w = np.frombuffer(raw, np.float32).reshape(t.shape).copy()
    bt = g.tensors[fc.inputs[2]]
    b = np.frombuffer(bytes(model.buffers[bt.buffer].data), np.float32).copy()
    return w, b


def feature_model_bytes(model) -> bytes:
    """The same graph with the pooled features as its only output (ops after it are dropped)."""
    g, fc, n, _ = _head_ops(model)
    g.outputs = np.array([fc.inputs[0]], dtype=np.int32)
    g.operators = g.operators[:n]
    model.signatureDefs = []
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model))


def with_head(model, w: np.ndarray, b: np.ndarray) -> tuple[bytes, dict]:
    """The model with a float32 head (W, b); returns the file bytes and where the head lies in them."""
    g, fc, _, producer = _head_ops(model)
    w = np.ascontiguousarray(w, np.float32)
    b = np.ascontiguousarray(b, np.float32)
    if fc.inputs[1] in producer:  # drop the DEQUANTIZE in front of the old int8 weights
        dq_n, _ = producer[fc.inputs[1]]
        del g.operators[dq_n]
    buf_w, buf_b = schema.BufferT(), schema.BufferT()
    buf_w.data, buf_b.data = np.frombuffer(w.tobytes(), np.uint8), np.frombuffer(b.tobytes(), np.uint8)
    model.buffers += [buf_w, buf_b]
    tw, tb = schema.TensorT(), schema.TensorT()
    tw.shape, tw.type, tw.buffer, tw.name = (
        np.array(w.shape, np.int32),
        schema.TensorType.FLOAT32,
        len(model.buffers) - 2,
        b"head_weights",
    )
    tb.shape, tb.type, tb.buffer, tb.name = (
        np.array(b.shape, np.int32),
        schema.TensorType.FLOAT32,
        len(model.buffers) - 1,
        b"head_bias",
    )
    g.tensors += [tw, tb]
    fc.inputs = np.array([fc.inputs[0], len(g.tensors) - 2, len(g.tensors) - 1], dtype=np.int32)
    data = bytes(flatbuffer_utils.convert_object_to_bytearray(model))
    head = {
        "weights_offset": data.find(w.tobytes()),
        "bias_offset": data.find(b.tobytes()),
        "classes": int(w.shape[0]),
        "features": int(w.shape[1]),
        "dtype": "float32",
        "feature_tensor": int(fc.inputs[0]),
    }
    if head["weights_offset"] < 0 or head["bias_offset"] < 0 or data.count(w.tobytes()) != 1:
        raise RuntimeError("could not locate the head in the written model")
    return data, head
