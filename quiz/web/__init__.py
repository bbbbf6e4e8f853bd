"""Stride's own HTTP routes and middleware around the Streamlit app (``asgi.py``).

Classroom sign-in lives here, at the HTTP level, because only an HTTP response can set an
``HttpOnly`` cookie: the sign-in form, its POST, sign-out, and the gate that shows the form
instead of the app to a browser without a live session. Like ``quiz/ui``: no SQL, no maths; the
services do the work.
"""
