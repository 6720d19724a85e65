#!/usr/bin/env bash
# Writes the King James Bible (public domain, Debian package bible-kjv) as a training corpus:
#   <out>/train.txt  one verse per line, verse references removed
#   <out>/valid.txt  every 50th chapter (deterministic held-out split)
# Usage: scripts/make-corpus.sh [out-dir]   (default: corpus/kjv, not committed)
set -euo pipefail
out="${1:-corpus/kjv}"
if ! command -v bible >/dev/null 2>&1; then
  apt-get install -y bible-kjv
fi
mkdir -p "$out"
# Lines look like "1Co13:4 Charity suffereth long, ..."; a chapter is the reference before the colon.
bible -f "Gen1:1-Rev22:21" | awk -v train="$out/train.txt" -v valid="$out/valid.txt" '
  match($0, /^[1-3]?[A-Za-z]+[0-9]+:[0-9]+ /) {
    ref = substr($0, 1, RLENGTH - 1); text = substr($0, RLENGTH + 1)
    chapter = substr(ref, 1, index(ref, ":") - 1)
    if (chapter != last) { n++; last = chapter }
    gsub(/[ \t]+$/, "", text)
    if (text == "") next
    if (n % 50 == 0) print text > valid; else print text > train
  }'
echo "wrote $(wc -l < "$out/train.txt") train and $(wc -l < "$out/valid.txt") validation verses to $out" >&2
