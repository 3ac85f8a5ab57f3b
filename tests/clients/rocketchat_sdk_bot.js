// A hubot-style bot on Rocket.Chat's official Node SDK (@rocket.chat/sdk), unchanged,
// against `chathooks serve`: it logs in, joins a room, answers "ping" with "pong", reacts,
// and is not handed its own message. A second SDK connection plays the human.
// Usage: node rocketchat_sdk_bot.js http://127.0.0.1:PORT BOT PASSWORD ROOM HUMAN PASSWORD
const assert = require('node:assert/strict');
const {Bot} = require('@rocket.chat/sdk');
const {DDPDriver} = require('@rocket.chat/sdk/lib/drivers/ddp');

function waitFor(what, check, ms = 10000) {
    return new Promise((resolve, reject) => {
        const started = Date.now();
        const timer = setInterval(() => {
            const found = check();
            if (found) {
                clearInterval(timer);
                resolve(found);
            } else if (Date.now() - started > ms) {
                clearInterval(timer);
                reject(new Error(`no ${what} within ${ms} ms`));
            }
        }, 20);
    });
}

async function main() {
    const [host, botName, botPassword, room, humanName, humanPassword] = process.argv.slice(2);

    // The bot: REST login, then the Realtime API resumes with its token.
    const bot = new Bot({host});
    await bot.connect();
    await bot.login({username: botName, password: botPassword});
    const rid = await bot.methodCall('getRoomIdByNameOrId', room);
    assert.equal(typeof rid, 'string');
    await bot.methodCall('joinRoom', rid);
    const handed = [];
    const answered = new Set();
    await bot.respondToMessages(async (error, message) => {
        if (error) return;
        handed.push(message);
        // A message comes again when it changes (a reaction, an edit): answer it once.
        if (message.msg === 'ping' && !answered.has(message._id)) {
            answered.add(message._id);
            await bot.methodCall('sendMessage', {rid: message.rid, msg: 'pong'});
            await bot.methodCall('setReaction', ':white_check_mark:', message._id, true);
        }
    });

    // The human: the SDK's DDP driver, logging in with the password's digest.
    const human = new DDPDriver({host});
    await human.connect();
    const login = await human.login({username: humanName, password: humanPassword});
    assert.equal(typeof login.id, 'string');
    const seen = [];
    await human.subscribe('stream-room-messages', rid);
    human.onMessage((message) => seen.push(message));
    const ping = await human.methodCall('sendMessage', {rid, msg: 'ping'});
    assert.equal(ping.msg, 'ping');

    const pong = await waitFor('pong', () => seen.find((m) => m.msg === 'pong'));
    assert.equal(pong.u.username, botName);
    assert.ok(pong.ts instanceof Date && !isNaN(pong.ts), 'ts is an EJSON date');
    await waitFor('reaction', () => seen.find((m) => m._id === ping._id && m.reactions && m.reactions[':white_check_mark:']));
    // The bot's own pong went by on its stream too; give it time to be (wrongly) handed over.
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.ok(handed.some((m) => m._id === ping._id), 'the bot is handed the ping');
    assert.deepEqual(handed.filter((m) => m.u._id === bot.userId || m.msg === 'pong'), [], 'never its own messages');

    // The driver's own logout() first unsubscribes and waits for answers keyed by the
    // subscription id, which a DDP server's `nosub` is not; call the method directly.
    await human.methodCall('logout');
    await bot.logout();
    console.log('sdk bot: ok');
    process.exit(0);
}

const deadline = setTimeout(() => {
    console.error('sdk bot: timed out');
    process.exit(1);
}, 60000);
deadline.unref();
main().catch((error) => {
    console.error(error);
    process.exit(1);
});
