"""What the tests and the benchmark share: real processes (processes.py), form helpers (forms.py).

Conftests declare fixtures from these; bench/ imports processes.py too.
"""
