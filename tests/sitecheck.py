"""Checks of the built website, written as plain functions that return the problems they find.

The static checks read HTML files; the browser checks take a Playwright page that has loaded a
page of the site. ``test_links.py`` and ``test_website.py`` run them over ``_build/html``, and
over the deliberately broken pages in ``tests/fixtures/broken_site`` to show that each check can
fail. An empty list means that the check passed.
"""

import contextlib
import functools
import html.parser
import http.server
import pathlib
import re
import shutil
import threading
import urllib.parse

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
SITE = ROOT / "_build" / "html"
ARTIFACTS = ROOT / "artifacts"
FIXTURES = pathlib.Path(__file__).resolve().parent / "fixtures"

NO_SITE = f"no built website in {SITE}: run `make book` first"
NO_CHROMIUM = "chromium not installed: apt-get install chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# the widths at which every page must fit without scrolling sideways: a phone and a desktop
WIDTHS = {"phone": 375, "desktop": 1280}
HEIGHT = 812

# Console errors that come from the toolchain, not from the course, and change nothing for a reader:
# Sphinx 7.4 (the last that jupyter-book 1 allows) writes a second copy of every inline script that
# an extension registers after the builder starts (``prepare_writing`` re-adds them with filename ''
# instead of None, so they are not recognised as duplicates); sphinx-thebe's declares constants, so
# its copy fails to declare them again. Thebe (live code on Binder) is not enabled on this site.
KNOWN_CONSOLE_ERRORS = ("Identifier 'THEBE_JS_URL' has already been declared",)

# attributes whose URL the browser follows or loads, per tag
URL_ATTRIBUTES = {
    "a": "href",
    "area": "href",
    "link": "href",
    "img": "src",
    "script": "src",
    "iframe": "src",
    "source": "src",
    "video": "src",
    "audio": "src",
}


def chromium():
    """The path of Debian's chromium, or None when it is not installed."""
    return shutil.which("chromium")


