"""Time two .tflite files at one thread on this venv's runtime, in interleaved rounds (the same load for both).

    functions/venv/bin/python -m training.tflite_speed A.tflite B.tflite [--rounds 60] [--runtime litert]

Prints each file's p50 and the median and IQR of the per-round ratio B/A. An int8 input is fed the float input
quantized with the tensor's own scale and zero point. Numpy only, like train_check, so that both venvs run it.
"""

import argparse
import statistics
import time

import numpy as np


def interpreter_class(runtime: str):
    if runtime == "litert":
        from ai_edge_litert.interpreter import Interpreter

        return Interpreter, "ai-edge-litert"
    try:
        from tflite_runtime.interpreter import Interpreter

        return Interpreter, "tflite-runtime"
    except ImportError:
        from ai_edge_litert.interpreter import Interpreter

        return Interpreter, "ai-edge-litert"


def timer(interpreter):
    """A function that runs one inference on a fixed input and returns its seconds."""
    detail = interpreter.get_input_details()[0]
    x = np.random.default_rng(0).uniform(-1, 1, detail["shape"]).astype(np.float32)
    if detail["dtype"] != np.float32:
        scale, zero = detail["quantization"]
        info = np.iinfo(detail["dtype"])
        x = np.clip(np.round(x / scale + zero), info.min, info.max).astype(detail["dtype"])

    def run():
        interpreter.set_tensor(detail["index"], x)
        t0 = time.perf_counter()
        interpreter.invoke()
        return time.perf_counter() - t0

    return run


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--rounds", type=int, default=60)
    ap.add_argument("--runtime", choices=["default", "litert"], default="default")
    args = ap.parse_args(argv)
    Interpreter, name = interpreter_class(args.runtime)
    runs = []
    for path in (args.a, args.b):
        it = Interpreter(model_path=path, num_threads=1)
        it.allocate_tensors()
        runs.append(timer(it))
    for _ in range(5):  # warm-up
        runs[0](), runs[1]()
    ta, tb = [], []
    for _ in range(args.rounds):
        ta.append(runs[0]())
        tb.append(runs[1]())
    ratio = [b / a for a, b in zip(ta, tb)]
    q1, q3 = np.percentile(ratio, [25, 75])
    print(
        f"{name}: A p50 {statistics.median(ta) * 1000:.1f} ms, B p50 {statistics.median(tb) * 1000:.1f} ms, "
        f"B/A median {statistics.median(ratio):.3f} (IQR {q1:.3f}-{q3:.3f}, {args.rounds} rounds)"
    )


if __name__ == "__main__":
    main()
