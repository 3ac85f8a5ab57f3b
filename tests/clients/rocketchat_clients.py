"""Drive `chathooks serve` with the third-party Rocket.Chat client, unchanged.

Usage: python3 rocketchat_clients.py http://127.0.0.1:PORT ADMIN PASSWORD
Exits non-zero (an assertion or client exception) on any incompatibility.
"""
import io
import os
import sys
import tempfile

import requests
from rocketchat_API.APIExceptions.RocketExceptions import RocketApiException
from rocketchat_API.rocketchat import RocketChat

base, admin, password = sys.argv[1], sys.argv[2], sys.argv[3]

rocket = RocketChat(admin, password, server_url=base)
me = rocket.me()
assert me["username"] == admin, me

room = rocket.channels_create("rocket-room")
assert room["success"] is True, room

created = rocket.integrations_create(
    integrations_type="webhook-incoming",
    name="from rocketchat_API",
    enabled=True,
    username=admin,
    channel="#rocket-room",
    script_enabled=False,
)
integration = created["integration"]
assert len(integration["token"]) == 48, integration
assert integration["channel"] == ["#rocket-room"], integration

fetched = rocket.integrations_get(integration["_id"])
assert fetched["integration"]["name"] == "from rocketchat_API", fetched
listed = [i["_id"] for i in rocket.integrations_list()]
assert integration["_id"] in listed, listed

# Post through the incoming webhook, as any Rocket.Chat webhook sender does.
answer = requests.post(f"{base}/hooks/{integration['_id']}/{integration['token']}", json={"text": "hello rocket"})
assert answer.status_code == 200 and answer.json()["success"] is True, answer.text
history = list(rocket.channels_history(room["channel"]["_id"]))
assert any(m["msg"] == "hello rocket" for m in history), history

updated = rocket.integrations_update(
    integrations_type="webhook-incoming",
    name="renamed",
    enabled=False,
    username=admin,
    channel="#rocket-room",
    script_enabled=False,
    integration_id=integration["_id"],
)
assert updated["integration"]["name"] == "renamed", updated
disabled = requests.post(f"{base}/hooks/{integration['_id']}/{integration['token']}", json={"text": "nope"})
assert disabled.status_code == 503, disabled.status_code

outgoing = rocket.integrations_create(
    integrations_type="webhook-outgoing",
    name="outgoing",
    enabled=True,
    username=admin,
    channel="#rocket-room",
    script_enabled=False,
    event="sendMessage",
    urls=["http://example.invalid/hook"],
    triggerWords=["deploy"],
)["integration"]
assert list(rocket.integrations_history(outgoing["_id"])) == []
removed = rocket.integrations_remove("webhook-outgoing", outgoing["_id"])
assert removed["success"] is True, removed
rocket.integrations_remove("webhook-incoming", integration["_id"])

# Beyond integrations: what bots do with messages and files.
assert rocket.info()["version"], rocket.info()
rid = room["channel"]["_id"]
assert rocket.channels_info(channel="rocket-room")["channel"]["_id"] == rid
posted = rocket.chat_post_message("first draft", channel="#rocket-room")["message"]
updated = rocket.chat_update(rid, posted["_id"], "final text")
assert updated["message"]["msg"] == "final text" and updated["message"]["editedAt"], updated
assert rocket.chat_react(posted["_id"], "smile")["success"] is True
history = {m["_id"]: m for m in rocket.channels_history(rid)}
assert history[posted["_id"]]["reactions"] == {":smile:": {"usernames": [admin]}}, history[posted["_id"]]

# rooms.upload: rocketchat_API 3.7.1 has no `rooms_upload` helper any more (it
# follows Rocket.Chat's newer rooms.media, tried below), so the upload goes
# through the library's own call_api_post, which sends the multipart body.
uploaded = rocket.call_api_post(
    "rooms.upload/" + rid,
    files={"file": ("notes.txt", io.BytesIO(b"uploaded by rocketchat_API"), "text/plain")},
    msg="a file",
    description="some notes",
)
message = uploaded["message"]
assert message["msg"] == "a file" and message["file"]["name"] == "notes.txt", uploaded
assert message["attachments"][0]["description"] == "some notes", uploaded
assert rocket.chat_delete(rid, message["_id"])["success"] is True
# The library's own two-step upload: rooms.media, then rooms.mediaConfirm.
with tempfile.TemporaryDirectory() as directory:
    path = os.path.join(directory, "two-steps.txt")
    with open(path, "wb") as handle:
        handle.write(b"uploaded in two steps")
    media = rocket.rooms_media(rid, path)
confirmed = rocket.rooms_media_confirm(rid, media["file"]["_id"], msg="two steps")
assert confirmed["message"]["msg"] == "two steps", confirmed
assert confirmed["message"]["file"]["_id"] == media["file"]["_id"], confirmed

# A second user, a direct room, and logging out of one session only.
rocket.users_create("rocketeer@example.com", "Rocketeer", "rocketeer-pw", "rocketeer")
assert rocket.users_info(username="rocketeer")["user"]["username"] == "rocketeer"
direct = rocket.dm_create("rocketeer")
assert direct["room"]["t"] == "d" and sorted(direct["room"]["usernames"]) == sorted([admin, "rocketeer"]), direct
other = RocketChat(admin, password, server_url=base)
assert rocket.logout()["data"]["message"] == "You've been logged out!"
try:
    rocket.me()
    raise AssertionError("the session still works after logout")
except RocketApiException as error:
    assert error.status_code == 401, error
assert other.me()["username"] == admin
print("rocketchat clients: ok")
