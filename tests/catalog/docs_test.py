"""docs_test.py - fdlc graph and fdlc docs, end to end.

  * graph: the seed's lineage as JSON has exactly the expected edges; as dot
    it is what Graphviz reads; a bad --format is a usage error;
  * docs: the catalog's pages exist, every link in every page (and in the
    SVG) resolves to a file and an id in it; text from the definitions is
    HTML-escaped; each feature shows both syntaxes, file:line, owner and
    its readers;
  * the pages render in headless Chromium to a screenshot that is not blank;
  * without Graphviz the pages are still written, without the graph, and
    the command fails saying why; an output that is a definition file is
    refused before anything is written.

usage: docs_test.py FDLC ROOT WORKDIR
"""
import html.parser
import json
import os
import shutil
import struct
import subprocess
import sys
import urllib.parse
import zlib

FDLC, ROOT, WORK = sys.argv[1], sys.argv[2], sys.argv[3]
SEED = os.path.join(ROOT, "examples", "seed")
DEFS = [os.path.join(SEED, "catalog.yaml"), os.path.join(SEED, "features.yaml")]
PAGES = ["index.html", "entities.html", "sources.html", "embeddings.html", "features.html", "sets.html"]

failures = []


def check(condition, what):
    if not condition:
        failures.append(what)
        print("FAIL:", what)


def run(*args, env=None):
    return subprocess.run([FDLC, *args], capture_output=True, text=True, env=env)


# ------------------------------------------------------------------ graph

def test_graph():
    r = run("graph", "--format", "json", *DEFS)
    check(r.returncode == 0, "graph --format json works: " + r.stderr)
    g = json.loads(r.stdout)
    name = {n["id"]: "%s:%s" % (n["kind"], n["name"]) for n in g["nodes"]}
    edges = {(name[e["from"]], name[e["to"]]) for e in g["edges"]}
    expected = {
        ("source:purchases", "feature:user_purchase_count_30d"),
        ("source:orders", "feature:user_avg_order_value_90d"),
        ("embedding:product2vec_v3", "feature:product_embedding"),
        ("embedding:user2vec_v3", "feature:user_embedding"),
        ("feature:user_embedding", "feature:user_product_affinity"),
        ("feature:product_embedding", "feature:user_product_affinity"),
    } | {("feature:" + f, "set:ranking_v1") for f in
         ["user_purchase_count_30d", "user_avg_order_value_90d", "product_embedding", "user_embedding",
          "user_product_affinity"]}
    check(edges == expected, "the seed's lineage: %r" % sorted(edges ^ expected))
    check(len(g["nodes"]) == 10, "2 sources, 2 embeddings, 5 features, 1 set")

    r = run("graph", *DEFS)
    check(r.returncode == 0 and r.stdout.startswith("digraph lineage {"), "graph prints dot by default")
    if shutil.which("dot"):
        svg = subprocess.run(["dot", "-Tsvg"], input=r.stdout, capture_output=True, text=True)
        check(svg.returncode == 0 and "<svg" in svg.stdout, "Graphviz reads the dot: " + svg.stderr)
    r = run("graph", "--format", "yaml", *DEFS)
    check(r.returncode == 2 and "dot or json" in r.stderr, "a bad --format is refused: " + r.stderr)
    r = run("graph", os.path.join(SEED, "features.yaml"))
    check(r.returncode == 1 and "unknown source" in r.stderr, "definitions with errors exit 1")


# ---------------------------------------------------------------- links

class Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.links = set(), []

    def handle_starttag(self, tag, attrs):
        for key, value in attrs:
            if key == "id":
                self.ids.add(value)
            if key in ("href", "src", "data", "xlink:href") and value is not None:
                self.links.append(value)


def parse(path):
    p = Links()
    with open(path, encoding="utf-8") as f:
        p.feed(f.read())
    return p


def check_links(out):
    parsed = {}
    files = PAGES + (["lineage.svg"] if os.path.exists(os.path.join(out, "lineage.svg")) else [])
    for page in files:
        parsed[page] = parse(os.path.join(out, page))
    count = 0
    for page, p in parsed.items():
        for link in p.links:
            url = urllib.parse.urlsplit(link)
            check(not url.scheme and not url.netloc, "%s: only local links, not %r" % (page, link))
            target = urllib.parse.unquote(url.path) or page
            check(os.path.exists(os.path.join(out, target)), "%s: %r resolves to a file" % (page, link))
            if url.fragment and target in parsed:
                check(url.fragment in parsed[target].ids, "%s: %r names an id of %s" % (page, link, target))
            count += 1
    return count


