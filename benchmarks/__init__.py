"""Benchmarks: a seeded ladder of generated clinics, two baselines and the runner.

``python -m benchmarks.run`` solves every instance of :mod:`benchmarks.ladder` with the
CP-SAT model, the greedy first-fit baseline (:mod:`benchmarks.greedy`) and the textbook
CP-SAT formulation (:mod:`benchmarks.textbook`), and writes a Markdown table and a CSV.
Benchmarks are not timed tests; CI runs only ``--smoke``.
"""
