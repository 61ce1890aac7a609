#!/usr/bin/env bash
# Builds the Debian package from BINARY (default target/debug/palisade, so CI reuses the
# test build instead of a release build), checks its contents, and, when run as root
# with dpkg, installs it, runs the installed binary and removes it again.
#   scripts/deb/test-install.sh [BINARY]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
bin="${1:-$root/target/debug/palisade}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
deb="$(DEB_COMPRESS="-Zgzip -z1" "$root/scripts/deb/build.sh" "$bin" "$tmp")"
echo "built $deb ($(du -h "$deb" | cut -f1))"

test "$(dpkg-deb --field "$deb" Package)" = palisade
contents="$(dpkg-deb --contents "$deb")"
for f in ./usr/bin/palisade ./usr/share/applications/palisade.desktop \
    ./usr/share/icons/hicolor/scalable/apps/palisade.svg \
    ./usr/share/palisade/examples/docker-attack-surface.ron ./usr/share/doc/palisade/copyright; do
    grep -qF " $f" <<<"$contents" || { echo "missing in package: $f"; exit 1; }
done
dpkg-deb -x "$deb" "$tmp/x"
grep -q '^Exec=palisade %f$' "$tmp/x/usr/share/applications/palisade.desktop"
if command -v desktop-file-validate >/dev/null 2>&1; then
    desktop-file-validate "$tmp/x/usr/share/applications/palisade.desktop"
fi
"$tmp/x/usr/bin/palisade" validate "$tmp/x/usr/share/palisade/examples/docker-attack-surface.ron"

if [ "$(id -u)" = 0 ] && command -v dpkg >/dev/null 2>&1; then
    if dpkg -s palisade >/dev/null 2>&1; then
        echo "palisade is already installed here: not touching it"
    else
        dpkg -i "$deb" >/dev/null
        trap 'dpkg -r palisade >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
        test -x /usr/bin/palisade
        /usr/bin/palisade validate /usr/share/palisade/examples/kubernetes-cluster.ron
        test -f /usr/share/applications/palisade.desktop
        dpkg -r palisade >/dev/null
        test ! -e /usr/bin/palisade
        echo "installed, ran and removed the package"
    fi
else
    echo "not root: checked the package contents only"
fi
echo "deb package ok"
