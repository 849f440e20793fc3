"""Live sessions: a lecturer's tab leads, the hall's tabs follow it.

    sessions.py  a session's life in the shared store: create, publish, read, claim, end;
                 tokens, bounds and rate limits
    states.py    what a lead's location means: a GradLab page, its query, the look, and the
                 control values that page shows for that query
    routes.py    the HTTP side (POST live, GET live/<id>/state, ...), the QR code, the notices

The lead tab (assets/live.js) watches its own address bar, which every page keeps equal to its
state (sliders, presets, tour steps, the look), and POSTs it when it changes; the server keeps
it as the session's state, with a version. A follower polls GET live/<id>/state once a second
with If-None-Match (304 when nothing changed: one store read), and on a new version moves the
one control that changed (dash_clientside.set_props, so the page's callback asks the server
the same question the lead asked: a cache hit), or navigates within the app, or — when the look
changed — reloads. Roles are kept per tab in sessionStorage, never in the URL.
"""
