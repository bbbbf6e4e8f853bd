"""Streamlit's side of single sign-on, for the HTTP gate (:mod:`quiz.web.single_sign_on`).

``st.login`` keeps what the school's provider said about a person in a cookie it signs with the
``cookie_secret`` of ``[auth]`` in ``secrets.toml`` (``_streamlit_user``, split into numbered
chunks when large). This reads it the way Streamlit's own websocket handler does (its signature,
its chunks, the ``origin`` of the configured ``redirect_uri``) but with a much shorter maximum
age, and makes the URLs ``st.login()`` and ``st.logout()`` redirect to. Imports from Streamlit
happen at the first call, so ``asgi.py`` can build one before the server starts.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import timedelta

from quiz.web.single_sign_on import SingleSignOnUnavailable

PROVIDER = "default"
"""The provider of ``[auth]`` itself (no ``[auth.NAME]`` section): what ``st.login()`` uses."""


class StreamlitIdentity:
    """An :class:`~quiz.web.single_sign_on.IdentitySource` reading Streamlit's cookie."""

    def claims(self, cookies: Mapping[str, str], max_age: timedelta) -> dict[str, object] | None:
        from streamlit.auth_util import get_cookie_with_chunks, get_origin_from_redirect_uri
        from streamlit.web.server.server_util import get_cookie_secret
        from streamlit.web.server.starlette.starlette_app_utils import decode_signed_value
        from streamlit.web.server.starlette.starlette_server_config import USER_COOKIE_NAME

        if USER_COOKIE_NAME not in cookies:
            return None
        secret = get_cookie_secret()
        days = max_age.total_seconds() / 86400

        def one_cookie(name: str) -> bytes | None:
            raw = cookies.get(name)
            if raw is None:
                return None
            return decode_signed_value(secret, name, raw.encode("latin-1"), max_age_days=days)

        decoded = get_cookie_with_chunks(one_cookie, USER_COOKIE_NAME)
        if not decoded:
            return None
        try:
            payload = json.loads(decoded)
        except (UnicodeDecodeError, json.JSONDecodeError):
            return None
        if not isinstance(payload, dict) or payload.get("is_logged_in") is not True:
            return None
        origin = get_origin_from_redirect_uri()
        if origin is None or payload.get("origin") != origin:
            return None  # written for another site, or before redirect_uri changed
        return payload

    def login_url(self) -> str:
        from streamlit.auth_util import is_authlib_installed, validate_auth_credentials
        from streamlit.errors import StreamlitAuthError
        from streamlit.user_info import generate_login_redirect_url

        if not is_authlib_installed():
            raise SingleSignOnUnavailable("st.login needs Authlib>=1.3.2 (pip install Authlib)")
        try:
            validate_auth_credentials(PROVIDER)
        except StreamlitAuthError as error:
            raise SingleSignOnUnavailable(" ".join(str(error).split())) from None
        return generate_login_redirect_url(PROVIDER)

    def logout_url(self) -> str:
        from streamlit import config
        from streamlit.url_util import make_url_path
        from streamlit.user_info import AUTH_LOGOUT_ENDPOINT

        return make_url_path(config.get_option("server.baseUrlPath"), AUTH_LOGOUT_ENDPOINT)
