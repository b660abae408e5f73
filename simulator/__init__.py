"""Embedded OMTrader simulator: a standalone Manager API (HTTP + WebSocket) with a live market.

The portal never imports this package; it talks to it over the network.
"""
