"""Tornado handlers: pages, the HTTP API, the WebSocket, and the app that routes them."""
