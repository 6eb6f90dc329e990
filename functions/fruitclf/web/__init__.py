"""The HTTP layer: the Flask app, thin routes, bearer-token parsing, CORS and the error envelope.

The only layer that imports Flask. Routes parse the request, call a service and shape the answer.
"""
