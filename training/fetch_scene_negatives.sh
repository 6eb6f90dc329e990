#!/usr/bin/env bash
# Everyday scenes as extra not_fruit training photos (train_head.py --scene-negatives, train.py --scene-negatives):
#  - the photo and art wallpapers of Debian's plasma-workspace-wallpapers (KDE Visual Design Group, GPL-2+;
#    landscapes, sky, water, leaves, forest, boats): one image per wallpaper, the one closest to 1920 px wide;
#  - with --with-drawings, also the 16 drawings of Debian's gnome-backgrounds (GNOME, CC BY-SA 3.0; abstract
#    art, wood, pixels), since a fruit model also meets drawings and screenshots.
# The shared not-fruit set is grocery vegetables and packages only, and a head trained without scenes called aerial
# town photos "lemon". Not used: mate-backgrounds, lomiri-wallpapers*, ukui-wallpapers and scikit-image's photos,
# which are our held-back checks.
#   usage: training/fetch_scene_negatives.sh DEST [--with-drawings]
#   writes DEST/not_fruit/<name>.<ext> and DEST/SOURCE.txt (package, version, sha256, licence per source)
set -euo pipefail
DEST="${1:?usage: fetch_scene_negatives.sh DEST [--with-drawings]}"
WITH_DRAWINGS=false
[ "${2:-}" = "--with-drawings" ] && WITH_DRAWINGS=true
TMP="$(mktemp -d)"; trap 'rm -rf "$TMP"' EXIT
cd "$TMP"
fetch_deb() { # <package>: download and unpack into x-<package>; prints the .deb path
  apt-get download "$1" >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get download "$1" >/dev/null; }
  local deb; deb="$(ls "$TMP"/"$1"_*.deb)"
  dpkg-deb -x "$deb" "x-$1"
  echo "$deb"
}
mkdir -p "$DEST/not_fruit"
: > "$DEST/SOURCE.txt"

DEB="$(fetch_deb plasma-workspace-wallpapers)"
for dir in x-plasma-workspace-wallpapers/usr/share/wallpapers/*/contents/images; do
  name="$(basename "$(dirname "$(dirname "$dir")")")"
  # file names are <width>x<height>.<ext>: the one whose width is closest to 1920
  best="$(ls "$dir" | awk -F'[x.]' '{d = $1 - 1920; if (d < 0) d = -d; print d, $0}' | sort -n | head -n 1 | cut -d' ' -f2)"
  cp "$dir/$best" "$DEST/not_fruit/$name.${best##*.}"
done
{ echo "$(basename "$DEB") sha256 $(sha256sum "$DEB" | cut -d' ' -f1)"
  echo "licence: GPL-2+, Copyright 2014 KDE Visual Design Group (debian/copyright of the package)"; } >> "$DEST/SOURCE.txt"

if $WITH_DRAWINGS; then
  DEB="$(fetch_deb gnome-backgrounds)"
  for f in x-gnome-backgrounds/usr/share/backgrounds/gnome/*.webp; do cp "$f" "$DEST/not_fruit/gnome-$(basename "$f")"; done
  { echo "$(basename "$DEB") sha256 $(sha256sum "$DEB" | cut -d' ' -f1)"
    echo "licence: CC BY-SA 3.0, Jakub Steiner and other GNOME artists (debian/copyright of the package)"; } >> "$DEST/SOURCE.txt"
fi
echo "$(ls "$DEST/not_fruit" | wc -l) scene pictures in $DEST/not_fruit"
