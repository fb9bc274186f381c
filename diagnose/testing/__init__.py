"""Test support: recorded ARM/Graph fixtures, a `responses` replay and a loopback HTTPS server.

Nothing here is used by a normal run; `responses` is imported only by the replay helper.
"""
