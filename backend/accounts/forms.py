from __future__ import annotations

from django import forms

from backend.fields import FormTextField


class TokenCreateForm(forms.Form):
    name = FormTextField(max_length=80, strip=True, label="Name")