# ---------------------------------------------------------------- screenshot

def png_pixels(path):
    """(width, height, rows of RGB tuples) of an 8-bit RGB/RGBA PNG."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos: pos + 8])
        body = data[pos + 8: pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and colour in (2, 6), "8-bit RGB(A) expected"
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1: (y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = previous[i]
            c = previous[i - channels] if i >= channels else 0
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
        rows.append([tuple(line[x * channels: x * channels + 3]) for x in range(width)])
        previous = line
    return width, height, rows


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


def test_screenshot(out):
    browser = chromium()
    check(browser is not None, "Chromium is installed (scripts/install-deps.sh installs it)")
    if not browser:
        return
    shot = os.path.join(WORK, "index.png")
    profile = os.path.join(WORK, "chromium-profile")
    r = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                        "--hide-scrollbars", "--no-first-run", "--user-data-dir=" + profile,
                        "--window-size=1000,900", "--screenshot=" + shot,
                        "file://" + os.path.join(os.path.abspath(out), "index.html")],
                       capture_output=True, text=True, timeout=240, env=dict(os.environ, HOME=WORK))
    check(r.returncode == 0 and os.path.exists(shot), "Chromium takes a screenshot: " + r.stderr[-500:])
    if not os.path.exists(shot):
        return
    width, height, rows = png_pixels(shot)
    colours = {}
    for row in rows[::3]:
        for pixel in row[::3]:
            colours[pixel] = colours.get(pixel, 0) + 1
    total = sum(colours.values())
    background = max(colours.values())
    check(width == 1000 and height == 900, "the screenshot is the window's size")
    check(len(colours) > 50, "the screenshot has text and drawing, not one colour (%d colours)" % len(colours))
    check(background < 0.97 * total, "the screenshot is not blank (%.1f%% background)" % (100.0 * background / total))
    # The header bar is dark (#111827) and the graph's boxes coloured: the style sheet and SVG were used.
    check(rows[5][500][0] < 60, "the header is drawn with the style sheet: %r" % (rows[5][500],))
    yellow = colours.get((0xfe, 0xf3, 0xc7), 0)
    check(yellow > 50, "the lineage graph's feature boxes are drawn (%d pixels)" % yellow)


# ------------------------------------------------------------------ docs

HOSTILE = """\
entities:
  - name: user
    join_key: user_id
    description: "<b>bold</b> & 'quoted' \\"double\\""
sources:
  - name: clicks
    timestamp: ts
    description: "</section><script>alert(1)</script>"
    fields:
      - {name: ts, type: timestamp}
      - {name: user_id, type: string}
      - name: page
        type: string
        expect:
          - {matches: '^<[a-z]+>$', policy: flag}
    sla: {pass_rate: 0.9}
features:
  - name: clicks_7d
    entity: user
    description: "Clicks <img src=x onerror=alert(2)>"
    tags: ["owner:<team-a>", "a&b"]
    aggregation: {function: count, source: clicks, window: 7d, where: "page = '<home>'"}
  - name: twice
    entity: user
    expr: "clicks_7d * 2"
feature_sets:
  - name: s
    features: [clicks_7d, twice]
