"""Run a .tflite on tflite-runtime (serving venv) and compare with the reference outputs (used by accept.py).

    functions/venv/bin/python -m training.train_check MODEL X.npy REF.npy [OUT.npy]     # from the repository root

Numpy only and no package-relative imports, so that both the serving venv and the training venv can import it,
as part of the package or on its own."""

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


def main(argv=None):
    """Print check()'s figures as one JSON line."""
    import argparse
    import json

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", help=".tflite file")
    ap.add_argument("x", help=".npy of inputs (N, 224, 224, 3)")
    ap.add_argument("ref", help=".npy of the reference outputs")
    ap.add_argument("out", nargs="?", default=None, help=".npy to write tflite-runtime's outputs to")
    a = ap.parse_args(argv)
    print(json.dumps(check(a.model, a.x, a.ref, a.out)))


if __name__ == "__main__":
    main()