def toc_pages(toc=ROOT / "_toc.yml"):
    """The HTML path of every page in the table of contents, root first: ``book/intro.html``, ..."""

    def files(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("root", "file"):
                    yield value
                else:
                    yield from files(value)
        elif isinstance(node, list):
            for item in node:
                yield from files(item)

    return [
        f"{pathlib.PurePosixPath(name).with_suffix('')}.html"
        for name in files(yaml.safe_load(toc.read_text()))
    ]


def html_files(site):
    """Every HTML page of a built site, as paths relative to it, in a stable order.

    ``_static`` is left out: the HTML files there are the theme's Jinja templates, not pages.
    """
    site = pathlib.Path(site)
    return sorted(
        str(path.relative_to(site))
        for path in site.rglob("*.html")
        if path.relative_to(site).parts[0] != "_static"
    )


# ---------------------------------------------------------------- static checks: links and anchors


class _LinkParser(html.parser.HTMLParser):
    """Collects the ids a page defines (targets of ``#anchor``) and the URLs it refers to."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids = set()
        self.urls = []  # (tag, url, line)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("id", "name") if tag == "a" else ("id",):
            if attrs.get(name):
                self.ids.add(attrs[name])
        url = attrs.get(URL_ATTRIBUTES.get(tag, ""))
        if url is not None:
            self.urls.append((tag, url.strip(), self.getpos()[0]))


@functools.lru_cache(maxsize=None)
def parse_links(path):
    """The ids defined by and the URLs used in the HTML file at ``path``: ``(ids, [(tag, url, line)])``."""
    parser = _LinkParser()
    parser.feed(pathlib.Path(path).read_text(encoding="utf-8", errors="replace"))
    parser.close()
    return frozenset(parser.ids), tuple(parser.urls)


def is_internal(url):
    """Whether ``url`` points into the site itself: no scheme (http:, mailto:, data:, ...) and no host."""
    parts = urllib.parse.urlsplit(url)
    return not parts.scheme and not parts.netloc and bool(url)


def link_problems(page, site):
    """The internal links and anchors of one HTML file that do not resolve.

    Parameters
    ----------
    page : path-like
        An HTML file inside ``site``.
    site : path-like
        The root folder of the built site.

    Returns
    -------
    list of str
        One line per problem: the line number, the tag, the URL and what is wrong. External URLs
        (with a scheme or a host) are not checked: the tests run without network.
    """
    site = pathlib.Path(site).resolve()
    page = pathlib.Path(page).resolve()
    problems = []
    for tag, url, line in parse_links(page)[1]:
        if not is_internal(url):
            continue
        parts = urllib.parse.urlsplit(url)
        where = f"line {line}: <{tag}> {url!r}"
        if parts.path.startswith("/"):
            problems.append(
                f"{where} is absolute: it breaks when the site is served from a sub-folder"
            )
            continue
        target = (
            (page.parent / urllib.parse.unquote(parts.path)).resolve()
            if parts.path
            else page
        )
        if target.is_dir():
            target = target / "index.html"
        if not target.is_relative_to(site):
            problems.append(f"{where} leaves the site")
        elif not target.is_file():
            problems.append(f"{where}: {target.relative_to(site)} does not exist")
        elif parts.fragment and target.suffix == ".html":
            if urllib.parse.unquote(parts.fragment) not in parse_links(target)[0]:
                problems.append(
                    f"{where}: no id {parts.fragment!r} in {target.relative_to(site)}"
                )
    return problems


# ---------------------------------------------------------------- browser checks

# Resolves once MathJax has typeset the page (at once on a page without MathJax).
_WAIT_FOR_MATHJAX = """async () => {
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) { await MathJax.startup.promise; }
}"""

# Text nodes the reader sees as prose: code, scripts and MathJax's own output left out.
_PROSE_TEXT = """() => {
    const skip = 'pre, code, script, style, textarea, mjx-container, mjx-assistive-mml';
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {
        acceptNode: (node) => node.parentElement.closest(skip) ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT,
    });
    const parts = [];
    while (walker.nextNode()) { parts.push(walker.currentNode.nodeValue); }
    return parts.join(' ');
}"""

# Sphinx marks every formula with class "math"; MathJax puts an <mjx-container> inside it.
_UNTYPESET_FORMULAS = """() => {
    const problems = [];
    for (const el of document.querySelectorAll('.math')) {
        if (!el.querySelector('mjx-container')) {
            problems.push('formula not typeset: ' + el.textContent.trim().slice(0, 80));
        }
    }
    for (const el of document.querySelectorAll('mjx-merror')) {
        problems.push('MathJax error: ' + (el.getAttribute('data-mjx-error') || el.textContent).slice(0, 120));
    }
    return problems;
}"""

# Resolves when the CSS transitions that a resize starts (the theme slides its sidebars away on a
# narrow screen) have ended, so that checks and screenshots see the settled layout; 2 s at most.
_SETTLE = """() => Promise.race([
    Promise.all(document.getAnimations()
        .filter((a) => a.effect && a.effect.getComputedTiming().endTime !== Infinity)
        .map((a) => a.finished.catch(() => null))),
    new Promise((resolve) => setTimeout(resolve, 2000)),
])"""

# Every <img> loaded: lazy images are made eager and awaited first.
_BROKEN_IMAGES = """async () => {
    const images = Array.from(document.images);
    for (const img of images) { img.loading = 'eager'; }
    await Promise.all(images.map((img) => img.decode().catch(() => null)));
    return images.filter((img) => !(img.complete && img.naturalWidth > 0))
                 .map((img) => img.getAttribute('src'));
}"""

# The page's width beyond the viewport, and the outermost elements that stick out of it (those inside
# a box that scrolls or clips sideways do not widen the page).
_OVERFLOW = """() => {
    const width = document.documentElement.clientWidth;
    const scrolls = (el) => ['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(el).overflowX);
    const clipped = (el) => { for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
        if (scrolls(up)) { return true; } } return false; };
    const sticking = [];
    for (const el of document.body.querySelectorAll('*')) {
        const box = el.getBoundingClientRect();
        if (box.width > 0 && box.right > width + 1 && !sticking.some((outer) => outer.contains(el)) && !clipped(el)) {
            sticking.push(el);
        }
    }
    const describe = (el) => el.tagName.toLowerCase() + (el.className && typeof el.className === 'string'
        ? '.' + el.className.trim().split(/\\s+/).join('.') : '') + ` (right edge at ${Math.round(el.getBoundingClientRect().right)})`;
    return {scrollWidth: document.documentElement.scrollWidth, width: width, sticking: sticking.slice(0, 5).map(describe)};
}"""

# Code cells of a notebook page that sphinx-copybutton did not give a copy button.
_MISSING_COPY_BUTTONS = """() => Array.from(document.querySelectorAll('.cell_input div.highlight'))
    .filter((block) => !block.querySelector('button.copybtn'))
    .map((block) => block.textContent.trim().split('\\n')[0].slice(0, 80))"""

# TeX that MathJax should have replaced: display delimiters, \\( \\) \\[ \\] \\begin{...}, and $...$
# whose contents start and end with a non-space (so that "$5 and $10" is not taken for math).
_RAW_TEX = re.compile(
    r"\$\$|\\\(|\\\)|\\\[|\\\]|\\begin\{|(?<![\w$])\$(?=[^\s$])[^$\n]*(?<=[^\s$\\])\$(?![\w$])"
)


# Code cells that scroll sideways: their longest line, cut to 60 characters.
_WIDE_CODE = """() => Array.from(document.querySelectorAll('.cell_input pre, div.highlight-ipython3 pre'))
    .filter((pre) => pre.offsetParent !== null && pre.scrollWidth > pre.clientWidth + 1)
    .map((pre) => pre.textContent.split('\\n').reduce((a, b) => (b.length > a.length ? b : a), '').slice(0, 60))"""

# Cells whose output is split into boxes: two stream outputs (stdout, stderr) one after the other.
_SPLIT_STREAMS = """() => Array.from(document.querySelectorAll('.cell_output'))
    .filter((out) => Array.from(out.children).some((el, i, all) => i > 0
        && el.matches('.output.stream, .output.stderr') && all[i - 1].matches('.output.stream, .output.stderr')))
    .map((out) => out.textContent.trim().slice(0, 60))"""

# Images in cell outputs that are not in a figure with a caption.
_UNCAPTIONED = """() => Array.from(document.querySelectorAll('.cell_output img'))
    .filter((img) => { const figure = img.closest('figure'); return !figure || !figure.querySelector('figcaption'); })
    .map((img) => img.getAttribute('src'))"""

# Search fields and buttons that a reader sees.
_VISIBLE_SEARCH = """() => Array.from(document.querySelectorAll('.search-button__button, #searchbox input, form.bd-search'))
    .filter((el) => el.offsetParent !== null && el.getBoundingClientRect().width > 0)
    .map((el) => el.className || el.tagName)"""


def raw_tex_problems(text):
    """The pieces of raw TeX in ``text``, the prose of a page after MathJax has run.

    >>> raw_tex_problems("The product $(3+x)(1+2x)$ costs $5 and $10.")
    ["raw TeX '$(3+x)(1+2x)$' in '...The product $(3+x)(1+2x)$ costs $5...'"]
    >>> raw_tex_problems("All typeset.")
    []
    """
    return [
        f"raw TeX {m.group()!r} in '..."
        + " ".join(text[max(m.start() - 12, 0) : m.end() + 9].split())
        + "...'"
        for m in _RAW_TEX.finditer(text)
    ]


def wait_for_mathjax(page):
    """Block until MathJax (if the page loads it) has finished typesetting."""
    page.evaluate(_WAIT_FOR_MATHJAX)


def math_problems(page):
    """Formulas that MathJax did not typeset, its error messages, and raw TeX left in the prose."""
    wait_for_mathjax(page)
    return page.evaluate(_UNTYPESET_FORMULAS) + raw_tex_problems(
        page.evaluate(_PROSE_TEXT)
    )


def image_problems(page):
    """The ``<img>`` elements of the page that did not load (naturalWidth 0)."""
    return [f"image did not load: {src}" for src in page.evaluate(_BROKEN_IMAGES)]


def overflow_problems(page):
    """Whether the page scrolls sideways at the current viewport width, and what sticks out."""
    found = page.evaluate(_OVERFLOW)
    if found["scrollWidth"] <= found["width"]:
        return []
    return [
        f"page is {found['scrollWidth']} px wide in a {found['width']} px viewport; sticking out: "
        + ", ".join(found["sticking"])
    ]


def copy_button_problems(page):
    """Code cells without a copy button (sphinx-copybutton adds them when the page loads)."""
    return [
        f"no copy button on the code cell starting {line!r}"
        for line in page.evaluate(_MISSING_COPY_BUTTONS)
    ]


def wide_code_problems(page):
    """Code cells that scroll sideways at the current width: their code is cut behind a scrollbar."""
    return [
        f"code cell scrolls sideways at line {line!r}"
        for line in page.evaluate(_WIDE_CODE)
    ]


def stream_problems(page):
    """Cells whose output is split into consecutive stream boxes (stdout and stderr not merged)."""
    return [
        f"output split into boxes: {text!r}" for text in page.evaluate(_SPLIT_STREAMS)
    ]


def caption_problems(page):
    """Figures in cell outputs without a numbered caption."""
    return [f"figure without caption: {src}" for src in page.evaluate(_UNCAPTIONED)]


def search_problems(page):
    """More than one search field or button visible at once."""
    found = page.evaluate(_VISIBLE_SEARCH)
    return [] if len(found) <= 1 else [f"{len(found)} search boxes visible: {found}"]


def search_results(page, base_url, query):
    """The titles of the pages that the site's search page lists for ``query``."""
    page.goto(f"{base_url}/search.html?q={urllib.parse.quote(query)}")
    page.wait_for_function(
        "() => document.querySelector('#search-results ul.search li')"
        " || (document.querySelector('#search-results .search-summary') || {}).textContent",
        timeout=30_000,
    )
    return page.locator("#search-results ul.search li > a").all_inner_texts()


