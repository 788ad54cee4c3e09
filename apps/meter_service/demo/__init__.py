"""Demo and load-test data.

The embedded site's demo world (data), its billing history (billing) and the scale seeder
behind benchmarks (scale). Production code never imports it; only the demo's management
commands, the benchmarks and the tests do.
"""
