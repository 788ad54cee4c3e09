"""Text messages: Kavenegar's REST protocol (adapter.py) and a fake of it (fake_server.py)."""
