"""Serializer and form fields for text a person types: NUL and control characters are refused."""
from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from backend.text import text_problem


class TextField(serializers.CharField):
    """A CharField refusing control characters (``multiline`` allows tab, newline and carriage return)."""

    def __init__(self, *, multiline: bool = False, **kwargs: Any) -> None:
        self.multiline = multiline
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):  # CharField would take a number or a bool as its text
            self.fail("invalid")
        value = super().to_internal_value(data)
        problem = text_problem(value, multiline=self.multiline)
        if problem:
            raise serializers.ValidationError(f"The text holds {problem}.", code="invalid_text")
        return value


class FormTextField(forms.CharField):
    """A form CharField refusing control characters, as ``TextField`` does."""

    def __init__(self, *, multiline: bool = False, **kwargs: Any) -> None:
        self.multiline = multiline
        super().__init__(**kwargs)

    def validate(self, value: Any) -> None:
        super().validate(value)
        problem = text_problem(value or "", multiline=self.multiline)
        if problem:
            raise DjangoValidationError(f"The text holds {problem}.", code="invalid_text")


class StrictInput(serializers.Serializer):
    """An input serializer that refuses fields it does not take, naming them and the ones it does: a
    misspelt or unsupported field ("width" on a widget's PATCH) is a clear 400, never ignored in silence."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(str(k) for k in data if k not in self.fields)
            if unknown:
                taken = ", ".join(sorted(self.fields)) or "nothing"
                raise serializers.ValidationError(
                    {key[:60]: [f"Unknown field; this takes: {taken}."] for key in unknown[:10]}, code="unknown_field")
        return super().to_internal_value(data)
