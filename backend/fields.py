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
