"""``python -m homework export FOLDER --out PDFS``: the written answers, as PDFs, for grading by hand.

Each assignment has written questions (otter's manual questions) that no test can grade. Otter
marks them in the student notebook with ``<!-- BEGIN QUESTION -->`` / ``<!-- END QUESTION -->``
comments; this module keeps only those cells, with otter's own filter
(``otter.export.exporters.via_html.PDFViaHTMLExporter.load_notebook(..., filtering=True)``), turns
them into HTML with otter's ``via_html`` template (a page break before every question), and prints
the HTML to PDF in headless Chromium, as otter's ``export --exporter html`` does through nbconvert's
``WebPDFExporter``. That exporter launches the Chromium that ``playwright install`` downloads and has
no setting for another one; here Playwright drives the system's Chromium (Debian's
``/usr/bin/chromium``, the one the website tests use) and every request that is not a local file
is aborted, so the export works offline; the template's MathJax 2 from a CDN is answered with the
MathJax 3 that the book already uses offline (``sphinx-mathjax-offline``), so formulas are
typeset. Upload the PDFs to a Gradescope assignment of type "Homework / Problem Set" (one per
student) and grade them with the rubric in the solution notebook
``homework/dist/hwN/autograder/hwN.ipynb``.
"""

import asyncio
import concurrent.futures
import pathlib
import shutil

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
]
NO_CHROMIUM = "chromium not found on PATH: apt-get install chromium"


MATHJAX_CONFIG = (
    "window.MathJax = {tex: {inlineMath: [['$', '$'], ['\\\\(', '\\\\)']]}};\n"
)


def _mathjax():
    """MathJax 3 (SVG output, which needs no font files) with ``$...$`` for inline math."""
    from importlib.metadata import distribution

    script = distribution("sphinx-mathjax-offline").locate_file(
        "sphinx-mathjax-offline/static/mathjax/tex-svg.js"
    )
    return MATHJAX_CONFIG + pathlib.Path(script).read_text()


def manual_html(notebook):
    """The HTML page of the written questions of ``notebook`` (a path), as otter's export makes it."""
    import nbconvert
    from otter.export.exporters.base_exporter import TEMPLATE_DIR
    from otter.export.exporters.via_html import PDFViaHTMLExporter

    nb = PDFViaHTMLExporter.load_notebook(
        str(notebook), filtering=True, pagebreaks=True
    )
    exporter = nbconvert.HTMLExporter(
        extra_template_basedirs=[str(TEMPLATE_DIR)],
        template_name="via_html",
        exclude_input_prompt=True,
    )
    html, _ = exporter.from_notebook_node(nb)
    return html


def print_pdfs(pages):
    """Print each ``{html_path: pdf_path}`` to PDF with the system's Chromium, offline.

    Playwright's synchronous API refuses to start in a thread whose asyncio event loop is
    running (a Jupyter kernel, or a test session that drives a browser itself): there the
    printing runs in a thread of its own.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _print_pdfs(pages)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(_print_pdfs, pages).result()


def _print_pdfs(pages):
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    if executable is None:
        raise RuntimeError(NO_CHROMIUM)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_ARGS
        )
        page = browser.new_page()
        mathjax = _mathjax()

        def offline(route):
            url = route.request.url
            if url.startswith("file:"):
                route.continue_()
            elif "mathjax" in url.lower():
                route.fulfill(body=mathjax, content_type="text/javascript")
            else:
                route.abort()

        page.route("**/*", offline)
        page.emulate_media(media="print")
        for html_path, pdf_path in pages.items():
            page.goto(pathlib.Path(html_path).resolve().as_uri(), wait_until="load")
            page.wait_for_function(
                "window.MathJax && MathJax.startup && MathJax.startup.promise"
            )
            page.evaluate("MathJax.startup.promise")
            page.pdf(path=str(pdf_path), print_background=True)
        browser.close()


def export(submissions, out):
    """Write ``out/<file>.html`` and ``out/<file>.pdf`` with the written answers of every notebook in
    the folder ``submissions`` (only read); return the list of PDF paths."""
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    pages = {}
    for path in sorted(pathlib.Path(submissions).glob("*.ipynb")):
        html_path = out / f"{path.stem}.html"
        html_path.write_text(manual_html(path))
        pages[html_path] = out / f"{path.stem}.pdf"
    print_pdfs(pages)
    return list(pages.values())
