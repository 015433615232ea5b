"""Admin widgets the practice's staff pages share."""

from django.contrib.admin.widgets import AdminFileWidget


class LabelledFileInput(AdminFileWidget):
    """A file field under its own <label>, not a <legend>.

    Django's admin puts a file input (with its "clear" checkbox) in a fieldset whose legend
    names it, but the input itself then has no label (axe: “Form elements must have labels”).
    """

    use_fieldset = False
