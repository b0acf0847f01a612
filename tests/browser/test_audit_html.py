"""The audit's HTML report in a real browser (Debian's chromium, headless): a 64-node fleet
with drift, an unreachable and a failed node.  The page's own layout is measured inside the
browser (a probe script in a copy of the page) and the screenshot's pixels are read back, so
"highlighted" means painted, not just a class in the markup.  The screenshot and the page stay
in reports/ as artifacts of the run."""

import html
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import zlib

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(REPO, "build", "collections"))   # the link `make deps` makes
from ansible_collections.ascend_verl.cluster.plugins.module_utils import audit  # noqa: E402

CHROMIUM = shutil.which("chromium")
REPORTS = os.path.join(REPO, "reports")
DRIFT_RGB = (0xF8, 0xC4, 0xC4)          # td.drift in module_utils/reports.py
MANIFEST = {"name": "seed", "components": {
    "driver": {"version": "25.3.rc1"}, "firmware": {"version": "7.8.0.1.211"}, "toolkit": {"version": "8.3.RC1"},
    "kernels": {"version": "8.3.RC1"}, "nnal": {"version": "8.3.RC1"}, "python": {"version": "3.11"}}}
GOOD = {"os": "openEuler 22.03 (LTS-SP4)", "driver": "25.3.rc1", "firmware": "7.8.0.1.211", "toolkit": "8.3.RC1",
        "kernels": "8.3.RC1", "nnal": "8.3.RC1", "python": "3.11.13", "torch": "2.7.1", "torch_npu": "2.7.1.post2",
        "sglang": "0.5.8", "verl": "0.7.1", "ray": "2.49.2"}
PROBE = """<pre id="probe"></pre><script>
const cells = [...document.querySelectorAll("tbody td")];
const style = (el) => getComputedStyle(el);
const plain = document.querySelector("tbody tr:nth-child(2) td:nth-child(3)");
document.getElementById("probe").textContent = JSON.stringify({
  headers: [...document.querySelectorAll("thead th")].map((th) => th.textContent),
  rows: document.querySelectorAll("tbody tr").length,
  drift: [...document.querySelectorAll("td.drift")].map((td) => ({
    host: td.parentElement.firstElementChild.textContent, text: td.textContent, title: td.title,
    bg: style(td).backgroundColor, weight: style(td).fontWeight})),
  plain_bg: style(plain).backgroundColor,
  min_font_px: Math.min(...cells.map((td) => parseFloat(style(td).fontSize))),
  clipped: cells.filter((td) => td.scrollWidth > td.clientWidth + 1).map((td) => td.textContent),
  min_row_px: Math.min(...[...document.querySelectorAll("tbody tr")].map((tr) => tr.getBoundingClientRect().height)),
  header_position: style(document.querySelector("thead th")).position,
  table_px: document.querySelector("table").getBoundingClientRect().width,
});
</script>"""


def fleet():
    hosts = dict(("node%d" % i, {"versions": dict(GOOD)}) for i in range(1, 65))
    hosts["node7"]["versions"]["driver"] = "25.2.0"          # off the manifest
    hosts["node33"]["versions"]["torch"] = "2.8.0"           # off the fleet's majority (unpinned)
    hosts["node41"]["versions"]["nnal"] = "8.2.RC1"
    hosts["node63"] = {"failed": True, "msg": "MODULE FAILURE"}
    hosts["node64"] = {"unreachable": True, "msg": "Failed to connect to the host via ssh: timed out"}
    return hosts


def chromium(*args):
    assert CHROMIUM, "no chromium on PATH: `make browser` installs Debian's package"
    done = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                           "--user-data-dir=" + os.path.join(REPO, "build", "chromium-profile")] + list(args),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def png_pixels(path):
    """-> (width, height, rows of (r, g, b)) of an 8-bit RGB(A) PNG, as chromium writes them."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat = 8, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", chunk[:10])
            assert depth == 8 and color in (2, 6) and chunk[12] == 0, "not 8-bit RGB(A), not interlaced"
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    bpp = 3 if color == 2 else 4
    raw, stride, prev, rows = zlib.decompress(idat), width * bpp, bytearray(width * bpp), []
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):                         # undo the PNG row filter
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append([tuple(line[x:x + 3]) for x in range(0, stride, bpp)])
        prev = line
    return width, height, rows


@pytest.fixture(scope="module")
def report():
    files = audit.render(audit.audit(fleet(), MANIFEST), "seed", "audit-browser-64")
    os.makedirs(REPORTS, exist_ok=True)
    page = os.path.join(REPORTS, "audit-browser-64.html")
    with open(page, "w") as f:
        f.write(files["html"])
    return page


def test_the_table_renders_and_drift_is_highlighted(report, tmp_path):
    probe_page = tmp_path / "probe.html"
    with open(report) as f:
        probe_page.write_text(f.read().replace("</body>", PROBE + "</body>"))
    dom = chromium("--virtual-time-budget=5000", "--dump-dom", "file://" + str(probe_page))
    found = json.loads(html.unescape(re.search(r'<pre id="probe">(.*?)</pre>', dom, re.S).group(1)))
    assert found["headers"][:3] == ["host", "status", "driver"] and "torch" in found["headers"]
    assert found["rows"] == 65                       # the manifest's row + 64 hosts, none dropped
    drifted = sorted((d["host"], d["text"]) for d in found["drift"])
    assert drifted == [("node33", "2.8.0"), ("node41", "8.2.RC1"), ("node7", "25.2.0")]
    assert set(d["bg"] for d in found["drift"]) == {"rgb(%d, %d, %d)" % DRIFT_RGB}
    assert found["plain_bg"] != found["drift"][0]["bg"] and all(d["weight"] == "700" for d in found["drift"])
    assert any("expected 25.3.rc1" in d["title"] for d in found["drift"])
    # readable at 64 nodes: nothing clipped, text at least 12 px, rows taller than their text,
    # the header stays in view while scrolling
    assert found["clipped"] == [] and found["min_font_px"] >= 12 and found["min_row_px"] >= found["min_font_px"]
    assert found["header_position"] == "sticky"


def test_the_screenshot_shows_the_highlight(report):
    shot = os.path.join(REPORTS, "audit-browser-64.png")
    if os.path.exists(shot):
        os.unlink(shot)
    chromium("--window-size=1600,1700", "--screenshot=" + shot, "file://" + report)
    width, height, rows = png_pixels(shot)
    assert (width, height) == (1600, 1700)
    painted = [y for y, row in enumerate(rows) if DRIFT_RGB in row]
    assert painted, "no drift-coloured pixel in %s" % shot
    # three drifted rows, far apart (nodes 7, 33 and 41): three separate bands of colour
    bands = [y for i, y in enumerate(painted) if i == 0 or y - painted[i - 1] > 1]
    assert len(bands) == 3, (bands, shot)
