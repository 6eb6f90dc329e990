"""The folders of functions/fruitclf are its layers, and imports only point down (docs/architecture.md).

Read from the source (every import, also those inside functions), so a shortcut fails here before review:
  doors -> web -> service -> data, ml;   every layer may use config and errors;   ml and data use neither
  service nor web. Flask lives only in web/; the Firebase and Google Cloud clients only in data/.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "functions" / "fruitclf"
LAYERS = ("doors", "web", "service", "data", "ml")
MAY_USE = {
    "doors": {"web", "service", "ml"},
    "web": {"service", "ml"},
    "service": {"data", "ml"},
    "data": set(),
    "ml": set(),
}
COMMON = {"config", "errors", "__init__"}
ONLY_IN = {"flask": "web", "werkzeug": "web", "firebase_admin": "data", "google.cloud": "data"}


def modules() -> list[Path]:
    return sorted(path for path in PACKAGE.rglob("*.py") if "__pycache__" not in path.parts)


def layer_of(path: Path) -> str:
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def imports(path: Path) -> list[str]:
    """Absolute names of what `path` imports (relative imports resolved against the package)."""
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = parts[: len(parts) - node.level]
                module = ".".join(base + ([node.module] if node.module else []))
                names += [module] if node.module else [f"{module}.{alias.name}" for alias in node.names]
            else:
                names.append(node.module or "")
    return names


@pytest.mark.parametrize("path", modules(), ids=lambda path: str(path.relative_to(PACKAGE)))
def test_imports_point_down_and_clients_stay_in_their_layer(path):
    layer = layer_of(path)
    for name in imports(path):
        if name.startswith("fruitclf."):
            target = name.split(".")[1]
            if layer in MAY_USE and target in LAYERS and target != layer:
                assert target in MAY_USE[layer], f"{layer}/ may not import {name}"
            if layer in COMMON:
                assert target in COMMON, f"{path.name} is below every layer and may not import {name}"
        for prefix, home in ONLY_IN.items():
            if name == prefix or name.startswith(prefix + "."):
                assert layer == home, f"{name} belongs in {home}/ only, not {layer}/"


def test_every_module_is_in_a_layer():
    stray = [
        path.name for path in modules() if layer_of(path) not in LAYERS and layer_of(path) not in COMMON | {"__main__"}
    ]
    assert not stray, f"modules outside the layers: {stray}"
