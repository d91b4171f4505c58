#!/usr/bin/env bash
# Checks the comparison report in a real browser (headless Chromium from Debian's packages):
#   scripts/check_html.sh FILE.html OUT.png [PHONE.png]
# - renders FILE.html at 1280 px wide and saves a screenshot to OUT.png (and at 390 px to
#   PHONE.png when given); CHECK_HTML_HEIGHT sets the screenshot height (default 2600 px);
# - fails (exit 1) if the page logs anything to the console (the report has no scripts, so any
#   message, e.g. "Uncaught ..." or "Failed to load resource", is an error);
# - fails if an <svg class="chart"> in the rendered DOM has no drawn series: no
#   <path class="series"> with data, <polyline>, or <rect class="bar">;
# - fails if the page is wider than a 1280 px window (its scroll width), or if any element
#   scrolls sideways there (a table in its .table-wrap, say): measured in a copy of the page
#   with a measuring script added (the page itself has none).
# Installs Chromium with apt-get when it is missing. Needs python3 (standard library only).
set -euo pipefail

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
  echo "usage: $0 FILE.html OUT.png [PHONE.png]" >&2
  exit 2
fi
page=$1
shot=$2
phone=${3:-}
if [ ! -f "$page" ]; then
  echo "check_html: '$page' does not exist" >&2
  exit 2
fi

browser=""
for candidate in chromium chromium-browser google-chrome; do
  if command -v "$candidate" >/dev/null 2>&1; then browser=$candidate; break; fi
done
if [ -z "$browser" ]; then
  echo "check_html: installing chromium (apt-get)" >&2
  if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
  browser=chromium
fi

url="file://$(cd "$(dirname "$page")" && pwd)/$(basename "$page")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
height=${CHECK_HTML_HEIGHT:-2600}
# A private profile per call, so that concurrent checks do not share a browser.
flags=(--headless --no-sandbox --disable-gpu --no-first-run --hide-scrollbars --user-data-dir="$work/profile"
       --enable-logging=stderr --v=0 --virtual-time-budget=3000)

status=0
"$browser" "${flags[@]}" --dump-dom "$url" >"$work/dom.html" 2>"$work/dom.log" || {
  echo "check_html: $browser failed to render $url:" >&2; cat "$work/dom.log" >&2; exit 1; }
"$browser" "${flags[@]}" --window-size=1280,"$height" --screenshot="$work/wide.png" "$url" \
  >/dev/null 2>"$work/wide.log" || { echo "check_html: screenshot failed:" >&2; cat "$work/wide.log" >&2; exit 1; }
mkdir -p "$(dirname "$shot")"
mv "$work/wide.png" "$shot"
if [ -n "$phone" ]; then
  "$browser" "${flags[@]}" --window-size=390,"$height" --screenshot="$work/phone.png" "$url" \
    >/dev/null 2>"$work/phone.log" || { echo "check_html: phone screenshot failed:" >&2; cat "$work/phone.log" >&2; exit 1; }
  mkdir -p "$(dirname "$phone")"
  mv "$work/phone.png" "$phone"
fi

# Widths at a 1280 px viewport, written into the DOM by a script added to a copy of the page.
python3 - "$page" "$work/measure.html" <<'PY'
import sys
script = """<script>addEventListener("load", () => {
  const root = document.documentElement;
  const wide = [...document.querySelectorAll("body *")].filter(e => e.scrollWidth > e.clientWidth + 1
      && getComputedStyle(e).overflowX !== "visible")
    .map(e => e.tagName.toLowerCase() + (e.className && typeof e.className === "string" ? "." + e.className : "")
      + " " + e.scrollWidth + " > " + e.clientWidth);
  const out = document.createElement("pre");
  out.id = "check-html-widths";
  out.textContent = JSON.stringify({scrollWidth: root.scrollWidth, innerWidth: innerWidth, wide: wide});
  document.body.appendChild(out);
});</script>"""
html = open(sys.argv[1], encoding="utf-8").read()
at = html.rfind("</body>")
open(sys.argv[2], "w", encoding="utf-8").write(html[:at] + script + html[at:] if at >= 0 else html + script)
PY
"$browser" "${flags[@]}" --window-size=1280,"$height" --dump-dom "file://$work/measure.html" >"$work/measure.dom" \
  2>"$work/measure.log" || { echo "check_html: measuring failed:" >&2; cat "$work/measure.log" >&2; exit 1; }
python3 - "$work/measure.dom" <<'PY' || status=1
import html, json, re, sys
found = re.search(r'<pre id="check-html-widths">(.*?)</pre>', open(sys.argv[1], encoding="utf-8").read(), re.S)
if not found:
    print("check_html: FAIL: the width measurement did not run", file=sys.stderr)
    sys.exit(1)
widths = json.loads(html.unescape(found.group(1)))
failed = False
if widths["innerWidth"] != 1280:
    print(f"check_html: FAIL: the window is {widths['innerWidth']} px wide, not 1280", file=sys.stderr)
    failed = True
if widths["scrollWidth"] > widths["innerWidth"]:
    print(f"check_html: FAIL: the page is {widths['scrollWidth']} px wide in a {widths['innerWidth']} px window",
          file=sys.stderr)
    failed = True
for element in widths["wide"]:
    print(f"check_html: FAIL: scrolls sideways at 1280 px: {element} (scroll width > width)", file=sys.stderr)
    failed = True
print(f"check_html: page width {widths['scrollWidth']} px at {widths['innerWidth']} px", file=sys.stderr)
sys.exit(1 if failed else 0)
PY

if grep -h "CONSOLE" "$work/dom.log" "$work/wide.log" >"$work/console.txt" 2>/dev/null; then
  echo "check_html: FAIL: the page logged to the console:" >&2
  sed 's/^/  /' "$work/console.txt" >&2
  status=1
fi

python3 - "$work/dom.html" <<'PY' || status=1
import sys
from html.parser import HTMLParser

class Charts(HTMLParser):
    def __init__(self):
        super().__init__()
        self.depth = 0          # nesting inside the current chart svg
        self.charts = []        # [label, drawn series count]

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        classes = (attributes.get("class") or "").split()
        if tag == "svg" and self.depth == 0 and "chart" in classes:
            self.charts.append([attributes.get("aria-label") or "chart %d" % (len(self.charts) + 1), 0])
            self.depth = 1
            return
        if self.depth == 0:
            return
        if tag == "svg":
            self.depth += 1
        drawn = (tag == "path" and "series" in classes and (attributes.get("d") or "").strip()
                 or tag == "polyline" and (attributes.get("points") or "").strip()
                 or tag == "rect" and "bar" in classes)
        if drawn:
            self.charts[-1][1] += 1

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag == "svg" and self.depth > 0:
            self.depth -= 1

    def handle_endtag(self, tag):
        if tag == "svg" and self.depth > 0:
            self.depth -= 1

parser = Charts()
parser.feed(open(sys.argv[1], encoding="utf-8").read())
empty = [label for label, drawn in parser.charts if drawn == 0]
for label in empty:
    print(f"check_html: FAIL: chart '{label}' has no drawn series", file=sys.stderr)
print(f"check_html: {len(parser.charts)} charts, "
      f"{sum(drawn for _, drawn in parser.charts)} drawn series", file=sys.stderr)
sys.exit(1 if empty else 0)
PY

if [ "$status" -eq 0 ]; then
  echo "check_html: OK: $page (screenshot $shot${phone:+, $phone})"
fi
exit "$status"
