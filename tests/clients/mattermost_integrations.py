"""Slash commands, interactive messages and bot accounts through
mattermostdriver, unchanged, against `chathooks serve`.

Usage: python3 mattermost_integrations.py http://127.0.0.1:PORT ADMIN PASSWORD

The script plays the integration too: a small HTTP server on 127.0.0.1
answers the slash command and the button click (the server under test must
allow callbacks to 127.0.0.1). Exits non-zero (an assertion or client
exception) on any incompatibility.
"""
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from mattermostdriver import Driver
from mattermostdriver.endpoints.bots import Bots

base, admin, password = sys.argv[1], sys.argv[2], sys.argv[3]
url = urlparse(base)

# What the integration received, by path.
received = {}


class Integration(BaseHTTPRequestHandler):
    """Answers `/command` (a form post, Mattermost's slash command payload)
    with an in-channel reply and `/action` (a JSON post, a button click) with
    an update of the clicked post."""

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        if self.path == "/command":
            form = {k: v[0] for k, v in parse_qs(body).items()}
            received["command"] = form
            answer = {"response_type": "in_channel", "text": f"deploying {form['text']}"}
        elif self.path == "/action":
            click = json.loads(body)
            received["action"] = click
            answer = {
                "update": {"message": f"approved by {click['user_name']}"},
                "ephemeral_text": "thanks",
            }
        else:
            self.send_error(404)
            return
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


integration = ThreadingHTTPServer(("127.0.0.1", 0), Integration)
threading.Thread(target=integration.serve_forever, daemon=True).start()
integration_url = f"http://127.0.0.1:{integration.server_address[1]}"


def connect(**credentials):
    return Driver({
        "url": url.hostname,
        "port": url.port,
        "scheme": url.scheme,
        "basepath": "/api/v4",
        "verify": False,
        **credentials,
    })


driver = connect(login_id=admin, password=password)
me = driver.login()
team = driver.teams.create_team(options={"name": "integrations", "display_name": "Integrations", "type": "O"})
channel = driver.channels.create_channel(options={
    "team_id": team["id"], "name": "ops", "display_name": "Ops", "type": "O",
})


def posts_in_channel():
    listed = driver.posts.get_posts_for_channel(channel["id"])
    return [listed["posts"][i] for i in reversed(listed["order"])]


# A custom slash command: created, executed, answered in the channel.
command = driver.commands.create_command(options={
    "team_id": team["id"], "trigger": "deploy", "url": f"{integration_url}/command", "method": "P",
    "display_name": "Deploy", "auto_complete": True, "auto_complete_hint": "[service]",
})
assert command["trigger"] == "deploy" and len(command["token"]) == 26, command
listed = driver.commands.list_commands_for_team(params={"team_id": team["id"], "custom_only": True})
assert [c["id"] for c in listed] == [command["id"]], listed
answer = driver.commands.execute_command(options={"channel_id": channel["id"], "command": "/deploy api v2"})
assert answer["response_type"] == "in_channel" and answer["text"] == "deploying api v2", answer
sent = received["command"]
assert (sent["command"], sent["text"], sent["token"]) == ("/deploy", "api v2", command["token"]), sent
assert (sent["channel_id"], sent["team_id"], sent["user_id"]) == (channel["id"], team["id"], me["id"]), sent
reply = next(p for p in posts_in_channel() if p["message"] == "deploying api v2")
assert reply["user_id"] == me["id"], reply

# A button on a post made through an incoming webhook: clicked, the
# integration called with the context, the post updated.
hook = driver.webhooks.create_incoming_hook(options={"channel_id": channel["id"], "display_name": "release"})
called = driver.webhooks.call_webhook(hook["id"], options={
    "text": "release api v2",
    "attachments": [{
        "text": "Ship it?",
        "actions": [{
            "name": "Approve",
            "integration": {"url": f"{integration_url}/action", "context": {"release": "v2"}},
        }],
    }],
})
assert called.status_code == 200, (called.status_code, called.text)
release = next(p for p in posts_in_channel() if p["message"] == "release api v2")
action = release["props"]["attachments"][0]["actions"][0]
assert len(action["id"]) > 0 and "integration" not in action, action
clicked = driver.posts.perform_post_action(release["id"], action["id"])
assert clicked["status"] == "OK", clicked
click = received["action"]
assert (click["post_id"], click["user_id"], click["context"]) == (release["id"], me["id"], {"release": "v2"}), click
updated = driver.posts.get_post(release["id"])
assert updated["message"] == f"approved by {admin}", updated

# A bot account: created, given a token, posting as itself. mattermostdriver
# 7.3.2 has a bots endpoint class but no `Driver.bots` to reach it: build it
# on the driver's own HTTP client, as the Driver does for the others.
driver.bots = Bots(driver.client)
bot = driver.bots.create_bot(options={"username": "buildbot", "display_name": "Build Bot"})
assert bot["owner_id"] == me["id"] and bot["username"] == "buildbot", bot
assert driver.bots.get_bot(bot["user_id"])["display_name"] == "Build Bot"
assert [b["user_id"] for b in driver.bots.get_bots()] == [bot["user_id"]]
patched = driver.bots.patch_bot(bot["user_id"], options={"description": "builds things"})
assert patched["description"] == "builds things", patched
driver.teams.add_user_to_team(team["id"], options={"team_id": team["id"], "user_id": bot["user_id"]})
driver.channels.add_user(channel["id"], options={"user_id": bot["user_id"]})
token = driver.users.create_user_access_token(bot["user_id"], options={"description": "ci"})
as_bot = connect(token=token["token"])
assert as_bot.login()["id"] == bot["user_id"]
made = as_bot.posts.create_post(options={"channel_id": channel["id"], "message": "build 42 passed"})
assert made["props"].get("from_bot") == "true", made
assert driver.posts.get_post(made["id"])["props"].get("from_bot") == "true"
driver.bots.disable_bot(bot["user_id"])
assert driver.bots.get_bot(bot["user_id"], params={"include_deleted": True})["delete_at"] > 0

integration.shutdown()
driver.logout()
print("mattermost integrations: ok")
