"""A bot written with mmpy_bot, run unchanged against `chathooks serve`.

Configured the framework's usual way, through environment variables read by
mmpy_bot's Settings: MATTERMOST_URL (with its scheme), MATTERMOST_PORT,
BOT_TOKEN (a personal access token) and BOT_TEAM.

When someone posts "status <anything>" the bot replies in the post's thread,
with a file attached, and reacts to the post with white_check_mark. The
test (tests/tests/e2e/third_party.rs) checks both through the REST API.

Prints "bot: listening" once the framework's WebSocket is authenticated (the
server's `hello`), so the test knows when to post. Exits when its standard
input closes, so the bot cannot outlive the test that started it, and after
at most MAX_SECONDS in any case.
"""
import logging
import os
import sys
import tempfile
import threading
from pathlib import Path

from mmpy_bot import Bot, Message, Plugin, Settings, listen_to

MAX_SECONDS = 120

REPORT = Path(tempfile.mkdtemp(prefix="mmpy-bot-")) / "report.txt"


class StatusPlugin(Plugin):
    """Answers "status ..." in the thread and acknowledges with a reaction."""

    @listen_to(r"^status (.+)$")
    def status(self, message: Message, what: str):
        REPORT.write_text(f"{what}: all green\n")
        self.driver.reply_to(message, f"{what}: all green", file_paths=[str(REPORT)])
        self.driver.react_to(message, "white_check_mark")


class ReadySignal(logging.Handler):
    """mattermostautodriver logs once the server's hello (seq 0) arrived."""

    def emit(self, record):
        text = record.getMessage()
        if text.startswith("Websocket authenti") and text.endswith("OK"):
            print("bot: listening", flush=True)


def exit_when_stdin_closes():
    sys.stdin.read()
    os._exit(0)


def main():
    threading.Thread(target=exit_when_stdin_closes, daemon=True).start()
    watchdog = threading.Timer(MAX_SECONDS, lambda: os._exit(3))
    watchdog.daemon = True
    watchdog.start()
    logging.getLogger("mattermostautodriver.websocket").addHandler(ReadySignal())
    bot = Bot(settings=Settings(SSL_VERIFY=False), plugins=[StatusPlugin()])
    print(f"bot: logged in as {bot.driver.username}", flush=True)
    bot.run()


main()
