from django import template

from clinic.templatetags.clinic import jsonld, practice_reference

register = template.Library()


@register.simple_tag(takes_context=True)
def article_jsonld(context, article, references, topics):
    """schema.org MedicalWebPage for an article, with review and citation details."""
    request = context["request"]
    page = {
        "@context": "https://schema.org",
        "@type": "MedicalWebPage",
        "name": article.title,
        "headline": article.title,
        "description": article.summary,
        "url": request.build_absolute_uri(article.get_absolute_url()),
        "inLanguage": "en-US",
        # The conditions the page is about: its topics, or its own title when it has none.
        "about": [
            {"@type": "MedicalCondition", "name": name}
            for name in ([topic.name for topic in topics] or [article.title])
        ],
        "citation": [
            {
                "@type": "ScholarlyArticle",
                "name": reference.title,
                "author": reference.authors,
                **({"isPartOf": reference.journal} if reference.journal else {}),
                **({"datePublished": str(reference.year)} if reference.year else {}),
                **({"sameAs": reference.doi_url} if reference.doi else {}),
            }
            for reference in references
        ],
    }
    if article.publish_at:
        page["datePublished"] = article.publish_at.isoformat()
    page["dateModified"] = article.updated_at.isoformat()
    if article.last_reviewed_on:
        page["lastReviewed"] = article.last_reviewed_on.isoformat()
    if article.reviewer_name:
        page["reviewedBy"] = {"@type": "Person", "name": article.reviewer_display_name}
    practice = context.get("practice")
    if practice is not None:
        # The practice's own pages: it writes and publishes them.
        page["author"] = page["publisher"] = practice_reference(
            practice, context.get("site_url", "")
        )
    return jsonld(page)
