#!/usr/bin/env bash
# Everyday scenes as extra not_fruit training photos for train_head.py --scene-negatives: the photo and art
# wallpapers of Debian's plasma-workspace-wallpapers (KDE Visual Design Group, GPL-2+; landscapes, sky, water,
# leaves, forest, boats). The shared not-fruit set is grocery vegetables and packages only, and a head trained
# without scenes called aerial town photos "lemon". One image per wallpaper, the one closest to 1920 px wide.
#   usage: training/fetch_scene_negatives.sh DEST   (writes DEST/not_fruit/<Wallpaper>.<ext> and DEST/SOURCE.txt)
set -euo pipefail
DEST="${1:?usage: fetch_scene_negatives.sh DEST}"
PKG=plasma-workspace-wallpapers
TMP="$(mktemp -d)"; trap 'rm -rf "$TMP"' EXIT
cd "$TMP"
apt-get download "$PKG" >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get download "$PKG" >/dev/null; }
DEB="$(ls "$TMP"/"$PKG"_*.deb)"
dpkg-deb -x "$DEB" x
mkdir -p "$DEST/not_fruit"
for dir in x/usr/share/wallpapers/*/contents/images; do
  name="$(basename "$(dirname "$(dirname "$dir")")")"
  # file names are <width>x<height>.<ext>: the one whose width is closest to 1920
  best="$(ls "$dir" | awk -F'[x.]' '{d = $1 - 1920; if (d < 0) d = -d; print d, $0}' | sort -n | head -n 1 | cut -d' ' -f2)"
  cp "$dir/$best" "$DEST/not_fruit/$name.${best##*.}"
done
{ echo "$(basename "$DEB") sha256 $(sha256sum "$DEB" | cut -d' ' -f1)"
  echo "licence: GPL-2+, Copyright 2014 KDE Visual Design Group (debian/copyright of the package)"; } > "$DEST/SOURCE.txt"
echo "$(ls "$DEST/not_fruit" | wc -l) scene photos in $DEST/not_fruit ($(basename "$DEB"))"
