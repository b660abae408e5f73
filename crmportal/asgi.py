import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crmportal.settings")
# Build the Django app first: routing imports consumers, which import models.
django.setup(set_prefix=False)
from crmportal.asgi_http import PooledASGIHandler  # noqa: E402

django_asgi_app = PooledASGIHandler()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from crmportal.proxies import TrustedProxyASGI  # noqa: E402
from crmportal.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": TrustedProxyASGI(
            AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))
        ),
    }
)
