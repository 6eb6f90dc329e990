"""What a .tflite file declares, read from its flatbuffer without loading it: ops, inputs, outputs.

An organisation's model is untrusted. Reading the flatbuffer here (PyPI `tflite`: the generated schema code,
pure Python) names every op before any runtime touches the file: tflite-runtime fails on custom and Flex ops only
at load and names ops only through a private call. The reader itself is hostile-input safe: every access is
bounds-checked by struct/numpy (a bad offset raises, never reads outside the buffer), nothing is allocated in
proportion to a declared length, and the number of entries walked is capped, so a crafted file costs at most
MAX_ENTRIES steps. Anything unreadable is a ModelFileError whose message a person can act on.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

from tflite.BuiltinOperator import BuiltinOperator
from tflite.Model import Model
from tflite.TensorType import TensorType

__all__ = ["ModelFileError", "TensorFacts", "ModelFacts", "read_model_file", "CUSTOM_PREFIX", "FLEX_PREFIX"]

SCHEMA_VERSION = 3  # the only TFLite schema version: "TFL3"
MAX_ENTRIES = 100_000  # operators walked, in all graphs together; real classifiers have hundreds
MAX_GRAPHS = 100
MAX_OPERATOR_CODES = 1000  # distinct op kinds; the schema knows about 200 builtin ones
MAX_GRAPH_IO = 16  # inputs or outputs read; a classifier has one of each
MAX_RANK = 16  # dimensions read from a shape
MAX_NAME_BYTES = 100  # of a tensor's or custom op's name (a crafted file can point many names at one huge string)
CUSTOM_PREFIX = "CUSTOM:"  # op names for custom ops: "CUSTOM:<custom_code>"
FLEX_PREFIX = "Flex"  # custom codes of TensorFlow (Flex) ops, which need the TF Select runtime

_OP_NAMES = {v: k for k, v in vars(BuiltinOperator).items() if not k.startswith("_") and isinstance(v, int)}
_TYPE_NAMES = {v: k.lower() for k, v in vars(TensorType).items() if not k.startswith("_") and isinstance(v, int)}


class ModelFileError(ValueError):
    """The bytes are not a readable TFLite model."""


@dataclass(frozen=True)
class TensorFacts:
    name: str
    shape: tuple[int, ...]
    dtype: str  # "float32", "uint8", ... ("type_<n>" for a code the schema does not know)
    quantization: tuple[float, int] | None  # (scale, zero point) when the tensor is quantized per tensor

    def to_dict(self) -> dict:
        return {"name": self.name, "shape": list(self.shape), "dtype": self.dtype}


@dataclass(frozen=True)
class ModelFacts:
    version: int
    subgraphs: int
    operators: int
    tensors: int
    ops: dict[str, int]  # op name -> how many operators use it ("CONV_2D", "CUSTOM:FlexAddV2", "BUILTIN_<n>")
    inputs: tuple[TensorFacts, ...]
    outputs: tuple[TensorFacts, ...]


def _capped(n: int, what: str, most: int = MAX_ENTRIES) -> int:
    if n > most:
        raise ModelFileError(f"the model declares {n} {what}; at most {most} are read")
    return n


def _name(table, field_offset: int) -> str:
    """A string field's first MAX_NAME_BYTES bytes, without copying the rest (the generated getters copy it all)."""
    o = table.Offset(field_offset)
    if not o:
        return ""
    start = table.Indirect(table.Pos + o)
    length = struct.unpack_from("<I", table.Bytes, start)[0]
    return bytes(table.Bytes[start + 4 : start + 4 + min(length, MAX_NAME_BYTES)]).decode("utf-8", "replace")


def _op_name(code) -> str:
    # Codes up to 127 sit in the old int8 field, newer ones in builtin_code: the runtime takes the larger.
    builtin = max(int(code.DeprecatedBuiltinCode()), int(code.BuiltinCode()))
    if builtin == BuiltinOperator.CUSTOM:
        return CUSTOM_PREFIX + _name(code._tab, 6)  # OperatorCode.custom_code
    return _OP_NAMES.get(builtin, f"BUILTIN_{builtin}")


def _tensor(graph, index: int) -> TensorFacts:
    if not 0 <= index < graph.TensorsLength():
        raise ModelFileError(f"the graph names tensor {index}, which does not exist")
    t = graph.Tensors(index)
    _capped(t.ShapeLength(), "dimensions in a shape", MAX_RANK)
    shape = t.ShapeAsNumpy()
    quant = t.Quantization()
    scale: Any = quant.ScaleAsNumpy() if quant is not None else 0
    zero = quant.ZeroPointAsNumpy() if quant is not None else 0
    per_tensor = not isinstance(scale, int) and len(scale) == 1
    return TensorFacts(
        name=_name(t._tab, 10),  # Tensor.name
        shape=tuple(int(d) for d in shape) if not isinstance(shape, int) else (),
        dtype=_TYPE_NAMES.get(int(t.Type()), f"type_{int(t.Type())}"),
        quantization=(float(scale[0]), int(zero[0]) if not isinstance(zero, int) and len(zero) else 0)
        if per_tensor
        else None,
    )


def _read(data: bytes) -> ModelFacts:
    model = Model.GetRootAs(data, 0)
    version = int(model.Version())
    if version != SCHEMA_VERSION:
        raise ModelFileError(f"TFLite schema version {version}; only version {SCHEMA_VERSION} exists")
    n_graphs = _capped(model.SubgraphsLength(), "graphs", MAX_GRAPHS)
    if n_graphs == 0:
        raise ModelFileError("the model has no graph")
    n_codes = _capped(model.OperatorCodesLength(), "operator codes", MAX_OPERATOR_CODES)
    names = [_op_name(model.OperatorCodes(i)) for i in range(n_codes)]
    ops: dict[str, int] = {}
    operators = tensors = 0
    for g in range(n_graphs):
        graph = model.Subgraphs(g)
        n_ops = graph.OperatorsLength()
        operators = _capped(operators + n_ops, "operators")  # in all graphs together
        tensors += graph.TensorsLength()
        for i in range(n_ops):
            index = int(graph.Operators(i).OpcodeIndex())
            if not 0 <= index < n_codes:
                raise ModelFileError(f"operator {i} uses operator code {index}, which does not exist")
            ops[names[index]] = ops.get(names[index], 0) + 1
    main = model.Subgraphs(0)
    inputs = main.InputsAsNumpy() if _capped(main.InputsLength(), "inputs", MAX_GRAPH_IO) else ()
    outputs = main.OutputsAsNumpy() if _capped(main.OutputsLength(), "outputs", MAX_GRAPH_IO) else ()
    return ModelFacts(
        version=version,
        subgraphs=n_graphs,
        operators=operators,
        tensors=tensors,
        ops=dict(sorted(ops.items())),
        inputs=tuple(_tensor(main, int(i)) for i in inputs),
        outputs=tuple(_tensor(main, int(i)) for i in outputs),
    )


def read_model_file(data: bytes) -> ModelFacts:
    """The facts of a .tflite file, or ModelFileError saying why it is not one."""
    if len(data) < 8:
        raise ModelFileError(f"{len(data)} bytes: too short to be a TFLite model")
    if data[4:8] != b"TFL3":
        raise ModelFileError("not a TFLite model: the file identifier is not TFL3")
    try:
        return _read(bytes(data))
    except ModelFileError:
        raise
    except (struct.error, IndexError, ValueError, TypeError, OverflowError, UnicodeError) as e:
        raise ModelFileError(f"a truncated or corrupt TFLite flatbuffer ({type(e).__name__}: {e})"[:300]) from e
