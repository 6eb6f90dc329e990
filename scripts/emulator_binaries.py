"""Build the local stand-ins for emulator binaries that firebase-tools cannot download offline.

firestore-launcher DEBIAN_JAR OUT: a jar holding only a manifest whose Main-Class starts Debian's Firestore
    emulator (its own manifest has none, and firebase-tools runs `java -jar`).
storage-standin SRC_DIR OUT: compile the storage rules runtime stand-in (source in SRC_DIR) into a jar.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

FIRESTORE_MAIN = "com.google.cloud.datastore.emulator.firestore.CloudFirestore"


def _write_jar(out: Path, manifest: str, files: dict[str, bytes] | None = None) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as jar:
        jar.writestr("META-INF/MANIFEST.MF", manifest)
        for name, data in (files or {}).items():
            jar.writestr(name, data)
    tmp.replace(out)


def firestore_launcher(debian_jar: Path, out: Path) -> None:
    manifest = (
        f"Manifest-Version: 1.0\r\nMain-Class: {FIRESTORE_MAIN}\r\nClass-Path: {debian_jar.resolve().as_uri()}\r\n\r\n"
    )
    _write_jar(out, manifest)


def storage_standin(src_dir: Path, out: Path) -> None:
    sources = sorted(src_dir.glob("*.java"))
    with tempfile.TemporaryDirectory() as classes:
        subprocess.run(["javac", "--release", "17", "-d", classes, *map(str, sources)], check=True)
        files = {p.relative_to(classes).as_posix(): p.read_bytes() for p in Path(classes).rglob("*.class")}
    main = sources[0].stem
    _write_jar(out, f"Manifest-Version: 1.0\r\nMain-Class: {main}\r\n\r\n", files)


if __name__ == "__main__":
    command, source, target = sys.argv[1:4]
    {"firestore-launcher": firestore_launcher, "storage-standin": storage_standin}[command](Path(source), Path(target))
