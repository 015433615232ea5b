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