"""


def test_docs():
    out = os.path.join(WORK, "seed-docs")
    r = run("docs", *DEFS, "-o", out)
    check(r.returncode == 0, "docs on the seed works: " + r.stderr)
    for page in PAGES + ["style.css", "lineage.svg"]:
        check(os.path.exists(os.path.join(out, page)), page + " is written")
    check(not [f for f in os.listdir(out) if f.startswith(".")], "no temporaries are left")
    check(check_links(out) > 40, "the pages link to each other")
    with open(os.path.join(out, "features.html"), encoding="utf-8") as f:
        features = f.read()
    check("feature user_purchase_count_30d of user: int64 =" in features, "the .fdl definition is shown")
    check("function: count" in features and "window: 30d" in features, "the YAML definition is shown")
    check("features.yaml:11</code>" in features, "file:line is shown")
    check('href="sets.html#set-ranking_v1"' in features, "a feature links to its set")
    with open(os.path.join(out, "sources.html"), encoding="utf-8") as f:
        check("total_amount" in f.read(), "sources list their fields")
    test_screenshot(out)

    hostile_dir = os.path.join(WORK, "hostile")
    os.makedirs(hostile_dir, exist_ok=True)
    defs = os.path.join(hostile_dir, "defs.yaml")
    with open(defs, "w") as f:
        f.write(HOSTILE)
    out = os.path.join(WORK, "hostile-docs")
    r = run("docs", defs, "-o", out)
    check(r.returncode == 0, "docs on hostile text works: " + r.stderr)
    text = "".join(open(os.path.join(out, p), encoding="utf-8").read() for p in PAGES)
    for raw in ("<script", "<img src=x", "<b>bold", "<team-a>", "'<home>'", "^<[a-z]"):
        check(raw not in text, "%r is escaped" % raw)
    for escaped in ("&lt;script&gt;", "&lt;img src=x onerror=alert(2)&gt;", "&lt;team-a&gt;", "a&amp;b",
                    "&#39;quoted&#39;", "&lt;home&gt;"):
        check(escaped in text, "%r appears escaped" % escaped)
    check('href="features.html#feature-clicks_7d"' in text, "derived features link to what they read")
    check(check_links(out) > 10, "the hostile catalog's links resolve")

    # No Graphviz: the pages without the graph, and a clear error.
    out = os.path.join(WORK, "no-dot")
    r = run("docs", *DEFS, "-o", out, env=dict(os.environ, FDLC_DOT=os.path.join(WORK, "no-such-dot")))
    check(r.returncode == 2 and "Graphviz" in r.stderr and "without it" in r.stderr,
          "without dot: exit 2 and the reason: " + r.stderr)
    check(os.path.exists(os.path.join(out, "index.html")) and not os.path.exists(os.path.join(out, "lineage.svg")),
          "without dot the pages are written, without lineage.svg")
    with open(os.path.join(out, "index.html"), encoding="utf-8") as f:
        check("lineage graph is missing" in f.read(), "the overview says the graph is missing")
    check(check_links(out) > 20, "without dot every link still resolves")

    # An output that is an input: refused, the input untouched.
    trap = os.path.join(WORK, "trap")
    os.makedirs(trap, exist_ok=True)
    victim = os.path.join(trap, "index.html")
    with open(victim, "w") as f:
        f.write(HOSTILE)
    r = run("docs", victim, "-o", trap)
    check(r.returncode == 2 and "definition file" in r.stderr, "an output that is a definition file is refused: "
          + r.stderr)
    with open(victim) as f:
        check(f.read() == HOSTILE, "the definition file is untouched")
    check(sorted(os.listdir(trap)) == ["index.html"], "nothing else is written")
    r = run("docs", *DEFS)
    check(r.returncode == 2 and "-o DIR" in r.stderr, "docs needs -o")


RETENTION = """entity user { key user_id }
source orders at ts { ts: timestamp, user_id: string, amount: float64 } retention 2160h
source clicks at ts { ts: timestamp, user_id: string }
feature spend_30d of user = sum(orders.amount) over 30d
feature clicks_7d of user = count(clicks) over 7d
set s { spend_30d, clicks_7d }
"""


def test_retention():
    """A source's retention on the catalog's sources page and in the
    manifest (NAME.json), in the largest unit that divides it; nothing for
    a source without one."""
    defs = os.path.join(WORK, "retention.fdl")
    with open(defs, "w") as f:
        f.write(RETENTION)
    out = os.path.join(WORK, "retention-docs")
    r = run("docs", defs, "-o", out, env=dict(os.environ, FDLC_DOT=os.path.join(WORK, "no-such-dot")))
    with open(os.path.join(out, "sources.html"), encoding="utf-8") as f:
        page = f.read()
    check(page.count("<dt>Retention</dt><dd>90d ") == 1, "the sources page shows orders' retention once")
    out = os.path.join(WORK, "retention-compile")
    r = run("compile", defs, "-o", out)
    check(r.returncode == 0, "compile works: " + r.stderr)
    with open(os.path.join(out, "fdlfeatures.json"), encoding="utf-8") as f:
        sources = {s["name"]: s for s in json.load(f)["sources"]}
    check((sources["orders"].get("retention"), sources["orders"].get("retention_seconds")) == ("90d", 7776000),
          "the manifest records orders' retention: %r" % sources["orders"])
    check("retention" not in sources["clicks"], "a source without retention has none in the manifest")


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    test_graph()
    test_docs()
    test_retention()
    if failures:
        print("%d failure(s)" % len(failures))
        sys.exit(1)
    print("docs_test: all passed")


main()
