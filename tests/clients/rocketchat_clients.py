"""Drive `chathooks serve` with the third-party Rocket.Chat client, unchanged.

Usage: python3 rocketchat_clients.py http://127.0.0.1:PORT ADMIN PASSWORD
Exits non-zero (an assertion or client exception) on any incompatibility.
"""
import sys

import requests
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
print("rocketchat clients: ok")
