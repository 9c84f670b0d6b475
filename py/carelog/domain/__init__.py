"""Pure domain code: no imports outside the standard library and this package."""
