from __future__ import annotations

from django import forms

from actions.importing.tables import MAX_BYTES, Unreadable, decode

MAX_FILES = 20


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".md,.markdown,.txt"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(d, initial) for d in data]
        return [super().clean(data, initial)] if data else []


def _read(upload) -> str:
    try:
        return decode(upload.read(MAX_BYTES + 1), upload.name)
    except Unreadable as error:
        raise forms.ValidationError(str(error)) from None


class MarkdownImportForm(forms.Form):
    files = MultipleFileField(
        label="Markdown files", required=False, help_text=f"Up to {MAX_FILES} .md files."
    )
    text = forms.CharField(
        label="Or paste one postmortem",
        required=False,
        widget=forms.Textarea(attrs={"rows": 10, "class": "font-monospace"}),
    )

    def clean(self):
        data = super().clean()
        files, text = data.get("files") or [], (data.get("text") or "").strip()
        if len(files) > MAX_FILES:
            raise forms.ValidationError(f"Import at most {MAX_FILES} files at a time.")
        documents = [(upload.name, _read(upload)) for upload in files]
        if text:
            documents.append(("pasted text", text))
        if not documents:
            raise forms.ValidationError("Choose a Markdown file or paste a postmortem.")
        if sum(len(body) for _, body in documents) > MAX_BYTES:
            raise forms.ValidationError("That is too much at once: import fewer files.")
        data["documents"] = documents
        return data


class CsvImportForm(forms.Form):
    file = forms.FileField(label="CSV file", widget=forms.FileInput(attrs={"accept": ".csv"}))

    def clean_file(self) -> str:
        return _read(self.cleaned_data["file"])


class JiraImportForm(CsvImportForm):
    file = forms.FileField(
        label="Jira CSV export", widget=forms.FileInput(attrs={"accept": ".csv"})
    )
    postmortem = forms.CharField(
        label="Into postmortem", max_length=20, help_text="Its reference, such as PM-12."
    )
    jira_url = forms.URLField(
        label="Jira address",
        required=False,
        assume_scheme="https",
        help_text="Such as https://acme.atlassian.net: each item links to its ticket.",
    )
