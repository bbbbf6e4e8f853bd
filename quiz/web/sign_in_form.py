"""The sign-in pages: small HTML served by Stride itself, not by Streamlit.

The password form (:func:`render`); with single sign-on, the page whose button starts the
school's sign-in (:func:`render_school`), and the page saying why a school account cannot sign
in (:func:`render_refused`). Every value that comes from outside (the page to continue to, a
typed username, a message) is HTML-escaped; the pages load nothing from other sites and run no
script.
"""

from __future__ import annotations

from html import escape

TITLE = "Sign in to Stride"

_STYLE = """
body { font-family: "Source Sans Pro", system-ui, sans-serif; margin: 0; background: #f6f7fb;
  color: #1f2430; }
main { max-width: 24rem; margin: 12vh auto; padding: 2rem; background: #fff;
  border: 1px solid #d6d9e0; border-radius: 0.75rem; }
h1 { font-size: 1.6rem; margin: 0 0 0.25rem; }
p { margin: 0.25rem 0 1rem; color: #3d4351; }
label { display: block; margin: 1rem 0 0.25rem; font-weight: 600; }
input { box-sizing: border-box; width: 100%; padding: 0.55rem; font-size: 1rem;
  border: 1px solid #8a90a0; border-radius: 0.4rem; }
input:focus, button:focus { outline: 3px solid #3b5bdb; outline-offset: 2px; }
button { margin-top: 1.25rem; width: 100%; padding: 0.65rem; font-size: 1rem; font-weight: 600;
  color: #fff; background: #3b5bdb; border: 0; border-radius: 0.4rem; cursor: pointer; }
.error { padding: 0.6rem 0.8rem; border-radius: 0.4rem; background: #fdecea; color: #8a1c12; }
.notice { padding: 0.6rem 0.8rem; border-radius: 0.4rem; background: #e7f0fd; color: #1b3f8a; }
a { color: #3b5bdb; font-weight: 600; }
a:focus { outline: 3px solid #3b5bdb; outline-offset: 2px; }
"""


def render(
    *,
    next_url: str,
    csrf: str,
    action: str = "/auth/sign-in",
    username: str = "",
    error: str = "",
    notice: str = "",
) -> str:
    """The page: title, an optional error or notice, the form posting to ``action``.

    ``next_url`` (a path on this site, already checked) goes back with the form, so a deep
    link survives the sign-in; ``csrf`` is the form's token (also in a cookie)."""
    alert = ""
    if error:
        alert = f'<p class="error" role="alert">{escape(error)}</p>'
    elif notice:
        alert = f'<p class="notice" role="status">{escape(notice)}</p>'
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>{TITLE}</title>
<style>{_STYLE}</style>
</head>
<body>
<main>
<h1>{TITLE}</h1>
<p>Your instructor gave you a username and a password.</p>
{alert}
<form method="post" action="{escape(action)}">
<input type="hidden" name="next" value="{escape(next_url)}">
<input type="hidden" name="csrf" value="{escape(csrf)}">
<label for="username">Username</label>
<input id="username" name="username" value="{escape(username)}" autocomplete="username"
  maxlength="100" required autofocus>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password"
  maxlength="256" required>
<button type="submit">Sign in</button>
</form>
</main>
</body>
</html>
"""


def _alert(error: str, notice: str) -> str:
    if error:
        return f'<p class="error" role="alert">{escape(error)}</p>'
    if notice:
        return f'<p class="notice" role="status">{escape(notice)}</p>'
    return ""


def _page(title: str, body: str) -> str:
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>{escape(title)}</title>
<style>{_STYLE}</style>
</head>
<body>
<main>
<h1>{escape(title)}</h1>
{body}
</main>
</body>
</html>
"""


SCHOOL_BUTTON = "Sign in with your school account"


def render_school(*, next_url: str, action: str, notice: str = "", error: str = "") -> str:
    """Single sign-on: one button, a GET of ``action`` with ``next_url`` (a checked path on
    this site), which remembers the page and goes on to the school's sign-in."""
    return _page(
        TITLE,
        f"""<p>Stride signs you in with your school account.</p>
{_alert(error, notice)}
<form method="get" action="{escape(action)}">
<input type="hidden" name="next" value="{escape(next_url)}">
<button type="submit" autofocus>{SCHOOL_BUTTON}</button>
</form>""",
    )


def render_refused(*, message: str, sign_out_url: str) -> str:
    """Single sign-on: the school account cannot use Stride (``message`` says why); a link
    signs it out of the school's provider, to try another account."""
    return _page(
        "Stride cannot sign you in",
        f"""{_alert(message, "")}
<p><a href="{escape(sign_out_url)}">Sign out of your school account</a> to use another one.</p>""",
    )


def render_unavailable(*, message: str) -> str:
    """Single sign-on is not set up on this server (``message`` says what is missing)."""
    return _page(
        "Sign-in is not available",
        f"""{_alert(message, "")}
<p>Single sign-on is not set up on this server yet: tell the person who runs it.</p>""",
    )
