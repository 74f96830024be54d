# Generated from tests/misuse/_async/__init__.py by `make codegen` (codegen/gen_sync.py). Do not edit.
