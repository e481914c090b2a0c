"""Internal links of the built website: every relative href/src and #anchor resolves (no network)."""

import pytest

from sitecheck import FIXTURES, NO_SITE, SITE, html_files, link_problems

BROKEN = FIXTURES / "broken_site"


def _site_pages():
    pages = html_files(SITE) if (SITE / "index.html").is_file() else []
    return pages or [
        pytest.param(None, marks=pytest.mark.skip(reason=NO_SITE), id="no-site")
    ]


class TestLinkProblems:
    @pytest.mark.parametrize("page", _site_pages())
    def test_every_internal_link_of_the_site_resolves(self, page):
        problems = link_problems(SITE / page, SITE)
        assert not problems, f"{page}:\n" + "\n".join(problems)

    def test_a_page_without_broken_links_passes(self):
        assert link_problems(BROKEN / "good.html", BROKEN) == []

    def test_missing_page_and_missing_anchors_are_found(self):
        problems = link_problems(BROKEN / "broken_link.html", BROKEN)
        assert len(problems) == 3
        assert "missing.html does not exist" in problems[0]
        assert "no id 'absent' in other.html" in problems[1]
        assert "no id 'nowhere' in broken_link.html" in problems[2]

    def test_missing_image_is_found(self):
        (problem,) = link_problems(BROKEN / "missing_image.html", BROKEN)
        assert (
            problem
            == "line 4: <img> 'figures/missing.png': figures/missing.png does not exist"
        )

    def test_links_that_leave_the_site_are_found(self, tmp_path):
        page = tmp_path / "site" / "page.html"
        page.parent.mkdir()
        page.write_text(
            '<a href="../outside.html">up</a>\n<a href="/book/intro.html">root</a>'
        )
        (tmp_path / "outside.html").write_text("")
        assert link_problems(page, page.parent) == [
            "line 1: <a> '../outside.html' leaves the site",
            "line 2: <a> '/book/intro.html' is absolute: it breaks when the site is served from a sub-folder",
        ]

    def test_external_links_are_not_checked(self, tmp_path):
        page = tmp_path / "page.html"
        page.write_text(
            '<a href="https://example.org/x">x</a> <a href="mailto:a@b.c">m</a> <img src="data:,">'
        )
        assert link_problems(page, tmp_path) == []
