"""Drive `chathooks serve` with third-party Mattermost clients, unchanged.

Usage: python3 mattermost_clients.py http://127.0.0.1:PORT ADMIN PASSWORD
Exits non-zero (an assertion or client exception) on any incompatibility.
"""
import asyncio
import json
import sys
import threading
from urllib.parse import urlparse

from mattermostdriver import Driver
from slack_sdk.webhook import WebhookClient

base, admin, password = sys.argv[1], sys.argv[2], sys.argv[3]
url = urlparse(base)

driver = Driver({
    "url": url.hostname,
    "port": url.port,
    "scheme": url.scheme,
    "login_id": admin,
    "password": password,
    "basepath": "/api/v4",
    "verify": False,
})
me = driver.login()
assert me["username"] == admin, me

team = driver.teams.create_team(options={"name": "drivers", "display_name": "Drivers", "type": "O"})
channel = driver.channels.create_channel(options={
    "team_id": team["id"], "name": "driven", "display_name": "Driven", "type": "O",
})
assert driver.channels.get_channel_by_name(team["id"], "driven")["id"] == channel["id"]

hook = driver.webhooks.create_incoming_hook(options={"channel_id": channel["id"], "display_name": "driver"})
assert len(hook["id"]) == 26 and hook["team_id"] == team["id"], hook
assert driver.webhooks.get_incoming_hook(hook["id"])["display_name"] == "driver"
listed = driver.webhooks.list_incoming_hooks(params={"team_id": team["id"]})
assert [h["id"] for h in listed] == [hook["id"]], listed

# mattermostdriver's own way of calling an incoming webhook.
answer = driver.webhooks.call_webhook(hook["id"], options={"text": "hello from mattermostdriver"})
assert answer.status_code == 200 and answer.text == "ok", (answer.status_code, answer.text)

# Slack's incoming-webhook client, pointed at the Mattermost hook URL.
slack = WebhookClient(f"{base}/hooks/{hook['id']}")
response = slack.send(text="hello from slack_sdk <!channel>", attachments=[{"title": "Build", "text": "passed"}])
assert response.status_code == 200 and response.body == "ok", (response.status_code, response.body)

posts = driver.posts.get_posts_for_channel(channel["id"])
messages = [posts["posts"][i]["message"] for i in posts["order"]]
assert "hello from mattermostdriver" in messages, messages
assert "hello from slack_sdk @channel" in messages, messages
slack_post = next(p for p in posts["posts"].values() if p["message"].startswith("hello from slack_sdk"))
assert slack_post["type"] == "slack_attachment", slack_post
assert slack_post["props"]["from_webhook"] == "true", slack_post

outgoing = driver.webhooks.create_outgoing_hook(options={
    "team_id": team["id"], "channel_id": channel["id"], "display_name": "out",
    "trigger_words": ["deploy"], "callback_urls": ["http://example.invalid/hook"],
})
# mattermostdriver's regenerate_token_outgoing_hook sends PUT, which Mattermost
# itself answers with 405 (the route is POST); use the driver's client directly.
regenerated = driver.client.post(f"/hooks/outgoing/{outgoing['id']}/regen_token")
assert regenerated["token"] != outgoing["token"], (outgoing, regenerated)
driver.webhooks.delete_outgoing_hook(outgoing["id"])
updated = driver.webhooks.update_incoming_hook(hook["id"], options={
    "id": hook["id"], "channel_id": channel["id"], "display_name": "renamed", "description": "",
})
assert updated["display_name"] == "renamed", updated
# mattermostdriver has no delete for incoming hooks; its HTTP client does.
driver.client.delete(f"/hooks/incoming/{hook['id']}")

# A bot's day: a file, a post carrying it, a patch, a thread, reactions.
uploaded = driver.files.upload_file(channel["id"], files={"files": ("report.txt", b"all green\n")})
file_info = uploaded["file_infos"][0]
assert file_info["name"] == "report.txt" and file_info["size"] == 10, uploaded
root = driver.posts.create_post(options={
    "channel_id": channel["id"], "message": "nightly build", "file_ids": [file_info["id"]],
})
assert root["file_ids"] == [file_info["id"]], root
assert driver.files.get_file_metadata(file_info["id"])["post_id"] == root["id"]
assert driver.files.get_file(file_info["id"]).content == b"all green\n"
patched = driver.posts.patch_post(root["id"], options={"message": "nightly build: passed"})
assert patched["message"] == "nightly build: passed" and patched["edit_at"] > 0, patched
reply = driver.posts.create_post(options={"channel_id": channel["id"], "message": "details", "root_id": root["id"]})
thread = driver.posts.get_thread(reply["id"])
assert set(thread["order"]) == {root["id"], reply["id"]}, thread
driver.reactions.create_reaction(options={"user_id": me["id"], "post_id": root["id"], "emoji_name": "white_check_mark"})
reactions = driver.reactions.get_reactions_of_post(root["id"])
assert [r["emoji_name"] for r in reactions] == ["white_check_mark"], reactions
driver.reactions.delete_reaction(me["id"], root["id"], "white_check_mark")
assert driver.reactions.get_reactions_of_post(root["id"]) == [], "reaction removed"

# init_websocket blocks until the driver disconnects: run it on its own
# thread (with its own event loop) and stop it from the handler.
hello = threading.Event()
posted = []


async def on_event(message):
    event = json.loads(message)
    if event.get("event") == "hello":
        hello.set()
    if event.get("event") == "posted":
        posted.append(event)
        driver.disconnect()


def listen():
    asyncio.set_event_loop(asyncio.new_event_loop())
    driver.init_websocket(on_event)


listener = threading.Thread(target=listen, daemon=True)
listener.start()
assert hello.wait(10), "hello arrived"
sent = driver.posts.create_post(options={"channel_id": channel["id"], "message": "over the websocket"})
listener.join(10)
assert not listener.is_alive(), "the websocket loop ended"
assert len(posted) == 1, posted
heard = json.loads(posted[0]["data"]["post"])
assert heard["id"] == sent["id"] and heard["message"] == "over the websocket", heard
assert posted[0]["data"]["sender_name"] == "@" + admin, posted[0]
driver.logout()
print("mattermost clients: ok")
