"""The built website, in a real browser: headless Chromium visits every page of the table of contents.

``_build/html`` is served on 127.0.0.1 by a thread; one browser serves the whole session and each
page is loaded once, its checks run, then it is resized from desktop to phone width. Requests to
any other host are blocked and count as failures: the site must work offline. Screenshots go to
``artifacts/`` (gitignored). Without Chromium the browser tests skip, saying how to install it;
without a build the tests of the site skip, saying to run ``make book`` (the tests of the checks
themselves, on the broken pages of ``tests/fixtures``, need Chromium only).
"""

import fnmatch
import pathlib
import re

import pytest
import yaml

import sitecheck
from sitecheck import (
    ARTIFACTS,
    CHROMIUM_ARGS,
    FIXTURES,
    HEIGHT,
    NO_CHROMIUM,
    NO_SITE,
    ROOT,
    SITE,
    WIDTHS,
)

PAGES = sitecheck.toc_pages()
LANDING = PAGES[0]
NOTEBOOK_PAGES = [
    page for page in PAGES if (ROOT / page).with_suffix(".ipynb").is_file()
]
# notebooks that the build runs (the homework is not run: its student versions have no outputs)
_NOT_RUN = yaml.safe_load((ROOT / "_config.yml").read_text())["execute"].get(
    "exclude_patterns", []
)
EXECUTED_PAGES = [
    page
    for page in NOTEBOOK_PAGES
    if not any(fnmatch.fnmatch(page, p) for p in _NOT_RUN)
]
FULL_PAGE_SCREENSHOTS = {LANDING, *NOTEBOOK_PAGES[:1]}
BROKEN = FIXTURES / "broken_site"


def _ids(pages):
    return [pathlib.PurePosixPath(page).stem for page in pages]


def _screenshot(page):
    """Where a page's screenshots go, less the ``-desktop.png``/``-phone.png`` suffix."""
    return ARTIFACTS / page.replace("/", "-").removesuffix(".html")


@pytest.fixture(scope="session")
def site():
    if not (SITE / "index.html").is_file():
        pytest.skip(NO_SITE)
    return SITE


@pytest.fixture(scope="session")
def browser():
    executable = sitecheck.chromium()
    if executable is None:
        pytest.skip(NO_CHROMIUM)
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def context(browser):
    context = browser.new_context(
        viewport={"width": WIDTHS["desktop"], "height": HEIGHT}
    )
    yield context
    context.close()


@pytest.fixture(scope="session")
def site_url(site):
    with sitecheck.serve(site) as url:
        yield url


@pytest.fixture(scope="session")
def report(site_url, context):
    """``report(page)``: the problems found on a page of the site, visiting it on first use only."""
    ARTIFACTS.mkdir(exist_ok=True)
    reports = {}

    def get(page):
        if page not in reports:
            reports[page] = sitecheck.visit(
                context,
                f"{site_url}/{page}",
                screenshot=_screenshot(page),
                full_page=page in FULL_PAGE_SCREENSHOTS,
            )
        return reports[page]

    return get


@pytest.fixture(scope="session")
def fixture_report(context):
    """``fixture_report(name)``: the problems found on one of the broken fixture pages."""
    with sitecheck.serve(BROKEN) as url:
        yield lambda name: sitecheck.visit(context, f"{url}/{name}")


# ---------------------------------------------------------------- every page, in the browser


@pytest.mark.browser
@pytest.mark.parametrize("page", PAGES, ids=_ids(PAGES))
class TestEveryPage:
    def test_loads_with_http_200(self, report, page):
        assert report(page)["status"] == []

    def test_logs_no_console_error(self, report, page):
        assert report(page)["console"] == []

    def test_loads_nothing_from_other_hosts(self, report, page):
        assert report(page)["external"] == []

    def test_every_formula_is_typeset(self, report, page):
        assert report(page)["math"] == []

    def test_every_image_loads(self, report, page):
        assert report(page)["images"] == []

    def test_every_code_cell_has_a_copy_button(self, report, page):
        assert report(page)["copy buttons"] == []

    @pytest.mark.parametrize("width", WIDTHS)
    def test_fits_the_width(self, report, page, width):
        assert report(page)[f"overflow {width}"] == []

    def test_code_cells_fit_at_desktop_width(self, report, page):
        assert report(page)["wide code"] == []

    def test_each_cell_output_is_one_box(self, report, page):
        assert report(page)["split streams"] == []

    def test_every_figure_has_a_caption(self, report, page):
        assert report(page)["captions"] == []

    @pytest.mark.parametrize("width", WIDTHS)
    def test_one_search_box(self, report, page, width):
        assert report(page)[f"search {width}"] == []


@pytest.mark.browser
def test_screenshots_of_every_page_at_both_widths(report):
    for page in PAGES:
        report(page)
        for width in WIDTHS:
            assert pathlib.Path(f"{_screenshot(page)}-{width}.png").stat().st_size > 0


@pytest.mark.browser
def test_search_finds_circulant(context, site_url):
    page = context.new_page()
    try:
        titles = sitecheck.search_results(page, site_url, "circulant")
    finally:
        page.close()
    assert any("Circulant" in title for title in titles), titles


# ---------------------------------------------------------------- the checks fail on broken pages


