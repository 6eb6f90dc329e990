"""Settings given to create_app reach every layer a request touches (config.py): the web app, the services, the
cached Firestore and Storage clients, the thread that uploads the image and the one that flushes the ops figures.
The app runs in-process against the emulators with its own database, bucket and limits; the shared stack's
(default) database and bucket must see none of it."""

import datetime as dt

from integration.inprocess import post_image
from support import emulators

DATABASE = "settings-probe"
BUCKET = "settings-probe.appspot.com"


def test_a_setting_given_to_create_app_reaches_every_layer(client_with, user):
    client = client_with(
        firestore_database=DATABASE, storage_bucket=BUCKET, max_upload_size=2_000_000, rate_limit_per_minute=2
    )
    # web/: the limits the app announces
    me = client.get("/api/me", headers=user.headers).get_json()
    assert me["limits"]["maxUploadBytes"] == 2_000_000

    emulators.fresh_window()
    responses = [post_image(client, user) for _ in range(3)]
    # service/ with the data layer's cached client: the per-minute limit, counted in the app's database
    assert [r.status_code for r in responses] == [201, 201, 429]
    ids = sorted(r.get_json()["id"] for r in responses[:2])

    # data/: the documents went to the app's database, not the default one
    probe = emulators.firestore(DATABASE)
    assert sorted(d.id for d in probe.collection("users", user.uid, "classifications").stream()) == ids
    assert emulators.user_documents(user.uid) == []
    # the upload thread: the images went to the app's bucket, not the default one
    stored = sorted(b.name for b in emulators.bucket(BUCKET).list_blobs(prefix=f"users/{user.uid}/"))
    assert stored == [f"users/{user.uid}/images/{doc_id}.jpg" for doc_id in ids]
    assert emulators.user_objects(user.uid) == []
    # the monitoring thread: today's ops figures are flushed to the app's database
    today = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")
    days = probe.collection("ops", "all", "days")
    assert emulators.wait_for(lambda: any(s.to_dict().get("day") == today for s in days.stream()), timeout_s=30)
