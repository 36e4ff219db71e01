"""Timing goals with a named peer, reported as same-run ratios; never timed tests.

Run them with `make bench` or `python -m benchmarks [NAME ...] [--quick]`. Each benchmark prints
one JSON line on stdout and appends a record to `benchmarks/results/<name>.jsonl`. Groups live
one per module (`eventlog`, `eventlog_redis`); the harness they share is `_harness`, the event
payloads `workload`. To add a group, write a module with a `BENCHMARKS` tuple and list it in
`GROUPS` in `__main__.py`. README.md in this directory says what each one measures and why.
"""
