"""The engine's layer step, main pass, histograms and Jacobian as they were before the layer refactor.

Frozen at commit 1f652a7 (verbatim, except that config, stats and weights, unchanged by the
refactor, are imported from depthlens.engine). A plain reference implementation for
tests/test_engine_reference.py, which checks that the refactored engine gives byte-identical
numbers. Never edit these files to make a test pass.
"""
