"""Offline training, export and measurement of the fruit classifier (never deployed).

Run from the repository root as ``python -m training.<command>`` (train, train_head, finalize, make_eval_dirs,
feedback, probe_backbones, make_golden) in a venv where ``pip install -e . --no-deps`` made this package and
``fruitclf`` importable (docs/model.md). Kept free of imports: the serving venv imports ``training.train_check``.
"""
