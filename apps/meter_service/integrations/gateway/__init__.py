"""The online payment gateway: ZarinPal's v4 REST protocol (adapter.py) and a fake of it."""
