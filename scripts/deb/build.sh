#!/usr/bin/env bash
# Builds a Debian package of Palisade with dpkg-deb (no cargo-deb needed):
#   scripts/deb/build.sh [BINARY] [OUT_DIR]
# BINARY defaults to target/release/palisade (built with `cargo build --release` when
# missing); OUT_DIR defaults to target/deb. Prints the path of the .deb it wrote.
# The package installs the binary, a desktop entry and icon (a menu entry for people
# who never use cargo), the example models and the licence texts.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
bin="${1:-$root/target/release/palisade}"
out="${2:-$root/target/deb}"
if [ ! -x "$bin" ]; then
    (cd "$root" && cargo build --release --locked)
    bin="$root/target/release/palisade"
fi
version="$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -1)"
arch="$(dpkg --print-architecture)"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
pkg="$stage/palisade_${version}_${arch}"

install -D -m 0755 "$bin" "$pkg/usr/bin/palisade"
install -D -m 0644 "$root/assets/palisade.desktop" "$pkg/usr/share/applications/palisade.desktop"
install -D -m 0644 "$root/assets/palisade.svg" \
    "$pkg/usr/share/icons/hicolor/scalable/apps/palisade.svg"
for ex in "$root"/examples/*.ron; do
    install -D -m 0644 "$ex" "$pkg/usr/share/palisade/examples/$(basename "$ex")"
done
doc="$pkg/usr/share/doc/palisade"
install -D -m 0644 "$root/README.md" "$doc/README.md"
{
    echo "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"
    echo "Upstream-Name: palisade"
    echo
    echo "Files: *"
    echo "License: MIT OR Apache-2.0"
    echo
    echo "Files: fonts (embedded in the binary)"
    echo "License: Bitstream Vera / DejaVu and Apache-2.0 (Droid Sans Fallback)"
    for l in "$root"/assets/fonts/LICENSE-*.txt; do
        echo
        echo "--- $(basename "$l")"
        cat "$l"
    done
} >"$doc/copyright"
chmod 0644 "$doc/copyright"

size_kb="$(du -sk "$pkg" | cut -f1)"
mkdir -p "$pkg/DEBIAN"
cat >"$pkg/DEBIAN/control" <<CONTROL
Package: palisade
Version: $version
Architecture: $arch
Maintainer: Palisade developers <palisade@localhost>
Installed-Size: $size_kb
Depends: libc6
Recommends: libgl1, libx11-6, libx11-xcb1, libxcursor1, libxi6, libxkbcommon-x11-0, libgl1-mesa-dri, xdg-desktop-portal | zenity
Section: devel
Priority: optional
Homepage: https://example.invalid/palisade
Description: STRIDE threat modeling of container platforms
 A desktop editor and command-line tool for data-flow diagrams of Docker,
 Kubernetes and Kubeflow platforms: boundary-aware STRIDE rules, triage and
 reports (PDF, Markdown, HTML, JSON, SARIF). Works offline; no network use.
CONTROL
cat >"$pkg/DEBIAN/postinst" <<'POSTINST'
#!/bin/sh
set -e
if command -v update-desktop-database >/dev/null 2>&1; then
    update-desktop-database -q /usr/share/applications || true
fi
if command -v gtk-update-icon-cache >/dev/null 2>&1; then
    gtk-update-icon-cache -q -t /usr/share/icons/hicolor || true
fi
POSTINST
chmod 0755 "$pkg/DEBIAN/postinst"

mkdir -p "$out"
deb="$out/palisade_${version}_${arch}.deb"
# DEB_COMPRESS="-Zgzip -z1" trades size for time (the test script uses it).
# shellcheck disable=SC2086
dpkg-deb --root-owner-group ${DEB_COMPRESS:-} --build "$pkg" "$deb" >/dev/null
echo "$deb"
