"""Models generated from openapi/trigger.yaml by `make codegen`. Do not edit models.py by hand."""
