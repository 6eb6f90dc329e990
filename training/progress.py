"""Progress lines of the long training commands: time of day first, flushed at once (they run in the background)."""

import time


def log(*parts):
    print(time.strftime("%H:%M:%S"), *parts, flush=True)
