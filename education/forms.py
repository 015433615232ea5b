"""Education's public forms and the editor's preview form.

The feedback form sits on the cached, shared article page, so it carries no CSRF token or
nonce; see views.feedback for how its posts are protected instead."""

import datetime

from django import forms
from django.core import signing

from .models import COMMENT_MAX_LENGTH, REVISION_FIELDS, Article

FEEDBACK_SALT = "education.feedback"
# Far longer than a cached page lives (a day) or a tab stays open; it bounds the replay of a
# token copied off the page, which names one article and carries the time it was rendered.
FEEDBACK_TOKEN_MAX_AGE = datetime.timedelta(days=30)


def feedback_token(article) -> str:
    return signing.dumps({"article": article.pk}, salt=FEEDBACK_SALT)


class FeedbackForm(forms.Form):
    token = forms.CharField(max_length=300)
    useful = forms.ChoiceField(choices=[("yes", "Yes"), ("no", "No")])

    def clean_token(self):
        try:
            data = signing.loads(
                self.cleaned_data["token"],
                salt=FEEDBACK_SALT,
                max_age=FEEDBACK_TOKEN_MAX_AGE,
            )
        except signing.SignatureExpired as error:
            raise forms.ValidationError(
                "This page was open for a long time. Please reload it and answer again.",
                code="expired",
            ) from error
        except signing.BadSignature as error:
            raise forms.ValidationError(
                "We could not tell which page this was about. Please reload it and answer again.",
                code="invalid",
            ) from error
        return data["article"]


class FeedbackCommentForm(forms.Form):
    comment = forms.CharField(
        label="What was missing or unclear? (optional)",
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4, "aria-describedby": "comment-help"}),
        error_messages={
            "required": "Type a short note, or simply go back to the article.",
            "max_length": "Please keep it under %(limit_value)d characters (it has %(show_value)d).",
        },
    )


# The editor's fields, as the admin's article and draft forms post them to the preview. A plain
# form: a preview shows unfinished text as it is, without the publishing rules a save checks.
ArticlePreviewForm = type(
    "ArticlePreviewForm",
    (forms.Form,),
    forms.fields_for_model(Article, fields=REVISION_FIELDS),
)
