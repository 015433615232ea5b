"""Readable word-level differences between two versions of an article, for staff.

Article bodies are HTML; staff compare the words patients read, so the markup becomes text with
one line per block (paragraph, heading, list item) before the words are compared.
"""

import difflib
import html
import re

from django.utils.html import escape, format_html, strip_tags
from django.utils.safestring import SafeString, mark_safe

# Unchanged words shown either side of a change; longer unchanged stretches are shortened.
CONTEXT_WORDS = 8
BLOCK_END_RE = re.compile(r"</(p|h\d|li|blockquote)>|<br\s*/?>", re.I)
# Line breaks, runs of spaces, words (with inner apostrophes) and single punctuation marks, so
# that "last." → "last for months." shows as two added words, not a replaced one.
TOKEN_RE = re.compile(r"\n|[^\S\n]+|\w+(?:['’]\w+)*|[^\w\s]")


def text_of(value) -> str:
    """A field's value as the words a reader sees; HTML blocks become lines."""
    if value is None:
        return ""
    text = str(value)
    if "<" in text:
        text = html.unescape(strip_tags(BLOCK_END_RE.sub("\n", text)))
    lines = (re.sub(r"[^\S\n]+", " ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def _tokens(text):
    return TOKEN_RE.findall(text)


def _render(tokens):
    return escape("".join(tokens)).replace("\n", "<br>")


def _shortened(tokens, *, at_start, at_end):
    words = [i for i, token in enumerate(tokens) if not token.isspace()]
    if len(words) <= 2 * CONTEXT_WORDS + 2:
        return _render(tokens)
    gap = '<span class="diff-gap">[…]</span>'
    head = "" if at_start else _render(tokens[: words[CONTEXT_WORDS - 1] + 1]) + " "
    tail = "" if at_end else " " + _render(tokens[words[-CONTEXT_WORDS] :])
    return head + gap + tail


def word_diff(old, new) -> SafeString:
    """The change from old to new: removed words in <del>, added words in <ins>."""
    old_tokens, new_tokens = _tokens(text_of(old)), _tokens(text_of(new))
    matcher = difflib.SequenceMatcher(a=old_tokens, b=new_tokens, autojunk=False)
    opcodes = matcher.get_opcodes()
    parts = []
    for index, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag == "equal":
            parts.append(
                _shortened(
                    old_tokens[i1:i2],
                    at_start=index == 0,
                    at_end=index == len(opcodes) - 1,
                )
            )
            continue
        if i2 > i1:
            parts.append(
                format_html(
                    '<del><span class="visually-hidden">removed: </span>{}</del>',
                    mark_safe(_render(old_tokens[i1:i2])),
                )
            )
        if j2 > j1:
            parts.append(
                format_html(
                    '<ins><span class="visually-hidden">added: </span>{}</ins>',
                    mark_safe(_render(new_tokens[j1:j2])),
                )
            )
    # Every piece was escaped above; only our own tags are markup.
    return mark_safe("".join(str(part) for part in parts))


def field_changes(model, old, new, fields):
    """[{"field": label, "diff": html}] for each of `fields` whose value differs."""
    changes = []
    for name in fields:
        before, after = getattr(old, name), getattr(new, name)
        if before == after:
            continue
        label = model._meta.get_field(name).verbose_name
        changes.append(
            {"field": label[:1].upper() + label[1:], "diff": word_diff(before, after)}
        )
    return changes
