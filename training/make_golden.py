"""Write tests/fixtures/golden_input.png (a tiny generated image, fruitclf.ml.synthetic_images.golden_pattern) and
golden_output.json: training's eval transform of it (fruitclf.ml.preprocess, the code training uses), subsampled
every 16th pixel. Run from the repository root with any venv that has numpy + pillow and this package installed
(docs/model.md): python -m training.make_golden"""

import json
import pathlib

from fruitclf.ml import preprocess
from fruitclf.ml.synthetic_images import golden_pattern

REPO = pathlib.Path(__file__).resolve().parent.parent


def main():
    out = REPO / "tests" / "fixtures"
    out.mkdir(parents=True, exist_ok=True)
    golden_pattern().save(out / "golden_input.png", optimize=True)
    arr = preprocess.to_input(preprocess.load_rgb(out / "golden_input.png"))[0, ::16, ::16, :]
    (out / "golden_output.json").write_text(
        json.dumps({"stride": 16, "shape": list(arr.shape), "values": [round(float(v), 7) for v in arr.ravel()]}) + "\n"
    )
    print("wrote", out)


if __name__ == "__main__":
    main()