def visit(context, url, screenshot=None, full_page=False):
    """Load ``url`` once in a new tab of ``context`` and run every browser check on it.

    Parameters
    ----------
    context : playwright.sync_api.BrowserContext
        A browser context whose viewport is the desktop width.
    url : str
        The page, served on 127.0.0.1.
    screenshot : pathlib.Path, optional
        Where to save the screenshots: ``<screenshot>-desktop.png`` and ``<screenshot>-phone.png``.
    full_page : bool
        Whether the screenshots show the whole page rather than the first screen.

    Returns
    -------
    dict of str to list of str
        The problems found by each check: ``status`` (HTTP status not 200), ``console`` (errors
        logged or thrown by scripts), ``external`` (requests to other hosts: they are blocked, the
        site must not need them), ``math``, ``images``, ``copy buttons``, ``split streams`` (a cell's
        output in several stream boxes), ``captions`` (output figures without one), ``wide code``
        (code cells that scroll sideways at desktop width), ``overflow phone``/``overflow desktop``
        and ``search phone``/``search desktop`` (more than one search box visible).
    """
    problems = {"console": [], "external": []}
    page = context.new_page()

    def route(request_route):
        parts = urllib.parse.urlsplit(request_route.request.url)
        if parts.scheme in ("http", "https") and parts.hostname != "127.0.0.1":
            problems["external"].append(
                f"blocked request to {request_route.request.url}"
            )
            request_route.abort()
        else:
            request_route.continue_()

    def on_error(text):
        if not any(known in text for known in KNOWN_CONSOLE_ERRORS):
            problems["console"].append(text)

    def on_console(message):
        source = urllib.parse.urlsplit(message.location.get("url", ""))
        if message.type == "error" and source.hostname in (None, "127.0.0.1"):
            on_error(message.text)

    page.route("**/*", route)
    page.on("console", on_console)
    page.on("pageerror", lambda error: on_error(f"uncaught {error}"))
    try:
        response = page.goto(url, wait_until="load")
        problems["status"] = (
            []
            if response is not None and response.status == 200
            else [
                f"HTTP {response.status if response is not None else 'no response'} for {url}"
            ]
        )
        problems["math"] = math_problems(page)
        problems["images"] = image_problems(page)
        problems["copy buttons"] = copy_button_problems(page)
        problems["split streams"] = stream_problems(page)
        problems["captions"] = caption_problems(page)
        for name in ("desktop", "phone"):
            page.set_viewport_size({"width": WIDTHS[name], "height": HEIGHT})
            page.evaluate(_SETTLE)
            problems[f"overflow {name}"] = overflow_problems(page)
            problems[f"search {name}"] = search_problems(page)
            if name == "desktop":
                problems["wide code"] = wide_code_problems(page)
            if screenshot is not None:
                page.screenshot(path=f"{screenshot}-{name}.png", full_page=full_page)
    finally:
        page.close()
    return problems


# ---------------------------------------------------------------- serving a folder on 127.0.0.1


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@contextlib.contextmanager
def serve(directory):
    """Serve ``directory`` over HTTP on 127.0.0.1 at a free port, in a thread; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}"
        finally:
            server.shutdown()
            thread.join()
