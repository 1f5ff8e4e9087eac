#!/usr/bin/env bash
# Fetch Debian's python3.11-doc package and unpack its HTML docs (530 pages) into a gitignored
# cache, as a real built site for the index tests and bench. Needs apt (Debian) but not root:
# `apt-get download` writes the .deb into the current folder, `dpkg-deb -x` unpacks without installing.
# Prints the HTML folder on stdout.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cache="${SGPT_PYTHON_DOCS_CACHE:-$root/.cache/python-docs}"
html="$cache/usr/share/doc/python3.11/html"

if [ -f "$html/index.html" ]; then
  echo "$html"
  exit 0
fi

mkdir -p "$cache/deb"
cd "$cache/deb"
if ! ls python3.11-doc_*.deb >/dev/null 2>&1; then
  if ! apt-get download python3.11-doc >&2; then
    # A fresh machine may have no package lists yet; root can fetch them.
    if [ "$(id -u)" = 0 ] && apt-get update -qq >&2 && apt-get download python3.11-doc >&2; then
      :
    else
      echo "apt-get download python3.11-doc failed; run 'apt-get update' (as root) and retry" >&2
      exit 1
    fi
  fi
fi
dpkg-deb -x python3.11-doc_*.deb "$cache"
# Debian replaces the bundled JS/CSS with symlinks into other packages; the pages themselves are complete.
test -f "$html/index.html" || { echo "no $html/index.html after unpacking" >&2; exit 1; }
echo "$html"
