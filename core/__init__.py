"""The kernel: what every app shares and nothing app-specific. It imports no app
(tests/core/test_kernel_imports.py), so any app may import it."""
