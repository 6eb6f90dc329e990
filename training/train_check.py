"""Run a .tflite on tflite-runtime (serving venv) and compare with PyTorch's outputs (used by train.py).

Numpy only, so that both the serving venv and the training venv can import it."""

import numpy as np


def invoke_each(it, xs):
    """Run an allocated single-input interpreter (batch 1) on each of xs; the outputs stacked."""
    i, o = it.get_input_details()[0]["index"], it.get_output_details()[0]["index"]
    outs = []
    for v in xs:
        it.set_tensor(i, v[None])
        it.invoke()
        outs.append(it.get_tensor(o)[0].copy())
    return np.stack(outs)


def check(model_path, x_path, ref_path, out_path=None):
    from tflite_runtime.interpreter import Interpreter

    x, ref = np.load(x_path), np.load(ref_path)
    it = Interpreter(model_path=model_path, num_threads=2)
    it.allocate_tensors()
    out = invoke_each(it, x)
    if out_path:
        np.save(out_path, out)
    return {
        "max_abs_diff": float(np.abs(out - ref).max()),
        "top1_agree": float((out.argmax(1) == ref.argmax(1)).mean()),
    }
