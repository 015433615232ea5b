from education.diffs import text_of, word_diff

REMOVED = '<del><span class="visually-hidden">removed: </span>'
ADDED = '<ins><span class="visually-hidden">added: </span>'


def test_html_becomes_the_words_a_reader_sees_one_line_per_block():
    assert text_of(
        "<h2>Causes</h2><p>Nerves &amp; <strong>discs</strong>.</p><ul><li><p>One</p></li></ul>"
    ) == ("Causes\nNerves & discs.\nOne")


def test_changed_words_are_marked_and_the_rest_left_alone():
    assert word_diff("<p>Pain can last.</p>", "<p>Pain can last for months.</p>") == (
        f"Pain can last{ADDED} for months</ins>."
    )
    assert word_diff("<p>It may burn.</p>", "<p>It may tingle.</p>") == (
        f"It may {REMOVED}burn</del>{ADDED}tingle</ins>."
    )


def test_long_unchanged_stretches_are_shortened_around_the_change():
    words = " ".join(f"word{n}" for n in range(60))
    diff = word_diff(f"<p>{words} old</p>", f"<p>{words} new</p>")
    assert diff.startswith('<span class="diff-gap">[…]</span> word52 word53')
    assert "word10" not in diff
    assert diff.endswith(f"word59 {REMOVED}old</del>{ADDED}new</ins>")


def test_text_typed_by_staff_is_escaped():
    diff = word_diff("<p>Hot &amp; cold</p>", "<p>Hot &amp; &lt;script&gt; cold</p>")
    assert diff == f"Hot &amp; {ADDED}&lt;script&gt; </ins>cold"


def test_paragraph_breaks_are_kept_as_line_breaks():
    diff = word_diff("<p>One.</p><p>Two.</p>", "<p>One.</p><p>Three.</p>")
    assert diff == f"One.<br>{REMOVED}Two</del>{ADDED}Three</ins>."
