"""The data layer: Firestore, Cloud Storage and Firebase Auth accounts.

The only code that imports their clients. Services above call these functions and never see a client, a
document reference or an SDK exception other than the outage errors (google.api_core) the web layer maps to 503.
"""
