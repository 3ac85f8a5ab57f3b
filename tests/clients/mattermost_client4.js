// Drive `chathooks serve` with Mattermost's own JavaScript client (Client4), unchanged.
// Usage: node mattermost_client4.js http://127.0.0.1:PORT ADMIN PASSWORD
const assert = require('node:assert/strict');
const {Client4, WebSocketClient} = require('@mattermost/client');

async function main() {
    const [base, admin, password] = process.argv.slice(2);
    const client = new Client4();
    client.setUrl(base);
    const me = await client.login(admin, password);
    assert.equal(me.username, admin);
    assert.equal((await client.getMe()).id, me.id);

    const team = await client.createTeam({name: 'client4', display_name: 'Client4', type: 'O'});
    const channel = await client.createChannel({team_id: team.id, name: 'js', display_name: 'JS', type: 'O'});
    assert.equal((await client.getChannelByName(team.id, 'js')).id, channel.id);

    const hook = await client.createIncomingWebhook({channel_id: channel.id, display_name: 'client4'});
    assert.equal(hook.id.length, 26);
    const hooks = await client.getIncomingWebhooks(team.id);
    assert.deepEqual(hooks.map((h) => h.id), [hook.id]);
    const counted = await client.getIncomingWebhooks(team.id, 0, 60, true);
    assert.equal(counted.total_count, 1);

    const response = await fetch(`${base}/hooks/${hook.id}`, {
        method: 'POST',
        headers: {'Content-Type': 'application/json'},
        body: JSON.stringify({text: 'hello from Client4'}),
    });
    assert.equal(await response.text(), 'ok');

    const post = await client.createPost({channel_id: channel.id, message: 'a user post'});
    assert.equal(post.message, 'a user post');
    const posts = await client.getPosts(channel.id);
    const messages = posts.order.map((id) => posts.posts[id].message);
    assert.deepEqual(messages, ['a user post', 'hello from Client4']);

    const outgoing = await client.createOutgoingWebhook({
        team_id: team.id, channel_id: channel.id, display_name: 'out',
        trigger_words: ['deploy'], callback_urls: ['http://example.invalid/hook'],
    });
    const regenerated = await client.regenOutgoingHookToken(outgoing.id);
    assert.notEqual(regenerated.token, outgoing.token);
    await client.removeOutgoingWebhook(outgoing.id);
    await client.removeIncomingWebhook(hook.id);
    await assert.rejects(client.getIncomingWebhook(hook.id), (error) => error.status_code === 404);

    // Files, patches and the WebSocket, as the web app uses them.
    const form = new FormData();
    form.append('channel_id', channel.id);
    form.append('files', new Blob(['attached by Client4']), 'client4.txt');
    const uploaded = await client.uploadFile(form);
    assert.equal(uploaded.file_infos[0].name, 'client4.txt');
    const withFile = await client.createPost({channel_id: channel.id, message: 'with a file', file_ids: [uploaded.file_infos[0].id]});
    assert.deepEqual(withFile.file_ids, [uploaded.file_infos[0].id]);
    const patched = await client.patchPost({id: withFile.id, message: 'with a file, patched'});
    assert.equal(patched.message, 'with a file, patched');

    const socket = new WebSocketClient();
    const heard = new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no posted event within 10 s')), 10000);
        socket.addMessageListener((message) => {
            if (message.event === 'posted') {
                clearTimeout(timer);
                resolve(JSON.parse(message.data.post));
            }
        });
    });
    const connected = new Promise((resolve) => socket.addFirstConnectListener(resolve));
    socket.initialize(`${base.replace(/^http/, 'ws')}/api/v4/websocket`, client.getToken());
    await connected;
    // The hello (seq 0) follows the authentication; give it a moment, then post.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const live = await client.createPost({channel_id: channel.id, message: 'live'});
    const livePost = await heard;
    assert.equal(livePost.id, live.id);
    socket.close();
    await client.logout();
    console.log('client4: ok');
}

main().catch((error) => {
    console.error(error);
    process.exit(1);
});