@pytest.mark.browser
class TestChecksCatchBrokenPages:
    def test_a_page_without_defects_passes_every_check(self, fixture_report):
        problems = fixture_report("good.html")
        assert all(found == [] for found in problems.values()), problems

    def test_raw_tex_is_found(self, fixture_report):
        problems = fixture_report("raw_math.html")["math"]
        assert problems[0] == r"formula not typeset: \(x^2\)"
        assert any(r"raw TeX '$$'" in problem for problem in problems[1:])

    def test_missing_image_is_found(self, fixture_report):
        problems = fixture_report("missing_image.html")
        assert problems["images"] == ["image did not load: figures/missing.png"]
        assert any("404" in message for message in problems["console"])

    def test_overflow_is_found_at_phone_width_only(self, fixture_report):
        problems = fixture_report("too_wide.html")
        assert problems["overflow desktop"] == []
        (problem,) = problems["overflow phone"]
        assert problem.startswith("page is ") and "table.wide-table" in problem

    def test_script_errors_and_external_requests_are_found(self, fixture_report):
        problems = fixture_report("console_error.html")
        assert problems["external"] == [
            "blocked request to https://cdn.example.org/library.js"
        ]
        assert any("undefinedFunction" in message for message in problems["console"])

    def test_code_that_scrolls_sideways_is_found(self, fixture_report):
        assert fixture_report("wide_code.html")["wide code"] == [
            "code cell scrolls sideways at line "
            + repr("result = some_function_with_a_long_name(first_argument, seco")
        ]

    def test_split_output_is_found(self, fixture_report):
        (problem,) = fixture_report("split_streams.html")["split streams"]
        assert problem.startswith("output split into boxes: 'printed")

    def test_figure_without_caption_is_found(self, fixture_report):
        assert fixture_report("uncaptioned.html")["captions"] == [
            "figure without caption: pixel.svg"
        ]

    def test_two_search_boxes_are_found(self, fixture_report):
        (problem,) = fixture_report("two_search_boxes.html")["search desktop"]
        assert problem.startswith("2 search boxes visible")

    def test_missing_page_gives_http_404(self, fixture_report):
        assert fixture_report("missing.html")["status"][0].startswith("HTTP 404")


# ---------------------------------------------------------------- the built HTML, without a browser


def _html(site, page):
    return (site / page).read_text(encoding="utf-8")


def _to_root(page):
    """The relative URL from a page to the site's root: ``../`` for ``book/intro.html``."""
    return "../" * page.count("/")


def test_index_redirects_to_the_landing_page(site):
    assert f'url={LANDING}"' in _html(site, "index.html")


def test_chapters_are_numbered_in_the_sidebar(site):
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    numbered = [
        c["file"]
        for part in toc["parts"]
        if part.get("numbered")
        for c in part["chapters"]
    ]
    sidebar = _html(site, LANDING)
    for number, chapter in enumerate(numbered, start=1):
        # href from book/intro
        name = re.escape(str(pathlib.PurePosixPath(chapter).relative_to("book")))
        assert re.search(rf'href="{name}.html">{number}\. ', sidebar), (
            f"{chapter} is not numbered {number}"
        )


@pytest.mark.parametrize("page", NOTEBOOK_PAGES, ids=_ids(NOTEBOOK_PAGES))
def test_notebook_pages_offer_download_and_launch_buttons(site, page):
    notebook = page.removesuffix(".html") + ".ipynb"
    html = _html(site, page)
    assert f'href="{_to_root(page)}_sources/{notebook}"' in html
    assert re.search(
        rf'href="https://colab\.research\.google\.com/github/[^"]+/blob/[^"]+/{notebook}"',
        html,
    )
    assert re.search(
        rf'href="https://mybinder\.org/v2/gh/[^"]+\?urlpath=lab/tree/{notebook}"', html
    )


def test_mathjax_is_served_from_the_site(site):
    assert (site / "_static" / "mathjax" / "tex-chtml.js").is_file()
    for page in PAGES:
        scripts = re.findall(
            r'<script[^>]*src="([^"?]*mathjax[^"?]*)', _html(site, page)
        )
        assert scripts in ([], [f"{_to_root(page)}_static/mathjax/tex-chtml.js"]), (
            f"{page}: {scripts}"
        )
    assert re.search(
        r'<script[^>]*src="[^"]*_static/mathjax/tex-chtml\.js', _html(site, LANDING)
    )


def test_api_page_documents_every_module_it_lists(site):
    modules = re.findall(
        r"^\.\. automodule:: (\S+)",
        (ROOT / "book" / "api.md").read_text(),
        flags=re.MULTILINE,
    )
    html = _html(site, "book/api.html")
    assert modules and all(f'id="module-{module}"' in html for module in modules)


@pytest.mark.parametrize("page", EXECUTED_PAGES, ids=_ids(EXECUTED_PAGES))
def test_executed_notebook_pages_show_outputs(site, page):
    assert 'class="cell_output' in _html(site, page), f"{page} shows no cell output"


def test_execution_times_page_lists_every_executed_notebook(site):
    if "book/execution_times.html" not in PAGES:
        pytest.skip("book/execution_times is not in _toc.yml")
    html = _html(site, "book/execution_times.html")
    for page in EXECUTED_PAGES:
        # the table's links are relative to book/, where the page lives
        name = pathlib.PurePosixPath(page).relative_to("book")
        assert f'href="{name}"' in html, (
            f"{page} is missing from the table of execution times"
        )
