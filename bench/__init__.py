"""The benchmark suite behind `make bench` (issue 9).

Load comes from a separate client process (`python -m bench.client`) over real
loopback sockets against real server processes, so the figures include what a
deployment pays: the ASGI server, JSON, the socket, the channel layer and the
database. `python -m bench` orchestrates, prints the table and writes
docs/benchmarks.md.
"""
