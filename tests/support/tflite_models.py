"""Tiny .tflite models for the model-validation tests, written at test time with the flatbuffers builder and the
TFLite schema (PyPI `tflite`, a serving dependency): no TensorFlow, no torch, no committed binaries.

`classifier()` is a real, runnable classifier (MEAN over the image, FULLY_CONNECTED, SOFTMAX) whose every part a
test can bend: input shape and type, the head (softmax, logits, a custom or Flex op), NaN weights, a second
output, a huge tiled tensor, a long chain of matrix products. `patched()` edits the shipped model's own
flatbuffer in place (shape values, op codes), where the schema stores the field.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

import flatbuffers
import numpy as np
import tflite as schema  # the package exports every table's builder functions (schema.TensorStart, ...)
from tflite.BuiltinOperator import BuiltinOperator as Op
from tflite.BuiltinOptions import BuiltinOptions
from tflite.Model import Model as ModelReader
from tflite.TensorType import TensorType

FLOAT32, INT32, UINT8, INT16 = TensorType.FLOAT32, TensorType.INT32, TensorType.UINT8, TensorType.INT16


@dataclass
class T:
    shape: list[int]
    dtype: int = FLOAT32
    data: bytes | None = None  # a constant's bytes
    quantization: tuple[float, int] | None = None


@dataclass
class Node:
    code: int | str  # a BuiltinOperator, or a custom op's name
    inputs: list[int]
    outputs: list[int]
    options: tuple[int, object] | None = None  # (BuiltinOptions type, a function writing the options table)
    extra: dict = field(default_factory=dict)


def _vector(b: flatbuffers.Builder, offsets: list[int]) -> int:
    b.StartVector(4, len(offsets), 4)
    for off in reversed(offsets):
        b.PrependUOffsetTRelative(off)
    return b.EndVector()


def _ints(b: flatbuffers.Builder, values) -> int:
    return b.CreateNumpyVector(np.asarray(values, dtype=np.int32))


def write(tensors: list[T], nodes: list[Node], inputs: list[int], outputs: list[int], graphs: int = 1) -> bytes:
    """A model file with one graph (plus `graphs - 1` empty ones) holding these tensors and operators."""
    b = flatbuffers.Builder(1024)
    codes: list[int | str] = []
    for node in nodes:
        if node.code not in codes:
            codes.append(node.code)
    schema.BufferStart(b)
    buffers = [schema.BufferEnd(b)]  # buffer 0: the empty sentinel
    tensor_offsets = []
    for i, t in enumerate(tensors):
        buffer_index = 0
        if t.data is not None:
            b.StartVector(1, len(t.data), 16)  # aligned: the runtime reads constants in place
            b.head = b.head - len(t.data)
            b.Bytes[b.head : b.head + len(t.data)] = t.data
            data = b.EndVector()
            schema.BufferStart(b)
            schema.BufferAddData(b, data)
            buffers.append(schema.BufferEnd(b))
            buffer_index = len(buffers) - 1
        quant = None
        if t.quantization:
            scale = b.CreateNumpyVector(np.asarray([t.quantization[0]], np.float32))
            zero = b.CreateNumpyVector(np.asarray([t.quantization[1]], np.int64))
            schema.QuantizationParametersStart(b)
            schema.QuantizationParametersAddScale(b, scale)
            schema.QuantizationParametersAddZeroPoint(b, zero)
            quant = schema.QuantizationParametersEnd(b)
        name, shape = b.CreateString(f"t{i}"), _ints(b, t.shape)
        schema.TensorStart(b)
        schema.TensorAddShape(b, shape)
        schema.TensorAddType(b, t.dtype)
        schema.TensorAddBuffer(b, buffer_index)
        schema.TensorAddName(b, name)
        if quant is not None:
            schema.TensorAddQuantization(b, quant)
        tensor_offsets.append(schema.TensorEnd(b))
    op_offsets = []
    for node in nodes:
        ins, outs = _ints(b, node.inputs), _ints(b, node.outputs)
        options = node.options[1](b) if node.options else None
        schema.OperatorStart(b)
        schema.OperatorAddOpcodeIndex(b, codes.index(node.code))
        schema.OperatorAddInputs(b, ins)
        schema.OperatorAddOutputs(b, outs)
        if options is not None:
            schema.OperatorAddBuiltinOptionsType(b, node.options[0])
            schema.OperatorAddBuiltinOptions(b, options)
        op_offsets.append(schema.OperatorEnd(b))
    graph_offsets = []
    for g in range(graphs):
        t_vec = _vector(b, tensor_offsets if g == 0 else [])
        in_vec, out_vec = _ints(b, inputs if g == 0 else []), _ints(b, outputs if g == 0 else [])
        o_vec = _vector(b, op_offsets if g == 0 else [])
        schema.SubGraphStart(b)
        schema.SubGraphAddTensors(b, t_vec)
        schema.SubGraphAddInputs(b, in_vec)
        schema.SubGraphAddOutputs(b, out_vec)
        schema.SubGraphAddOperators(b, o_vec)
        graph_offsets.append(schema.SubGraphEnd(b))
    code_offsets = []
    for code in codes:
        custom = b.CreateString(code) if isinstance(code, str) else None
        builtin = Op.CUSTOM if isinstance(code, str) else code
        schema.OperatorCodeStart(b)
        schema.OperatorCodeAddDeprecatedBuiltinCode(b, min(builtin, 127))
        schema.OperatorCodeAddBuiltinCode(b, builtin)
        schema.OperatorCodeAddVersion(b, 1)
        if custom is not None:
            schema.OperatorCodeAddCustomCode(b, custom)
        code_offsets.append(schema.OperatorCodeEnd(b))
    codes_vec, graphs_vec, buffers_vec = _vector(b, code_offsets), _vector(b, graph_offsets), _vector(b, buffers)
    schema.ModelStart(b)
    schema.ModelAddVersion(b, 3)
    schema.ModelAddOperatorCodes(b, codes_vec)
    schema.ModelAddSubgraphs(b, graphs_vec)
    schema.ModelAddBuffers(b, buffers_vec)
    b.Finish(schema.ModelEnd(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def _reducer(b):
    schema.ReducerOptionsStart(b)
    schema.ReducerOptionsAddKeepDims(b, False)
    return schema.ReducerOptionsEnd(b)


def _softmax(b):
    schema.SoftmaxOptionsStart(b)
    schema.SoftmaxOptionsAddBeta(b, 1.0)
    return schema.SoftmaxOptionsEnd(b)


def _fully_connected(b):
    schema.FullyConnectedOptionsStart(b)
    return schema.FullyConnectedOptionsEnd(b)


def _batch_matmul(b):
    schema.BatchMatMulOptionsStart(b)
    return schema.BatchMatMulOptionsEnd(b)


def _const(values, dtype=np.float32) -> bytes:
    return np.asarray(values, dtype=dtype).tobytes()


def classifier(
    classes: int = 3,
    side: int = 32,
    *,
    input_shape: list[int] | None = None,
    input_dtype: int = FLOAT32,
    head: int | str = Op.SOFTMAX,
    bias: float = 0.0,
    second_output: bool = False,
    tile: int = 1,
    matmuls: int = 0,
    graphs: int = 1,
    inputs: int = 1,
    weights: np.ndarray | None = None,
    biases: np.ndarray | None = None,
) -> bytes:
    """MEAN over H and W -> FULLY_CONNECTED (3 -> classes) -> head. `head`: SOFTMAX (probabilities), None
    (logits), or another op or a custom op's name in its place. `tile` repeats the image that many times along
    H and W first (a huge tensor); `matmuls` adds that many products of a 1024x3072 matrix with its 3072x1024
    reshape (billions of multiply-adds each). `inputs` > 1 lists the image input that many times. `weights`
    ([classes, 3]) and `biases` ([classes]): a trained head instead of "class i answers channel i"."""
    shape = input_shape or [1, side, side, 3]
    tensors = [T(shape, input_dtype)]
    nodes: list[Node] = []
    x = 0
    if input_dtype == UINT8:
        tensors.append(T(shape))
        nodes.append(Node(Op.CAST, [x], [len(tensors) - 1]))
        x = len(tensors) - 1
    if tile > 1 or matmuls:
        reps = tile if tile > 1 else 1024 // side
        tensors += [T([4], INT32, _const([1, reps, reps, 1], np.int32)), T([1, side * reps, side * reps, 3])]
        nodes.append(Node(Op.TILE, [x, len(tensors) - 2], [len(tensors) - 1]))
        x = len(tensors) - 1
    for _ in range(matmuls):
        n = side * (1024 // side)
        tensors += [T([3], INT32, _const([1, n, 3 * n], np.int32)), T([1, n, 3 * n])]
        tensors += [T([3], INT32, _const([1, 3 * n, n], np.int32)), T([1, 3 * n, n]), T([1, n, n])]
        a, b, product = len(tensors) - 4, len(tensors) - 2, len(tensors) - 1
        nodes += [
            Node(Op.RESHAPE, [x, a - 1], [a]),
            Node(Op.RESHAPE, [x, b - 1], [b]),
            Node(Op.BATCH_MATMUL, [a, b], [product], (BuiltinOptions.BatchMatMulOptions, _batch_matmul)),
        ]
    if weights is None:
        weights = np.tile(np.eye(3, dtype=np.float32), (classes // 3 + 1, 1))[:classes] / 16.0
    head_bias = _const([bias] * classes) if biases is None else np.asarray(biases, np.float32).tobytes()
    tensors += [
        T([2], INT32, _const([1, 2], np.int32)),
        T([1, 3]),
        T([classes, 3], FLOAT32, np.asarray(weights, np.float32).tobytes()),
        T([classes], FLOAT32, head_bias),
        T([1, classes]),
    ]
    axes, pooled, w, bias_t, logits = range(len(tensors) - 5, len(tensors))
    nodes += [
        Node(Op.MEAN, [x, axes], [pooled], (BuiltinOptions.ReducerOptions, _reducer)),
        Node(
            Op.FULLY_CONNECTED, [pooled, w, bias_t], [logits], (BuiltinOptions.FullyConnectedOptions, _fully_connected)
        ),
    ]
    outputs = [logits]
    if head is not None:
        tensors.append(T([1, classes]))
        options = (BuiltinOptions.SoftmaxOptions, _softmax) if head == Op.SOFTMAX else None
        nodes.append(Node(head, [logits], [len(tensors) - 1], options))
        outputs = [len(tensors) - 1] + ([logits] if second_output else [])
    return write(tensors, nodes, [0] * inputs, outputs, graphs)


# ------------------------------------------------------------------------------------------------ shipped model
def _input_tensor(data: bytes):
    graph = ModelReader.GetRootAs(data, 0).Subgraphs(0)
    return graph.Tensors(int(graph.Inputs(0)))


def with_input_shape(data: bytes, shape: list[int]) -> bytes:
    """The model with its input tensor's shape values replaced in place (a shorter shape lowers the rank)."""
    tab = _input_tensor(data)._tab
    start = tab.Vector(tab.Offset(4))
    length = struct.unpack_from("<I", data, start - 4)[0]
    assert len(shape) <= length, "the shape can only keep or lower its rank in place"
    out = bytearray(data)
    struct.pack_into("<I", out, start - 4, len(shape))
    struct.pack_into(f"<{len(shape)}i", out, start, *shape)
    return bytes(out)


def with_op_code(data: bytes, old: int, new: int) -> bytes:
    """The model with every operator of builtin code `old` turned into code `new` (a custom op when CUSTOM)."""
    model = ModelReader.GetRootAs(data, 0)
    out = bytearray(data)
    for i in range(model.OperatorCodesLength()):
        code = model.OperatorCodes(i)
        if max(code.BuiltinCode(), code.DeprecatedBuiltinCode()) == old:
            tab = code._tab
            struct.pack_into("<b", out, tab.Pos + tab.Offset(4), min(new, 127))
            struct.pack_into("<i", out, tab.Pos + tab.Offset(10), new)
    return bytes(out)


def with_version(data: bytes, version: int) -> bytes:
    """The model with its schema version field rewritten (present in every model `write` makes)."""
    tab = ModelReader.GetRootAs(data, 0)._tab
    out = bytearray(data)
    struct.pack_into("<I", out, tab.Pos + tab.Offset(4), version)
    return bytes(out)
