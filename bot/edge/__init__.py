"""Where Slack's requests come in: the request guard, the WSGI app on gunicorn, Socket Mode."""
