from django import forms


class StartForm(forms.Form):
    """An export button's post: which table, and the page's filters as its query string.
    Never rendered: a refusal is one sentence on "My exports"."""

    source = forms.CharField(max_length=64)
    params = forms.CharField(max_length=4000, required=False)


class JobsPageForm(forms.Form):
    after = forms.CharField(required=False, max_length=500)
