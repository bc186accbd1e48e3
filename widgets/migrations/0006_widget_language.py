"""Stored specs in the widget language: a "last N units" window becomes a rolling one, the fixed limit goes.

The statements of widgets built before windows were bound keep their own date arithmetic; a refresh
that the check now refuses says so on the widget's badge, and a rebuild gives it bound windows.
"""
from django.db import migrations


def _upgraded(spec):
    if not isinstance(spec, dict):
        return spec
    spec = {k: v for k, v in spec.items() if k != "limit"}
    window = spec.get("time_window")
    if isinstance(window, dict) and window.get("kind") == "last":
        spec["time_window"] = {"kind": "rolling", "n": window.get("n"), "unit": window.get("unit")}
    return spec


def forwards(apps, schema_editor):
    Widget = apps.get_model("widgets", "Widget")
    WidgetStep = apps.get_model("widgets", "WidgetStep")
    for widget in Widget.objects.all().only("id", "spec"):
        new = _upgraded(widget.spec)
        if new != widget.spec:
            Widget.objects.filter(id=widget.id).update(spec=new)
    for step in WidgetStep.objects.filter(name="spec").only("id", "output"):
        new = _upgraded(step.output)
        if new != step.output:
            WidgetStep.objects.filter(id=step.id).update(output=new)


class Migration(migrations.Migration):
    dependencies = [("widgets", "0005_widget_steps")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
