"""Send a notification with a file through apprise's Mattermost bot mode.

Usage: python3 apprise_check.py HOST PORT TOKEN TEAM CHANNEL MESSAGE FILE

apprise, unchanged, in bot mode (`mode=bot`, a personal access token as the
bearer token): it resolves the channel by name through
/teams/name/{team}/channels/name/{channel}, uploads the file to /files, then
posts {channel_id, message, file_ids} to /posts. Exits non-zero when apprise
reports a failure; the test (tests/tests/e2e/third_party.rs) checks what arrived.
"""
import logging
import sys
from urllib.parse import quote

import apprise

host, port, token, team, channel, message, path = sys.argv[1:8]

# apprise logs why a delivery failed (status, response) at WARNING/DEBUG.
logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)

url = f"mmost://{host}:{port}/{token}?mode=bot&team={quote(team)}&to={quote('#' + channel)}"
notifier = apprise.Apprise()
assert notifier.add(url), f"apprise rejected {url}"
sent = notifier.notify(body=message, attach=apprise.AppriseAttachment(path))
assert sent, "apprise reported a failed notification (see its log above)"
print("apprise: ok")
