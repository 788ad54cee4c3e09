"""Adapters to outside systems (payment gateway, SMS), each beside a fake of itself.

Each provider has a package here with `adapter.py` (the client the services call) and
`fake_server.py` (a small WSGI app speaking the same protocol, for tests and the demo).
"""
