#!/usr/bin/env bash
# Fetch real sample photos for the fruitclf tests from Debian's opencv-doc package (BSD-licensed OpenCV samples):
# the named fruit photos, and enough other real photos for the browser's on-device agreement test (>= 30).
# Idempotent: does nothing when the photos are already cached. Exits 0 (with a note) when apt is unavailable,
# so tests that need the photos skip with a reason instead of failing.
#   usage: scripts/fetch_test_photos.sh [CACHE_DIR]   (default: .cache/test-photos at the repository root)
set -u
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEST="${1:-${FRUITCLF_TEST_PHOTOS:-$ROOT/.cache/test-photos}}"
FILES="fruits.jpg apple.jpg orange.jpg baboon.jpg building.jpg home.jpg messi5.jpg starry_night.jpg board.jpg smarties.png \
leuvenA.jpg leuvenB.jpg aloeL.jpg aloeR.jpg graf1.png graf3.png chicky_512.png rubberwhale1.png rubberwhale2.png \
ela_original.jpg basketball1.png basketball2.png box_in_scene.png squirrel_cls.jpg aero1.jpg aero3.jpg butterfly.jpg \
HappyFish.jpg pca_test1.jpg stuff.jpg left01.jpg right01.jpg left02.jpg"

have_all() { for f in $FILES; do [ -s "$DEST/$f" ] || return 1; done; return 0; }
if have_all; then echo "test photos already in $DEST"; exit 0; fi
if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-deb >/dev/null 2>&1; then
  echo "apt-get/dpkg-deb not available: cannot fetch opencv-doc photos (photo tests will be skipped)" >&2; exit 0
fi
mkdir -p "$DEST"
TMP="$(mktemp -d)"; trap 'rm -rf "$TMP"' EXIT
cd "$TMP" || exit 0
if ! timeout 300 apt-get download opencv-doc >"$TMP/apt.log" 2>&1; then
  # the package lists may be missing on a fresh machine
  (timeout 300 apt-get update >/dev/null 2>&1 && timeout 300 apt-get download opencv-doc >>"$TMP/apt.log" 2>&1) || {
    echo "could not download opencv-doc with apt-get (photo tests will be skipped):" >&2; tail -n 3 "$TMP/apt.log" >&2; exit 0; }
fi
DEB="$(ls "$TMP"/opencv-doc_*.deb 2>/dev/null | head -n 1)"
[ -n "$DEB" ] || { echo "opencv-doc .deb not found after download" >&2; exit 0; }
dpkg-deb -x "$DEB" "$TMP/x" || { echo "dpkg-deb failed" >&2; exit 0; }
for f in $FILES; do
  src="$TMP/x/usr/share/doc/opencv-doc/examples/data/$f"
  [ -s "$src" ] && cp "$src" "$DEST/$f"
done
echo "$(basename "$DEB")" > "$DEST/SOURCE.txt"
echo "fetched test photos into $DEST"
