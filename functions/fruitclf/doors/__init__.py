"""Doors other than HTTP routes: the Cloud Functions entry points, the Storage trigger and the CLI.

Each translates its input into the same service calls the routes make, so limits, monitoring and validation
apply to every door.
"""
