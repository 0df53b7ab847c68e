"""Benchmarks of the hub against a private Mosquitto and Redis on loopback.

`python -m bench.run` runs every scenario and rewrites the results section of BENCHMARKS.md;
`python -m bench.take`, `bench.call` and `bench.saturate` run one scenario each and only print.
"""
