import pytest

from education.rendering import TocEntry, add_heading_anchors, resolve_article_links


def test_links_to_live_articles_stay_and_follow_renamed_slugs_others_become_text():
    html = (
        '<p>See <a href="/education/live/">Live</a>, '
        '<a href="/education/old-name/">Renamed</a> and '
        '<a href="/education/draft/">Draft <em>one</em></a>; '
        '<a href="https://example.org/">outside</a>.</p>'
    )
    assert resolve_article_links(html, {"live": "live", "old-name": "new-name"}) == (
        '<p>See <a href="/education/live/">Live</a>, '
        '<a href="/education/new-name/">Renamed</a> and '
        "Draft <em>one</em>; "
        '<a href="https://example.org/">outside</a>.</p>'
    )


def test_headings_get_unique_anchors_and_a_table_of_contents():
    html, toc = add_heading_anchors(
        "<h2>Symptoms</h2><p>x</p><h3>Burning <em>feet</em></h3><h2>Symptoms</h2>"
    )
    assert html == (
        '<h2 id="symptoms">Symptoms</h2><p>x</p>'
        '<h3 id="burning-feet">Burning <em>feet</em></h3>'
        '<h2 id="symptoms-2">Symptoms</h2>'
    )
    assert toc == [
        TocEntry(2, "symptoms", "Symptoms"),
        TocEntry(3, "burning-feet", "Burning feet"),
        TocEntry(2, "symptoms-2", "Symptoms"),
    ]


def dead(html, live=None):
    return resolve_article_links(html, live or {})


def test_a_see_line_to_an_unpublished_article_is_left_out_and_returns_when_published():
    html = (
        "<p>Nerves carry signals.</p>"
        '<p>See <a href="/education/types-of-back-pain/">Types of Back Pain</a></p>'
        "<p>Pain can last.</p>"
    )
    assert dead(html) == "<p>Nerves carry signals.</p><p>Pain can last.</p>"
    assert dead(html, {"types-of-back-pain": "types-of-back-pain"}) == html


@pytest.mark.parametrize(
    "paragraph",
    [
        '<p><a href="/education/draft/">Draft</a></p>',
        '<p>See also: <a href="/education/draft/">Draft</a>.</p>',
        '<p>Read more about <a href="/education/draft/">Draft</a></p>',
        '<p>See <a href="/education/draft/">Draft</a> and <a href="/education/other/">Other</a></p>',
    ],
)
def test_any_paragraph_that_is_only_dead_links_is_left_out(paragraph):
    assert dead(f"<p>Before.</p>{paragraph}") == "<p>Before.</p>"


def test_a_closing_cross_reference_sentence_goes_the_rest_of_the_paragraph_stays():
    html = (
        "<p>Pain is caused by injury to the nervous system. "
        '<a href="/education/neuropathy-and-chronic-back-pain/">Read All About Neuropathy</a></p>'
        '<p>Nerves heal slowly. See <a href="/education/healing/">Healing</a>.</p>'
    )
    assert dead(html) == (
        "<p>Pain is caused by injury to the nervous system.</p>"
        "<p>Nerves heal slowly.</p>"
    )


def test_a_dead_link_inside_a_sentence_becomes_plain_text():
    html = '<p>Some people feel <a href="/education/burning/">burning</a> at night.</p>'
    assert dead(html) == "<p>Some people feel burning at night.</p>"


def test_a_list_of_unwritten_articles_goes_with_its_learn_more_line():
    html = (
        "<p>Learn more:</p><ul>"
        '<li><p><a href="/education/therapy/">Therapy</a></p></li>'
        '<li><p><a href="/education/techniques/">Techniques</a></p></li>'
        "</ul><p>After.</p>"
    )
    assert dead(html) == "<p>After.</p>"
    assert dead(html, {"techniques": "techniques"}) == (
        "<p>Learn more:</p><ul>"
        '<li><p><a href="/education/techniques/">Techniques</a></p></li>'
        "</ul><p>After.</p>"
    )


def test_lists_with_other_items_and_nested_lists_keep_what_is_written():
    html = (
        "<ul><li><p>Tingling</p></li>"
        '<li><p><a href="/education/draft/">Draft</a></p></li>'
        '<li><p>Burning</p><ul><li><a href="/education/draft/">Draft</a></li></ul></li>'
        "</ul>"
    )
    assert dead(html) == "<ul><li><p>Tingling</p></li><li><p>Burning</p></li></ul>"
