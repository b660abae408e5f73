"""WebSocket routes, all under /ws/. Each app with a consumer adds its routes here."""

from crmportal.live.routing import websocket_urlpatterns as live_websockets

websocket_urlpatterns: list = [*live_websockets]
