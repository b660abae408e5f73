"""WebSocket routes, all under /ws/. Each app with a consumer adds its routes here."""

websocket_urlpatterns: list = []
