"""A catalogue with one module that cannot load and one that can."""
