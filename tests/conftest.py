"""Shared test set-up: make functions/ and tests/ importable."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT / "functions", ROOT / "tests"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
