"""Simulators of network peers and gateways that the tests and benchmarks talk to."""
