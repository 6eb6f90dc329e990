"""The product's rules: classify, history and feedback, organisations, limits, monitoring, the second opinion.

Every door (HTTP routes, the Storage trigger, the CLI) calls these functions; none of them imports Flask.
The caller is a plain `Caller` (service/identity.py); data comes from the data layer.
"""
