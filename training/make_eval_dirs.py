"""Build symlink trees DEST/<set>/<label>/<source>/<image> from the shared datasets for `python -m fruitclf evaluate`.

    python3 -m training.make_eval_dirs --data ../shared/datasets --dest /tmp/fruitclf-eval   # repository root

Sets: grocery-test, fruits360-test, notfruit-test, extra-test (realworld-extra
+ extra2 test), extra3-test, grocery-val, notfruit-val, web-val (the held-out share of the web-photo train splits),
everyday-test, everyday-val. Tars are unpacked into --work/data first (outside the repository). Needs only the
standard library.
"""

import argparse
import pathlib

from . import datasets


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True)
    ap.add_argument("--dest", default="/tmp/fruitclf-eval")
    ap.add_argument("--work", default="/tmp/fruitclf-work")
    a = ap.parse_args(argv)
    root = datasets.ensure_unpacked(pathlib.Path(a.data), pathlib.Path(a.work) / "data")
    for name, path in datasets.make_eval_dirs(datasets.list_samples(root), pathlib.Path(a.dest)).items():
        print(name, path)


if __name__ == "__main__":
    main()
