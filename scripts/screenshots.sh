#!/usr/bin/env bash
# scripts/screenshots.sh DIR [OUT]: PNGs of the pages a run, suite or
# comparison wrote into DIR (index.html, comparison.html, each report.html),
# each at 1280 px and at 400 px wide, into OUT (default DIR/screenshots), with
# the headless Chromium the browser test uses. For looking at the pages, and
# for an issue's or a review's "what it looks like".
set -euo pipefail
dir=${1:?usage: scripts/screenshots.sh DIR [OUT]}
out=${2:-$dir/screenshots}
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$browser" ]; then
  echo "screenshots.sh: no Chromium on PATH (Debian: apt-get install -y chromium)" >&2
  exit 2
fi
mkdir -p "$out"
n=0
while IFS= read -r page; do
  rel=${page#"$dir"/}
  name=$(printf '%s' "${rel%.html}" | tr '/' '_')
  for width in 1280 400; do
    # A tall window: --screenshot takes the window, not the whole page.
    "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars \
      --window-size="$width,6000" --screenshot="$out/$name-$width.png" "file://$(realpath "$page")" >/dev/null 2>&1
    n=$((n + 1))
  done
done < <(find "$dir" -name index.html -o -name comparison.html -o -name report.html | sort)
if [ "$n" -eq 0 ]; then
  echo "screenshots.sh: $dir holds no index.html, comparison.html or report.html" >&2
  exit 2
fi
echo "$n screenshots in $out"
