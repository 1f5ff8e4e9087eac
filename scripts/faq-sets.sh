#!/usr/bin/env bash
# Builds the docs-question DEVELOPMENT sets that scripts/fit-fusion.ts fits adaptive fusion on
# (README "Evaluation"): each Debian -doc package is downloaded with apt-get, unpacked with
# dpkg-deb, and scripts/faq-beir.ts turns its FAQ into a BEIR set over the whole site; then
# scripts/heading-beir.ts makes a set of keyword-style queries (headings) of five of those sites.
#
#   bash scripts/faq-sets.sh <out-dir> [<debs-dir>]      # then: tsx scripts/fit-fusion.ts --faqsets <out-dir> …
#
# The held-out sets (python3.11-doc's FAQ, python-django-doc) are never built here: they must
# not be selected on. The SQLite and Sphinx sets keep every page of their site (as first built;
# the extractor leaves index and search pages out of every set); the newer ones leave out
# generated pages (highlighted sources, indexes) and release notes.
# Not built: git's gitfaq (git-doc): its answers link whole man pages, whose lead section is the
# one-line NAME, so no method scores on it (BM25, dense and fused all 0.0 on its 6 questions).
set -euo pipefail
out=${1:?usage: faq-sets.sh <out-dir> [<debs-dir>]}
debs=${2:-$out/debs}
here=$(cd "$(dirname "$0")/.." && pwd)
skip='_modules/**,genindex*,search.html,py-modindex.html,404.html,changelog/**,changelog.html,changes.html,news.html,history/**,releases/**,releases.html,whatsnew*,whats_new*'

unpack() { # <package>: its files under $debs/<package>/root
  [ -d "$debs/$1/root" ] && return
  mkdir -p "$debs/$1/root"
  (cd "$debs/$1" && apt-get download "$1" >/dev/null && dpkg-deb -x "$1"_*.deb root)
}

set_of() { # <name> <package> <doc folder under usr/share/doc> <faq pages> [faq-beir options…]
  local name=$1 package=$2 folder=$3 faq=$4
  shift 4
  unpack "$package"
  (cd "$here" && npx tsx scripts/faq-beir.ts "$debs/$package/root/usr/share/doc/$folder" --faq "$faq" --out "$out/$name" "$@")
}

set_of sqlite-faq sqlite3-doc sqlite3 faq.html
set_of sphinx-faq sphinx-doc sphinx-doc/html faq.html
set_of aiohttp-faq python-aiohttp-doc python-aiohttp-doc/html faq.html --exclude "$skip"
set_of celery-faq python-celery-doc python-celery-doc/html faq.html --exclude "$skip"
set_of scrapy-faq python-scrapy-doc python-scrapy-doc/html faq.html --exclude "$skip"
set_of lxml-faq python-lxml-doc python-lxml/html FAQ.html --exclude "$skip"
unpack python-sqlalchemy-doc
sqlalchemy_faq=$(cd "$debs/python-sqlalchemy-doc/root/usr/share/doc/python-sqlalchemy-doc/html" && ls faq/*.html | paste -sd,)
set_of sqlalchemy-faq python-sqlalchemy-doc python-sqlalchemy-doc/html "$sqlalchemy_faq" --exclude "$skip" --all-headings
# Keyword-style queries on the dev sites sgpt-nano never trained on: each section's own heading ->
# its section (docs/FUSION.md, "How the fusion was chosen").
for site in scrapy sqlalchemy celery aiohttp lxml; do
  (cd "$here" && npx tsx scripts/heading-beir.ts "$out/$site-faq" --out "$out/$site-headings")
done
