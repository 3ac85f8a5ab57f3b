// The chathooks web UI. Plain JavaScript, no build step, no dependencies.
//
// Data comes only from the test API (/_chathooks/api/v1, spec/testapi.yaml).
// The live stream (/_chathooks/events, Server-Sent Events) only says what
// changed; the page refetches that through the test API.
//
// Safety: every text from the server is inserted as text (DOM nodes,
// textContent). The one exception is a message's `html`, which the server
// renders from Markdown with raw HTML escaped. Links and image sources are
// checked against a list of schemes first, and remote images are loaded
// through the server's image proxy, never from their own hosts.
'use strict';

(() => {
  const API = '/_chathooks/api/v1';
  const EVENTS = '/_chathooks/events';
  const MESSAGE_LIMIT = 200;
  const DELIVERY_LIMIT = 200;

  const state = {
    channels: [],
    selected: null, // channel id
    search: '',
    messages: [],
    hooks: [],
    deliveries: [],
    realtime: [],
    chaos: { rules: [], answers: [] },
    tab: 'hooks',
    deliveryFilter: '',
    openDetails: new Set(),
    loaded: { channels: false },
    // Acting as a user (the composer): whom, what only they see, their dialog.
    users: [],
    actor: null, // username
    ephemeral: [], // { message, userId }
    dialog: null, // { open, errors, error, busy }
  };

  // ---- DOM helpers -------------------------------------------------------

  const $ = (selector, root = document) => root.querySelector(selector);

  /** An element: attributes (`class`, `text`, `dataset`, `on*` handlers) and children. */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === 'class') el.className = value;
      else if (key === 'text') el.textContent = String(value);
      else if (key === 'dataset') {
        for (const [k, v] of Object.entries(value)) if (v !== null && v !== undefined) el.dataset[k] = String(v);
      } else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
      else el.setAttribute(key, value === true ? '' : String(value));
    }
    append(el, children);
    return el;
  }

  function append(el, children) {
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return el;
  }

  /** A URL that is safe in an `href`: http(s), mailto, or a path of this server. */
  function safeUrl(url, schemes = ['http:', 'https:', 'mailto:']) {
    if (typeof url !== 'string' || url.trim() === '') return null;
    try {
      const parsed = new URL(url, location.href);
      return schemes.includes(parsed.protocol) ? parsed.href : null;
    } catch {
      return null;
    }
  }

  const ICONS = {
    // A padlock and a page: drawn, so they show without an emoji font.
    lock: 'M5 7V5a3 3 0 0 1 6 0v2h1v7H4V7h1zm1.5 0h3V5a1.5 1.5 0 0 0-3 0v2z',
    file: 'M4 1h5l4 4v10H4V1zm5 1.5V6h3.5L9 2.5z',
    hash: 'M6 2 5.4 5H3v1.5h2.1l-.6 3H2V11h2.2l-.6 3h1.5l.6-3h3l-.6 3h1.5l.6-3H13V9.5h-2.1l.6-3H14V5h-2.2l.6-3h-1.5l-.6 3h-3L7.5 2H6zm.9 4.5h3l-.6 3h-3l.6-3z',
  };

  function icon(name, cls = 'icon') {
    const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    svg.setAttribute('viewBox', '0 0 16 16');
    svg.setAttribute('class', cls);
    svg.setAttribute('aria-hidden', 'true');
    const path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
    path.setAttribute('d', ICONS[name]);
    path.setAttribute('fill', 'currentColor');
    svg.append(path);
    return svg;
  }

  // Remote images come through the server (GET /_chathooks/image), which
  // fetches them through the same internal-address guard as outgoing
  // webhooks: the page never makes the browser fetch a URL a message chose
  // (its CSP allows images from this server and data: URLs only).
  const IMAGE_PROXY = '/_chathooks/image';

  function safeImage(url) {
    const href = safeUrl(url, ['http:', 'https:', 'data:']);
    if (!href) return null;
    if (href.startsWith('data:')) return /^data:image\//i.test(href) ? href : null;
    return `${IMAGE_PROXY}?url=${encodeURIComponent(href)}`;
  }

  function link(url, ...children) {
    const href = safeUrl(url);
    if (!href) return h('span', {}, ...children);
    return h('a', { href, target: '_blank', rel: 'noopener noreferrer' }, ...children);
  }

  function pad(n) {
    return String(n).padStart(2, '0');
  }

  function clock(ms, seconds = false) {
    const d = new Date(ms);
    const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
    return seconds ? `${hm}:${pad(d.getSeconds())}` : hm;
  }

  function timeEl(ms, cls, seconds = false) {
    if (!ms) return null;
    const d = new Date(ms);
    return h('time', { class: cls, datetime: d.toISOString(), title: d.toLocaleString() }, clock(ms, seconds));
  }

  function day(ms) {
    return new Date(ms).toLocaleDateString(undefined, { weekday: 'short', year: 'numeric', month: 'short', day: 'numeric' });
  }

  function humanSize(bytes) {
    if (!Number.isFinite(bytes)) return '';
    const units = ['B', 'KB', 'MB', 'GB'];
    let n = bytes;
    let unit = 0;
    while (n >= 1024 && unit < units.length - 1) {
      n /= 1024;
      unit += 1;
    }
    return unit === 0 ? `${n} B` : `${n.toFixed(n < 10 ? 1 : 0)} ${units[unit]}`;
  }

  function relative(ms) {
    const seconds = Math.round((ms - Date.now()) / 1000);
    if (Math.abs(seconds) < 1) return 'now';
    const abs = Math.abs(seconds);
    const text = abs < 90 ? `${abs} s` : abs < 5400 ? `${Math.round(abs / 60)} min` : `${Math.round(abs / 3600)} h`;
    return seconds > 0 ? `in ${text}` : `${text} ago`;
  }

  /** A pleasant, stable color for a name (avatars without an icon). */
  function nameColor(name) {
    let hash = 0;
    for (const ch of name) hash = (hash * 31 + ch.codePointAt(0)) >>> 0;
    return `hsl(${hash % 360} 45% 45%)`;
  }

  function toast(text, kind = 'info') {
    const el = $('#toast');
    el.textContent = text;
    el.dataset.kind = kind;
    el.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => {
      el.hidden = true;
    }, kind === 'error' ? 6000 : 3000);
  }

  async function copy(text, button) {
    try {
      if (navigator.clipboard && window.isSecureContext) {
        await navigator.clipboard.writeText(text);
      } else {
        const area = h('textarea', { class: 'offscreen', readonly: true });
        area.value = text;
        document.body.append(area);
        area.select();
        document.execCommand('copy');
        area.remove();
      }
      if (button) {
        button.textContent = 'Copied';
        button.classList.add('copied');
        setTimeout(() => {
          button.textContent = 'Copy';
          button.classList.remove('copied');
        }, 1500);
      }
    } catch (e) {
      toast(`Could not copy: ${e.message}`, 'error');
    }
  }

  function copyButton(text, label = 'Copy') {
    const button = h('button', { type: 'button', class: 'copy', title: `Copy ${text}`, dataset: { copy: text } }, label);
    button.addEventListener('click', () => copy(text, button));
    return button;
  }

  /** A <details> that stays open across re-renders. */
  function details(key, summary, ...content) {
    const el = h('details', { dataset: { detailsKey: key } }, h('summary', {}, summary), ...content);
    el.open = state.openDetails.has(key);
    el.addEventListener('toggle', () => {
      if (el.open) state.openDetails.add(key);
      else state.openDetails.delete(key);
    });
    return el;
  }

  function pretty(body) {
    if (typeof body !== 'string') return '';
    try {
      return JSON.stringify(JSON.parse(body), null, 2);
    } catch {
      return body;
    }
  }

  // ---- Emoji -------------------------------------------------------------

  const EMOJI = {
    '+1': '👍', thumbsup: '👍', '-1': '👎', thumbsdown: '👎', heart: '❤️', smile: '😄', smiley: '😃',
    grinning: '😀', joy: '😂', laughing: '😆', slightly_smiling_face: '🙂', wink: '😉', sob: '😭',
    thinking_face: '🤔', tada: '🎉', rocket: '🚀', fire: '🔥', eyes: '👀', white_check_mark: '✅',
    heavy_check_mark: '✔️', x: '❌', warning: '⚠️', wave: '👋', clap: '👏', pray: '🙏', '100': '💯',
    ok_hand: '👌', star: '⭐', sparkles: '✨', bug: '🐛', construction: '🚧', rotating_light: '🚨',
    red_circle: '🔴', large_green_circle: '🟢', large_blue_circle: '🔵', zap: '⚡', boom: '💥',
    robot_face: '🤖', robot: '🤖', bell: '🔔', memo: '📝', package: '📦', lock: '🔒', hourglass: '⌛',
    heavy_plus_sign: '➕', raised_hands: '🙌', muscle: '💪', coffee: '☕', skull: '💀', ghost: '👻',
  };

  /** Whether this machine draws emoji in color (a box means no emoji font: show `:name:` then). */
  let colorEmoji = null;

  function canDrawEmoji() {
    if (colorEmoji === null) {
      colorEmoji = true;
      try {
        const canvas = document.createElement('canvas');
        canvas.width = canvas.height = 24;
        const context = canvas.getContext('2d', { willReadFrequently: true });
        context.textBaseline = 'top';
        context.font = '18px sans-serif';
        context.fillText('😀', 0, 0);
        const pixels = context.getImageData(0, 0, 24, 24).data;
        colorEmoji = false;
        for (let i = 0; i < pixels.length; i += 4) {
          if (pixels[i + 3] && (pixels[i] !== pixels[i + 1] || pixels[i + 1] !== pixels[i + 2])) {
            colorEmoji = true;
            break;
          }
        }
      } catch {
        // No canvas: assume emoji draw.
      }
    }
    return colorEmoji;
  }

  const emoji = (name) => (EMOJI[name] && canDrawEmoji() ? EMOJI[name] : `:${name}:`);

  // ---- A little Markdown, for attachments ---------------------------------
  //
  // Messages come rendered from the server (`html`); attachments are raw
  // Slack JSON, whose text fields Mattermost also formats. This handles the
  // common inline forms, building DOM nodes (never HTML strings).

  const INLINE = new RegExp(
    [
      '(`[^`\\n]+`)', // 1 code
      '(\\*\\*[^*\\n]+\\*\\*)', // 2 bold
      '(?<![\\w*])(\\*[^*\\n]+\\*)(?![\\w*])', // 3 bold (Slack)
      '(?<!\\w)(_[^_\\n]+_)(?!\\w)', // 4 italic
      '(?<!\\w)(~~?[^~\\n]+~~?)(?!\\w)', // 5 strike
      '\\[([^\\]\\n]+)\\]\\(([^)\\s]+)\\)', // 6, 7 [label](url)
      '<((?:https?|mailto):[^|>\\s]+)(?:\\|([^>\\n]+))?>', // 8, 9 <url|label>
      '(https?:\\/\\/[^\\s<>"]+[^\\s<>".,;:!?)\\]])', // 10 bare URL
    ].join('|'),
    'g',
  );

  function inline(text) {
    const out = [];
    let last = 0;
    for (const m of text.matchAll(INLINE)) {
      if (m.index > last) out.push(text.slice(last, m.index));
      if (m[1]) out.push(h('code', {}, m[1].slice(1, -1)));
      else if (m[2]) out.push(h('strong', {}, m[2].slice(2, -2)));
      else if (m[3]) out.push(h('strong', {}, m[3].slice(1, -1)));
      else if (m[4]) out.push(h('em', {}, m[4].slice(1, -1)));
      else if (m[5]) out.push(h('del', {}, m[5].replace(/^~~?|~~?$/g, '')));
      else if (m[6]) out.push(link(m[7], m[6]));
      else if (m[8]) out.push(link(m[8], m[9] || m[8]));
      else if (m[10]) out.push(link(m[10], m[10]));
      last = m.index + m[0].length;
    }
    if (last < text.length) out.push(text.slice(last));
    return out;
  }

  /** Attachment text as nodes: lines, with inline formatting. */
  function markdown(text, cls) {
    const el = h('div', { class: `${cls} md` });
    if (text === null || text === undefined) return el;
    const lines = String(text).split('\n');
    lines.forEach((line, i) => {
      if (i > 0) el.append(h('br'));
      append(el, inline(line));
    });
    return el;
  }

  // ---- The test API ----------------------------------------------------------

  /** A refusal or failure of the test API: its status, its error code and its reason. */
  class ApiError extends Error {
    constructor(path, status, code, reason) {
      super(`${path}: ${reason}`);
      this.status = status;
      this.code = code;
      this.reason = reason;
    }
  }

  async function api(path, options = {}) {
    const response = await fetch(API + path, {
      ...options,
      headers: { Accept: 'application/json', ...(options.headers || {}) },
    });
    if (!response.ok) {
      let reason = `${response.status} ${response.statusText}`;
      let code = '';
      try {
        const body = await response.json();
        reason = body.message || body.error || reason;
        code = body.error || '';
      } catch {
        // not JSON: keep the status line
      }
      throw new ApiError(path.split('?')[0], response.status, code, reason);
    }
    return response.json();
  }

  const query = (params) =>
    new URLSearchParams(Object.entries(params).filter(([, v]) => v !== null && v !== undefined && v !== '')).toString();

  // ---- Loading, coalesced --------------------------------------------------
  //
  // A burst of events asks for one fetch; an event during a fetch asks for
  // one more after it.

  const loaders = {};

  function refresh(name) {
    const loader = (loaders[name] ||= { timer: null, running: false, again: false });
    if (loader.timer) return;
    loader.timer = setTimeout(async () => {
      loader.timer = null;
      if (loader.running) {
        loader.again = true;
        return;
      }
      loader.running = true;
      try {
        await LOAD[name]();
      } catch (e) {
        toast(e.message, 'error');
      } finally {
        loader.running = false;
        if (loader.again) {
          loader.again = false;
          refresh(name);
        }
      }
    }, 25);
  }

  function refreshAll() {
    for (const name of Object.keys(LOAD)) refresh(name);
  }

  // What each panel last drew from: an answer that changed nothing redraws
  // nothing (no flicker, open details and selections stay, and elements a
  // test holds stay attached).
  const drawn = {};

  function changed(key, data) {
    const json = JSON.stringify(data);
    if (drawn[key] === json) return false;
    drawn[key] = json;
    return true;
  }

  const LOAD = {
    async channels() {
      const { channels } = await api('/channels');
      const fresh = changed('channels', channels) || !state.loaded.channels;
      state.channels = channels;
      state.loaded.channels = true;
      if (!state.selected || !channels.some((c) => c.id === state.selected)) {
        const fromHash = channelFromHash();
        const pick = channels.find((c) => c.id === fromHash) || channels[0];
        if (pick && pick.id !== state.selected) {
          state.selected = pick.id;
          refresh('messages');
        } else if (!pick) {
          state.selected = null;
        }
      }
      if (fresh || !drawn.selection || drawn.selection !== state.selected) {
        drawn.selection = state.selected;
        renderChannels();
        renderChannelHeader();
      }
    },
    async messages() {
      let path;
      if (state.search) path = `/messages?${query({ text: state.search, limit: MESSAGE_LIMIT })}`;
      else if (state.selected) path = `/messages?${query({ channel: state.selected, limit: MESSAGE_LIMIT })}`;
      else {
        state.messages = [];
        renderMessages();
        return;
      }
      const wanted = `${state.search}\u0000${state.selected}`;
      const { messages } = await api(path);
      // The selection changed while this was on its way: its own fetch follows.
      if (wanted !== `${state.search}\u0000${state.selected}`) return;
      state.messages = messages;
      if (changed('messages', [wanted, messages])) renderMessages();
    },
    async hooks() {
      const { hooks } = await api('/hooks');
      if (!changed('hooks', hooks)) return;
      state.hooks = hooks;
      renderHooks();
      // Chaos and deliveries show hook names; an empty channel, its hooks.
      renderChaos();
      renderDeliveries();
      if (!state.messages.length) renderMessages();
    },
    async deliveries() {
      const [{ deliveries }, { sessions }] = await Promise.all([
        api(`/deliveries?${query({ limit: DELIVERY_LIMIT })}`),
        api('/realtime-sessions'),
      ]);
      state.deliveries = deliveries;
      state.realtime = sessions;
      if (changed('deliveries', [deliveries, sessions])) renderDeliveries();
      else scheduleDeliveryPoll();
    },
    async users() {
      const { users } = await api('/users');
      if (!changed('users', users)) return;
      state.users = users;
      if (!state.actor || !users.some((u) => u.username === state.actor)) {
        let saved = null;
        try {
          saved = localStorage.getItem(ACTOR_KEY);
        } catch {
          // storage refused: pick anew
        }
        const pick = users.find((u) => u.username === saved) || users.find((u) => !u.is_bot) || users[0];
        setActor(pick ? pick.username : null);
      } else renderComposerTargets();
    },
    async dialogs() {
      const actor = actorUser();
      if (!actor || state.dialog) return;
      const { dialogs } = await api(`/dialogs?${query({ user: actor.username })}`);
      // The actor changed, or a dialog was shown, meanwhile.
      if (actorUser() !== actor || state.dialog) return;
      if (dialogs.length) showDialog(dialogs[0]);
    },
    async chaos() {
      const chaos = await api('/chaos');
      if (!changed('chaos', chaos)) return;
      state.chaos = chaos;
      renderChaos();
    },
  };

  // ---- Channels ----------------------------------------------------------

  function channelFromHash() {
    const match = /(?:^#|&)channel=([^&]+)/.exec(location.hash);
    return match ? decodeURIComponent(match[1]) : null;
  }

  function selectChannel(id) {
    if (state.search) {
      state.search = '';
      $('#search').value = '';
    }
    if (id === state.selected) {
      renderChannels();
      renderChannelHeader();
      refresh('messages');
      return;
    }
    state.selected = id;
    state.messages = [];
    scrollPending = true;
    if (channelFromHash() !== id) history.replaceState(null, '', `#channel=${encodeURIComponent(id)}`);
    renderChannels();
    renderChannelHeader();
    renderMessages();
    refresh('messages');
  }

  function renderChannels() {
    const nav = $('#channels');
    const teams = new Map();
    for (const channel of state.channels) {
      const team = channel.team_name || '(no team)';
      if (!teams.has(team)) teams.set(team, []);
      teams.get(team).push(channel);
    }
    const groups = [...teams].map(([team, channels]) =>
      h(
        'section',
        { class: 'team', dataset: { team } },
        h('h2', { class: 'team-name' }, team),
        h(
          'ul',
          { class: 'channel-list' },
          channels.map((channel) =>
            h(
              'li',
              {},
              h(
                'a',
                {
                  href: `#channel=${encodeURIComponent(channel.id)}`,
                  class: ['channel', channel.archived ? 'archived' : '', channel.id === state.selected && !state.search ? 'active' : '']
                    .filter(Boolean)
                    .join(' '),
                  'aria-current': channel.id === state.selected && !state.search ? 'page' : null,
                  title: `${channel.team_name}/${channel.name}`,
                  dataset: { channelId: channel.id, channelName: channel.name, teamName: channel.team_name },
                  onclick: (event) => {
                    event.preventDefault();
                    selectChannel(channel.id);
                  },
                },
                icon(channel.private ? 'lock' : 'hash', 'icon channel-icon'),
                h('span', { class: 'channel-name' }, channel.display_name || channel.name),
                channel.total_msg_count > 0
                  ? h('span', { class: 'channel-count', title: `${channel.total_msg_count} messages` }, channel.total_msg_count)
                  : null,
              ),
            ),
          ),
        ),
      ),
    );
    nav.replaceChildren(...(groups.length ? groups : [h('p', { class: 'empty' }, state.loaded.channels ? 'No channels yet.' : 'Loading…')]));
    renderComposerTargets();
  }

  function currentChannel() {
    return state.channels.find((c) => c.id === state.selected) || null;
  }

  function renderChannelHeader() {
    const title = $('#channel-title');
    const subtitle = $('#channel-subtitle');
    if (state.search) {
      title.textContent = `Search: “${state.search}”`;
      subtitle.textContent = 'in every channel';
      return;
    }
    const channel = currentChannel();
    title.textContent = channel ? channel.display_name || channel.name : 'No channel';
    subtitle.textContent = channel ? `${channel.team_name}/${channel.name}${channel.archived ? ' · archived' : ''}` : '';
  }

  // ---- Messages ------------------------------------------------------------

  let scrollPending = true;

  function renderMessages() {
    const list = $('#messages');
    const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
    const messages = state.search ? state.messages : withEphemeral(state.messages);
    list.dataset.mode = state.search ? 'search' : 'channel';
    if (!messages.length) {
      list.replaceChildren(emptyMessages());
      return;
    }
    const items = [];
    if (state.search) {
      items.push(h('p', { class: 'search-summary muted' }, `${messages.length} message${messages.length === 1 ? '' : 's'} found`));
      for (const message of messages) items.push(renderPost(message, { search: true }));
    } else {
      const ids = new Set(messages.map((m) => m.id));
      const replies = new Map();
      const roots = [];
      for (const message of messages) {
        if (message.root_id && ids.has(message.root_id)) {
          if (!replies.has(message.root_id)) replies.set(message.root_id, []);
          replies.get(message.root_id).push(message);
        } else roots.push(message);
      }
      let lastDay = null;
      for (const message of roots) {
        const today = day(message.create_at);
        if (today !== lastDay) {
          items.push(h('div', { class: 'date-separator' }, h('span', {}, today)));
          lastDay = today;
        }
        items.push(renderPost(message, { replies: replies.get(message.id) || [] }));
      }
    }
    list.replaceChildren(...items);
    if (scrollPending || nearBottom) {
      list.scrollTop = list.scrollHeight;
      scrollPending = false;
    }
  }

  function emptyMessages() {
    if (state.search) return h('p', { class: 'empty' }, 'No message contains that text.');
    const channel = currentChannel();
    if (!channel) return h('p', { class: 'empty' }, state.loaded.channels ? 'No channel yet.' : 'Loading…');
    const where = `${channel.team_name}/${channel.name}`;
    const hooks = state.hooks.filter((hook) => hook.direction === 'incoming' && hook.channel === where);
    return h(
      'div',
      { class: 'empty' },
      h('p', {}, 'No messages in this channel yet.'),
      hooks.length
        ? [
            h('p', {}, 'Post one through an incoming webhook:'),
            hooks.map((hook) => {
              const command = `curl -H 'Content-Type: application/json' -d '{"text":"Hello from curl"}' ${hook.url}`;
              return h('div', { class: 'snippet' }, h('code', {}, command), copyButton(command));
            }),
          ]
        : null,
    );
  }

  function avatar(message) {
    const name = message.display_name || message.username || '?';
    const fallback = () =>
      h('span', { class: 'avatar avatar-initial', 'aria-hidden': 'true' }, [...name][0].toUpperCase());
    const src = safeImage(message.icon_url);
    if (src) {
      const img = h('img', { class: 'avatar', src, alt: '', loading: 'lazy', referrerpolicy: 'no-referrer' });
      img.addEventListener('error', () => {
        const initial = fallback();
        initial.style.backgroundColor = nameColor(name);
        img.replaceWith(initial);
      });
      return img;
    }
    if (message.icon_emoji && canDrawEmoji()) {
      return h('span', { class: 'avatar avatar-emoji', 'aria-hidden': 'true' }, emoji(message.icon_emoji.replace(/^:|:$/g, '')));
    }
    const initial = fallback();
    initial.style.backgroundColor = nameColor(name);
    return initial;
  }

  function renderPost(message, { replies = [], search = false } = {}) {
    const isReply = Boolean(message.root_id);
    const ephemeral = ephemeralIds.has(message.id);
    const el = h('article', {
      class: ['post', isReply ? 'reply' : '', message.from_webhook ? 'from-webhook' : '', ephemeral ? 'ephemeral' : '']
        .filter(Boolean)
        .join(' '),
      id: `post-${message.id}`,
      dataset: {
        messageId: message.id,
        channelId: message.channel_id,
        rootId: message.root_id || null,
        hookId: message.hook_id || null,
        author: message.username,
      },
    });
    const overridden = message.display_name && message.display_name !== message.username;
    const header = h(
      'header',
      { class: 'post-header' },
      h('span', { class: 'post-author', title: `@${message.username}` }, message.display_name || message.username),
      message.from_webhook
        ? h('span', { class: 'badge bot-badge', title: message.hook_id ? `Posted by webhook ${message.hook_id}` : 'Posted by a webhook' }, 'BOT')
        : null,
      overridden ? h('span', { class: 'post-username muted' }, `@${message.username}`) : null,
      timeEl(message.create_at, 'post-time'),
      message.edit_at ? h('span', { class: 'post-edited muted', title: new Date(message.edit_at).toLocaleString() }, '(edited)') : null,
      ephemeral ? h('span', { class: 'ephemeral-marker', title: 'Never stored; shown to this user only' }, '(Only visible to you)') : null,
      search
        ? h(
            'a',
            {
              href: `#channel=${encodeURIComponent(message.channel_id)}`,
              class: 'post-channel',
              onclick: (event) => {
                event.preventDefault();
                selectChannel(message.channel_id);
              },
            },
            `~${message.channel_name}`,
            message.team_name ? h('span', { class: 'muted' }, ` (${message.team_name})`) : null,
          )
        : null,
    );
    const body = h('div', { class: 'post-body' }, header);
    if (isReply) {
      // Removed again when the reply is shown inside its root's thread.
      body.append(h('div', { class: 'reply-marker muted', title: `Reply to ${message.root_id}` }, '↳ reply in a thread'));
    }
    const text = h('div', { class: 'post-message md' });
    // Trusted: the server renders Markdown with raw HTML escaped. Parsed in
    // an inert template first, so Markdown images load nothing until their
    // sources point at the image proxy.
    const rendered = document.createElement('template');
    rendered.innerHTML = message.html || '';
    for (const a of rendered.content.querySelectorAll('a[href]')) {
      if (!safeUrl(a.getAttribute('href'))) a.removeAttribute('href');
      a.target = '_blank';
      a.rel = 'noopener noreferrer';
    }
    for (const img of rendered.content.querySelectorAll('img')) {
      const src = safeImage(img.getAttribute('src'));
      if (src) img.setAttribute('src', src);
      else img.removeAttribute('src');
      img.setAttribute('referrerpolicy', 'no-referrer');
    }
    text.append(rendered.content);
    if (message.html) body.append(text);
    const attachments = Array.isArray(message.attachments) ? message.attachments : [];
    if (attachments.length) {
      body.append(h('div', { class: 'attachments' }, attachments.map((attachment) => renderAttachment(attachment, message, ephemeral))));
    }
    if (message.files && message.files.length) body.append(renderFiles(message.files));
    if (message.reactions && message.reactions.length) body.append(renderReactions(message.reactions));
    if (replies.length) {
      body.append(
        h(
          'div',
          { class: 'thread', dataset: { rootId: message.id } },
          h('div', { class: 'thread-count muted' }, `${replies.length} ${replies.length === 1 ? 'reply' : 'replies'}`),
          replies.map((reply) => {
            const post = renderPost(reply);
            const marker = post.querySelector('.reply-marker');
            if (marker) marker.remove();
            return post;
          }),
        ),
      );
    }
    el.append(avatar(message), body);
    return el;
  }

  // Mattermost's colors for Slack's named ones.
  const NAMED_COLORS = { good: '#00c100', warning: '#dede01', danger: '#e40303' };

  function attachmentColor(color) {
    if (typeof color !== 'string' || !color) return null;
    const named = NAMED_COLORS[color.toLowerCase()];
    if (named) return named;
    if (/^#?(?:[0-9a-f]{3}|[0-9a-f]{6})$/i.test(color)) return color.startsWith('#') ? color : `#${color}`;
    return null;
  }

  function renderAttachment(attachment, message, ephemeral) {
    const a = attachment && typeof attachment === 'object' ? attachment : {};
    const color = attachmentColor(a.color);
    const el = h('div', { class: 'attachment', dataset: { color: a.color || null } });
    if (color) el.style.borderLeftColor = color;
    if (a.pretext) el.append(markdown(a.pretext, 'attachment-pretext'));
    const main = h('div', { class: 'attachment-body' });
    if (a.author_name || a.author_icon) {
      const icon = safeImage(a.author_icon);
      main.append(
        h(
          'div',
          { class: 'attachment-author' },
          icon ? h('img', { class: 'attachment-author-icon', src: icon, alt: '', referrerpolicy: 'no-referrer' }) : null,
          a.author_name
            ? a.author_link && safeUrl(a.author_link)
              ? link(a.author_link, h('span', { class: 'attachment-author-name' }, a.author_name))
              : h('span', { class: 'attachment-author-name' }, a.author_name)
            : null,
        ),
      );
    }
    if (a.title) {
      main.append(
        h('h4', { class: 'attachment-title' }, a.title_link && safeUrl(a.title_link) ? link(a.title_link, a.title) : a.title),
      );
    }
    if (a.text) main.append(markdown(a.text, 'attachment-text'));
    const fields = Array.isArray(a.fields) ? a.fields.filter((f) => f && typeof f === 'object') : [];
    if (fields.length) {
      main.append(
        h(
          'div',
          { class: 'attachment-fields' },
          fields.map((field) =>
            h(
              'div',
              { class: field.short ? 'attachment-field short' : 'attachment-field', dataset: { short: field.short ? 'true' : 'false' } },
              field.title ? h('div', { class: 'attachment-field-title' }, field.title) : null,
              markdown(field.value === undefined || field.value === null ? '' : String(field.value), 'attachment-field-value'),
            ),
          ),
        ),
      );
    }
    const image = safeImage(a.image_url);
    if (image) main.append(h('img', { class: 'attachment-image', src: image, alt: a.fallback || '', referrerpolicy: 'no-referrer' }));
    const content = h('div', { class: 'attachment-content' }, main);
    const thumb = safeImage(a.thumb_url);
    if (thumb) content.append(h('img', { class: 'attachment-thumb', src: thumb, alt: '', referrerpolicy: 'no-referrer' }));
    el.append(content);
    if (a.footer || a.ts) {
      const icon = safeImage(a.footer_icon);
      const ts = Number(a.ts);
      el.append(
        h(
          'div',
          { class: 'attachment-footer muted' },
          icon ? h('img', { class: 'attachment-footer-icon', src: icon, alt: '', referrerpolicy: 'no-referrer' }) : null,
          a.footer ? h('span', { class: 'attachment-footer-text' }, a.footer) : null,
          Number.isFinite(ts) && ts > 0 ? [a.footer ? ' · ' : null, timeEl(ts * 1000, 'attachment-ts')] : null,
        ),
      );
    }
    const actions = Array.isArray(a.actions) ? a.actions.filter((action) => action && typeof action === 'object' && action.id) : [];
    // An ephemeral post's buttons are not the server's to click: it never stored it.
    if (actions.length && !ephemeral) el.append(renderActions(actions, message));
    if (!el.childNodes.length && a.fallback) el.append(markdown(a.fallback, 'attachment-text'));
    return el;
  }

  function renderFiles(files) {
    return h(
      'div',
      { class: 'files' },
      files.map((file) =>
        h(
          'a',
          {
            class: 'file',
            href: safeUrl(file.url, ['http:', 'https:']),
            target: '_blank',
            rel: 'noopener noreferrer',
            title: `${file.name} (${file.mime_type})`,
            dataset: { fileId: file.id },
          },
          icon('file', 'icon file-icon'),
          h('span', { class: 'file-name' }, file.name),
          h('span', { class: 'file-size muted' }, humanSize(file.size)),
        ),
      ),
    );
  }

  function renderReactions(reactions) {
    const byEmoji = new Map();
    for (const reaction of reactions) {
      if (!byEmoji.has(reaction.emoji_name)) byEmoji.set(reaction.emoji_name, []);
      byEmoji.get(reaction.emoji_name).push(reaction.username || reaction.user_id);
    }
    return h(
      'div',
      { class: 'reactions' },
      [...byEmoji].map(([name, users]) =>
        h(
          'span',
          { class: 'reaction', title: `${users.join(', ')} reacted with :${name}:`, dataset: { emoji: name, count: users.length } },
          h('span', { class: 'reaction-emoji' }, emoji(name)),
          h('span', { class: 'reaction-count' }, users.length),
        ),
      ),
    );
  }

  // ---- Hooks ---------------------------------------------------------------

  const API_NAMES = { mattermost: 'Mattermost', rocketchat: 'Rocket.Chat' };

  function apiBadge(api) {
    return h('span', { class: `api-badge api-${api}` }, API_NAMES[api] || api);
  }

  function renderHooks() {
    const panel = $('#panel-hooks');
    const sections = [
      ['incoming', 'Incoming webhooks and integrations'],
      ['outgoing', 'Outgoing webhooks and integrations'],
    ].map(([direction, title]) => {
      const hooks = state.hooks.filter((hook) => hook.direction === direction);
      return h(
        'section',
        { class: 'hooks-section', dataset: { direction } },
        h('h3', {}, title, h('span', { class: 'count' }, hooks.length)),
        hooks.length ? hooks.map(renderHook) : h('p', { class: 'empty' }, `No ${direction} hooks.`),
      );
    });
    panel.replaceChildren(...sections);
  }

  function renderHook(hook) {
    const urls = hook.direction === 'outgoing' ? hook.url.split(/\s+/).filter(Boolean) : [hook.url];
    return h(
      'article',
      {
        class: ['hook', hook.enabled ? '' : 'disabled'].filter(Boolean).join(' '),
        dataset: { hookId: hook.id, api: hook.api, direction: hook.direction },
      },
      h(
        'header',
        { class: 'hook-header' },
        apiBadge(hook.api),
        h('span', { class: 'hook-name' }, hook.name || '(unnamed)'),
        hook.enabled ? null : h('span', { class: 'badge badge-off' }, 'disabled'),
      ),
      h(
        'div',
        { class: 'hook-meta muted' },
        hook.channel ? h('span', { class: 'hook-channel' }, hook.direction === 'incoming' ? `→ ${hook.channel}` : `← ${hook.channel}`) : null,
        hook.event ? h('span', { class: 'hook-event' }, hook.event) : null,
        h('span', { class: 'hook-id', title: 'id' }, hook.id),
      ),
      urls.map((url) => h('div', { class: 'hook-url-row' }, h('code', { class: 'hook-url' }, url), copyButton(url))),
      hook.trigger_words && hook.trigger_words.length
        ? h('div', { class: 'trigger-words' }, 'triggers: ', hook.trigger_words.map((word) => h('span', { class: 'chip' }, word)))
        : null,
    );
  }

  // ---- Deliveries ------------------------------------------------------------

  const STATUSES = ['pending', 'running', 'delivered', 'failed', 'cancelled'];
  let pollTimer = null;

  function renderDeliveries() {
    const panel = $('#panel-deliveries');
    const counts = {};
    for (const d of state.deliveries) counts[d.status] = (counts[d.status] || 0) + 1;
    const failed = counts.failed || 0;
    const badge = $('#deliveries-count');
    badge.textContent = state.deliveries.length ? String(state.deliveries.length) : '';
    badge.classList.toggle('alert', failed > 0);
    const select = h(
      'select',
      {
        id: 'delivery-filter',
        'aria-label': 'Show deliveries with status',
        onchange: (event) => {
          state.deliveryFilter = event.target.value;
          renderDeliveries();
        },
      },
      h('option', { value: '' }, `all (${state.deliveries.length})`),
      STATUSES.map((status) => h('option', { value: status }, `${status} (${counts[status] || 0})`)),
    );
    select.value = state.deliveryFilter;
    const shown = state.deliveries.filter((d) => !state.deliveryFilter || d.status === state.deliveryFilter);
    panel.replaceChildren(
      renderRealtimeSessions(),
      h('div', { class: 'panel-toolbar' }, h('label', {}, 'Status ', select)),
      ...(shown.length
        ? shown.map(renderDelivery)
        : [h('p', { class: 'empty' }, 'No outgoing deliveries yet. They appear when a message triggers an outgoing webhook.')]),
    );
    scheduleDeliveryPoll();
  }

  /** The open realtime sessions (Rocket.Chat's DDP): who, what they follow, the last frames. */
  function renderRealtimeSessions() {
    if (!state.realtime.length) return h('div', { id: 'realtime-sessions', hidden: true });
    return h(
      'div',
      { id: 'realtime-sessions', class: 'realtime-sessions' },
      h('h3', {}, `Realtime sessions (${state.realtime.length})`),
      state.realtime.map((session) =>
        h(
          'div',
          { class: 'realtime-session', dataset: { sessionId: session.id } },
          h(
            'div',
            { class: 'delivery-header' },
            apiBadge(session.api),
            h('span', { class: 'realtime-user' }, session.username || '(not logged in)'),
            h('span', { class: 'muted' }, 'in '),
            timeEl(session.last_in_at, 'realtime-last-in', true),
            h('span', { class: 'muted' }, 'out '),
            timeEl(session.last_out_at, 'realtime-last-out', true),
          ),
          h('div', { class: 'realtime-subscriptions muted' }, session.subscriptions.join(', ') || 'no subscriptions'),
        ),
      ),
    );
  }

  /** Retries happen on their own, and realtime sessions change without events: look again meanwhile. */
  function scheduleDeliveryPoll() {
    clearTimeout(pollTimer);
    if (state.deliveries.some((d) => d.status === 'pending' || d.status === 'running')) {
      pollTimer = setTimeout(() => refresh('deliveries'), 1000);
    } else if (state.realtime.length) {
      pollTimer = setTimeout(() => refresh('deliveries'), 3000);
    }
  }

  /** The "next retry in N s" texts, brought up to date in place. */
  function tickNextRetries() {
    for (const el of document.querySelectorAll('.delivery-next[data-at]')) {
      const at = Number(el.dataset.at);
      el.textContent = `next retry ${clock(at, true)} (${relative(at)})`;
    }
  }

  function renderDelivery(delivery) {
    const hook = state.hooks.find((candidate) => candidate.id === delivery.hook_id);
    return h(
      'article',
      { class: `delivery status-${delivery.status}`, dataset: { deliveryId: delivery.id, status: delivery.status, hookId: delivery.hook_id } },
      h(
        'header',
        { class: 'delivery-header' },
        h('span', { class: `delivery-status status-${delivery.status}` }, delivery.status),
        apiBadge(delivery.api),
        h('span', { class: 'delivery-hook', title: delivery.hook_id }, hook ? hook.name || hook.id : delivery.hook_id),
        h('span', { class: 'delivery-event muted' }, delivery.event),
        timeEl(delivery.created_at, 'delivery-time', true),
      ),
      h('div', { class: 'delivery-url' }, h('code', {}, delivery.url)),
      h(
        'div',
        { class: 'delivery-meta muted' },
        h('span', { class: 'delivery-attempts' }, `attempts ${delivery.attempts}/${delivery.max_attempts}`),
        delivery.next_attempt_at && (delivery.status === 'pending' || delivery.status === 'running')
          ? h(
              'span',
              { class: 'delivery-next', title: new Date(delivery.next_attempt_at).toLocaleString(), dataset: { at: delivery.next_attempt_at } },
              `next retry ${clock(delivery.next_attempt_at, true)} (${relative(delivery.next_attempt_at)})`,
            )
          : null,
      ),
      details(`request-${delivery.id}`, `Request body (${delivery.content_type || 'no type'})`, h('pre', { class: 'delivery-request-body' }, pretty(delivery.request_body))),
      delivery.attempt_log && delivery.attempt_log.length
        ? h('ol', { class: 'attempts' }, delivery.attempt_log.map((attempt) => renderAttempt(delivery, attempt)))
        : h('p', { class: 'muted no-attempts' }, 'No attempt yet.'),
    );
  }

  function renderAttempt(delivery, attempt) {
    const code = attempt.status_code;
    const ok = code !== undefined && code !== null && code >= 200 && code < 300 && !attempt.error;
    return h(
      'li',
      { class: `attempt ${ok ? 'ok' : 'bad'}`, dataset: { attemptNumber: attempt.number } },
      h(
        'div',
        { class: 'attempt-line' },
        h('span', { class: 'attempt-number' }, `#${attempt.number}`),
        h('span', { class: `attempt-status-code ${ok ? 'ok' : 'bad'}` }, code === undefined || code === null ? 'no answer' : String(code)),
        h('span', { class: 'attempt-duration muted' }, `${attempt.duration_ms} ms`),
        timeEl(attempt.started_at, 'attempt-time', true),
        attempt.url !== delivery.url ? h('code', { class: 'attempt-url' }, attempt.url) : null,
      ),
      attempt.error ? h('div', { class: 'attempt-error' }, attempt.error) : null,
      attempt.response_excerpt
        ? details(`response-${delivery.id}-${attempt.number}`, 'Response', h('pre', { class: 'attempt-response' }, pretty(attempt.response_excerpt)))
        : null,
      attempt.request_body && attempt.request_body !== delivery.request_body
        ? details(`attempt-request-${delivery.id}-${attempt.number}`, 'Request body', h('pre', { class: 'attempt-request-body' }, pretty(attempt.request_body)))
        : null,
    );
  }

  // ---- Chaos -------------------------------------------------------------------

  function hookName(id) {
    if (id === '*') return 'every incoming webhook';
    const hook = state.hooks.find((candidate) => candidate.id === id);
    return hook ? `${hook.name || hook.id} (${API_NAMES[hook.api] || hook.api})` : id;
  }

  function renderChaos() {
    const panel = $('#panel-chaos');
    const { rules = [], answers = [] } = state.chaos || {};
    const badge = $('#chaos-count');
    badge.textContent = rules.length ? String(rules.length) : '';
    badge.classList.toggle('alert', rules.length > 0);
    const editor = h('textarea', { id: 'chaos-json', class: 'chaos-json', rows: 6, spellcheck: 'false', 'aria-label': 'Chaos rules (JSON)' });
    editor.value = JSON.stringify({ rules }, null, 2);
    const keep = $('#chaos-json');
    if (keep && document.activeElement === keep) editor.value = keep.value;
    panel.replaceChildren(
      h('h3', {}, 'Rules'),
      rules.length
        ? h(
            'table',
            { class: 'chaos-rules' },
            h('thead', {}, h('tr', {}, ['hook', 'fails', 'status', 'Retry-After', 'latency'].map((t) => h('th', {}, t)))),
            h(
              'tbody',
              {},
              rules.map((rule) =>
                h(
                  'tr',
                  { class: 'chaos-rule', dataset: { hook: rule.hook } },
                  h('td', { title: rule.hook }, hookName(rule.hook)),
                  h('td', {}, `${rule.probability}%`),
                  h('td', {}, rule.status ?? 503),
                  h('td', {}, rule.retry_after === undefined || rule.retry_after === null ? '—' : `${rule.retry_after} s`),
                  h('td', {}, `${rule.latency_ms || 0} ms`),
                ),
              ),
            ),
          )
        : h('p', { class: 'empty' }, 'Chaos is off: every incoming webhook is answered normally.'),
      details(
        'chaos-editor',
        'Edit rules',
        h('p', { class: 'muted' }, 'A rule per hook id, or "*" for every incoming webhook: probability 0–100, status, retry_after (s), latency_ms.'),
        editor,
        h(
          'div',
          { class: 'buttons' },
          h('button', { type: 'button', id: 'chaos-apply', onclick: () => setChaos(editor.value) }, 'Apply'),
          h('button', { type: 'button', id: 'chaos-off', onclick: () => setChaos('{"rules":[]}') }, 'Turn chaos off'),
        ),
      ),
      h('h3', {}, 'Recent chaos answers', h('span', { class: 'count' }, answers.length)),
      answers.length
        ? h(
            'ol',
            { class: 'chaos-answers' },
            answers.map((answer) =>
              h(
                'li',
                { class: 'chaos-answer', dataset: { hookId: answer.hook_id, status: answer.status } },
                timeEl(answer.at, 'chaos-time', true),
                h('span', { class: 'chaos-status' }, answer.status),
                apiBadge(answer.api),
                h('span', { class: 'chaos-hook', title: answer.hook_id }, hookName(answer.hook_id)),
              ),
            ),
          )
        : h('p', { class: 'empty' }, 'No chaos answer yet.'),
    );
  }

  async function setChaos(text) {
    let body;
    try {
      body = JSON.parse(text);
      if (Array.isArray(body)) body = { rules: body };
    } catch (e) {
      toast(`Not JSON: ${e.message}`, 'error');
      return;
    }
    try {
      state.chaos = await api('/chaos', { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      renderChaos();
      toast(body.rules && body.rules.length ? 'Chaos rules applied' : 'Chaos is off');
    } catch (e) {
      toast(e.message, 'error');
    }
  }

  // ---- Acting as a user: the composer, buttons, dialogs ----------------------
  //
  // Everything here goes through the test API's acts (`/act/post`,
  // `/act/command`, `/act/action`, `/dialogs`), which check and do what the
  // chat APIs would for that user; each answers an exchange (posts made or
  // changed, messages only the user sees, dialogs opened). Refusals keep the
  // API's status and reason and are shown in the composer.

  const ACTOR_KEY = 'chathooks.actor';
  /** Ephemeral messages kept on the page (never stored by the server). */
  const EPHEMERAL_LIMIT = 100;
  const ephemeralIds = new Set();

  function actorUser() {
    return state.users.find((u) => u.username === state.actor) || null;
  }

  function setActor(username) {
    if (username === state.actor) {
      renderComposerTargets();
      return;
    }
    state.actor = username;
    try {
      if (username) localStorage.setItem(ACTOR_KEY, username);
    } catch {
      // storage refused: the choice lasts for this page
    }
    // Another user sees neither this one's dialog nor its ephemeral messages.
    closeDialog();
    renderComposerTargets();
    renderMessages();
    refresh('dialogs');
  }

  function userLabel(user) {
    const name = user.display_name ? ` (${user.display_name})` : '';
    return `@${user.username}${name}${user.is_bot ? ' · bot' : ''}${user.system_admin ? ' · admin' : ''}`;
  }

  function renderComposerTargets() {
    const users = $('#composer-user');
    const channels = $('#composer-channel');
    if (!users || !channels) return;
    // A select being used keeps its open list: redraw it only when idle.
    if (document.activeElement !== users) {
      users.replaceChildren(
        ...(state.users.length
          ? state.users.map((user) => h('option', { value: user.username }, userLabel(user)))
          : [h('option', { value: '' }, 'No user')]),
      );
      users.value = state.actor || '';
    }
    if (document.activeElement !== channels) {
      const live = state.channels.filter((c) => !c.archived);
      channels.replaceChildren(
        h('option', { value: '' }, live.length ? 'Pick a channel' : 'No channel'),
        ...live.map((c) => h('option', { value: c.id, dataset: { name: c.name, team: c.team_name } }, `${c.team_name}/${c.name}`)),
      );
      channels.value = !state.search && live.some((c) => c.id === state.selected) ? state.selected : '';
    }
    const ready = Boolean(actorUser() && channels.value);
    $('#composer-send').disabled = !ready;
    $('#composer-text').disabled = !actorUser();
  }

  function composerError(error) {
    const el = $('#composer-error');
    if (!error) {
      el.hidden = true;
      el.replaceChildren();
      return;
    }
    el.hidden = false;
    if (error instanceof ApiError) {
      el.replaceChildren(
        h('span', { class: 'composer-error-status' }, String(error.status)),
        error.code ? h('code', { class: 'composer-error-code' }, error.code) : null,
        h('span', { class: 'composer-error-reason' }, error.reason),
      );
      el.dataset.status = error.status;
      el.dataset.code = error.code;
    } else {
      el.replaceChildren(h('span', { class: 'composer-error-reason' }, error.message || String(error)));
      delete el.dataset.status;
      delete el.dataset.code;
    }
  }

  /** POST a JSON body to the test API (a state change: same-origin page, JSON). */
  function act(path, body) {
    return api(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body ?? {}) });
  }

  /** What an act made happen, shown: the user's ephemeral messages, an opened dialog, fresh posts. */
  function showExchange(exchange, userId) {
    const fresh = (exchange.ephemeral || []).map((message) => ({ message, userId }));
    if (fresh.length) {
      for (const entry of fresh) ephemeralIds.add(entry.message.id);
      state.ephemeral.push(...fresh);
      while (state.ephemeral.length > EPHEMERAL_LIMIT) ephemeralIds.delete(state.ephemeral.shift().message.id);
      scrollPending = true;
      renderMessages();
    }
    const actor = actorUser();
    const opened = (exchange.dialogs_opened || []).find((d) => actor && d.user_id === actor.id);
    if (opened && !state.dialog) showDialog(opened);
    if ((exchange.posts_created || []).length || (exchange.posts_updated || []).length) refresh('messages');
  }

  /** The channel's posts with the actor's ephemeral messages among them, by time. */
  function withEphemeral(messages) {
    const actor = actorUser();
    if (!actor) return messages;
    const mine = state.ephemeral
      .filter((e) => e.userId === actor.id && e.message.channel_id === state.selected)
      .map((e) => e.message);
    if (!mine.length) return messages;
    return [...messages, ...mine].sort((a, b) => a.create_at - b.create_at);
  }

  async function send() {
    const text = $('#composer-text');
    const line = text.value;
    const actor = actorUser();
    const channel = $('#composer-channel').value;
    if (!line.trim() || !actor || !channel) return;
    const command = line.trimStart().startsWith('/');
    const button = $('#composer-send');
    button.disabled = true;
    try {
      const exchange = command
        ? await act('/act/command', { user: actor.username, channel, command: line.trim() })
        : await act('/act/post', { user: actor.username, channel, message: line });
      composerError(null);
      if (text.value === line) text.value = '';
      scrollPending = true;
      showExchange(exchange, actor.id);
    } catch (e) {
      composerError(e);
    } finally {
      button.disabled = false;
      text.focus();
    }
  }

  // -- Buttons and menus of attachments --

  function renderActions(actions, message) {
    const actor = actorUser();
    const disabled = !actor;
    const title = actor ? `Click as @${actor.username}` : 'Pick a user in the composer first';
    return h(
      'div',
      { class: 'attachment-actions' },
      actions.map((action) => {
        const type = action.type === 'select' ? 'select' : 'button';
        if (type === 'button') {
          return h(
            'button',
            {
              type: 'button',
              class: `action-button style-${action.style || 'default'}`,
              title,
              disabled,
              dataset: { actionId: action.id },
              onclick: (event) => click(message, action, null, event.currentTarget),
            },
            action.name || action.id,
          );
        }
        const options = actionOptions(action);
        return h(
          'select',
          {
            class: 'action-select',
            title,
            disabled,
            'aria-label': action.name || action.id,
            dataset: { actionId: action.id },
            onchange: (event) => {
              if (event.target.value) click(message, action, event.target.value, event.target);
            },
          },
          h('option', { value: '' }, action.name || 'Choose…'),
          options.map((option) => h('option', { value: option.value }, option.text)),
        );
      }),
    );
  }

  /** A menu's options: static ones, or the users or channels it names as its source. */
  function actionOptions(action) {
    if (action.data_source === 'users') return state.users.map((u) => ({ text: `@${u.username}`, value: u.id }));
    if (action.data_source === 'channels') return state.channels.map((c) => ({ text: `${c.team_name}/${c.name}`, value: c.id }));
    return (Array.isArray(action.options) ? action.options : [])
      .filter((o) => o && typeof o === 'object')
      .map((o) => ({ text: String(o.text ?? o.value ?? ''), value: String(o.value ?? '') }));
  }

  async function click(message, action, selected, control) {
    const actor = actorUser();
    if (!actor) return;
    control.disabled = true;
    try {
      const body = { user: actor.username, post_id: message.id, action_id: action.id };
      if (selected !== null) body.selected_option = selected;
      const exchange = await act('/act/action', body);
      composerError(null);
      showExchange(exchange, actor.id);
    } catch (e) {
      composerError(e);
    } finally {
      if (control.isConnected) control.disabled = false;
    }
  }

  // -- Dialogs --

  const TEXT_SUBTYPES = ['text', 'email', 'number', 'password', 'tel', 'url'];

  function showDialog(open) {
    state.dialog = { open, errors: {}, error: '', busy: false };
    renderDialog();
    const first = $('#dialog-modal [data-element] input, #dialog-modal [data-element] textarea, #dialog-modal [data-element] select');
    if (first) first.focus();
  }

  function closeDialog() {
    state.dialog = null;
    const modal = $('#dialog-modal');
    if (!modal) return;
    modal.hidden = true;
    modal.replaceChildren();
  }

  function dialogElements(dialog) {
    return (Array.isArray(dialog.elements) ? dialog.elements : []).filter((el) => el && typeof el === 'object' && el.name);
  }

  function renderDialog() {
    const modal = $('#dialog-modal');
    const current = state.dialog;
    if (!current) {
      closeDialog();
      return;
    }
    const dialog = current.open.dialog || {};
    const fields = dialogElements(dialog).map((element) => renderDialogElement(element, current.errors[element.name]));
    const icon = safeImage(dialog.icon_url);
    const form = h(
      'form',
      {
        class: 'dialog',
        id: 'dialog-form',
        novalidate: true,
        role: 'dialog',
        'aria-modal': 'true',
        'aria-labelledby': 'dialog-title',
        dataset: { dialogId: current.open.id, callbackId: dialog.callback_id || null },
        onsubmit: (event) => {
          event.preventDefault();
          submitDialog(form);
        },
        onkeydown: (event) => {
          if (event.key === 'Escape') {
            event.preventDefault();
            cancelDialog();
          }
        },
      },
      h(
        'header',
        { class: 'dialog-header' },
        icon ? h('img', { class: 'dialog-icon', src: icon, alt: '', referrerpolicy: 'no-referrer' }) : null,
        h('h2', { id: 'dialog-title' }, dialog.title || 'Dialog'),
        h('span', { class: 'muted dialog-for' }, `for @${current.open.username}`),
      ),
      current.error ? h('div', { class: 'dialog-error', role: 'alert' }, current.error) : null,
      dialog.introduction_text ? markdown(dialog.introduction_text, 'dialog-intro') : null,
      h('div', { class: 'dialog-fields' }, fields),
      h(
        'footer',
        { class: 'dialog-buttons' },
        h('button', { type: 'button', id: 'dialog-cancel', disabled: current.busy, onclick: cancelDialog }, 'Cancel'),
        h('button', { type: 'submit', id: 'dialog-submit', class: 'primary', disabled: current.busy }, dialog.submit_label || 'Submit'),
      ),
    );
    modal.replaceChildren(form);
    modal.hidden = false;
  }

  function renderDialogElement(element, error) {
    const id = `dialog-el-${element.name}`;
    const optional = Boolean(element.optional);
    const type = String(element.type || 'text');
    const hint = optional ? h('span', { class: 'field-optional muted' }, ' (optional)') : h('span', { class: 'field-required', title: 'required' }, ' *');
    const value = element.default === undefined || element.default === null ? '' : String(element.default);
    let control;
    if (type === 'textarea') {
      control = h('textarea', {
        id,
        name: element.name,
        rows: 4,
        placeholder: element.placeholder || null,
        minlength: element.min_length || null,
        maxlength: element.max_length || null,
      });
      control.value = value;
    } else if (type === 'select') {
      control = h(
        'select',
        { id, name: element.name },
        h('option', { value: '' }, element.placeholder || 'Choose…'),
        actionOptions(element).map((option) => h('option', { value: option.value }, option.text)),
      );
      control.value = value;
    } else if (type === 'bool') {
      control = h(
        'label',
        { class: 'dialog-bool' },
        h('input', { id, name: element.name, type: 'checkbox', checked: value === 'true' }),
        element.placeholder ? ` ${element.placeholder}` : null,
      );
    } else if (type === 'radio') {
      control = h(
        'div',
        { class: 'dialog-radio', role: 'radiogroup', id },
        actionOptions(element).map((option) =>
          h('label', {}, h('input', { type: 'radio', name: element.name, value: option.value, checked: option.value === value }), ` ${option.text}`),
        ),
      );
    } else {
      const subtype = TEXT_SUBTYPES.includes(element.subtype) ? element.subtype : 'text';
      control = h('input', {
        id,
        name: element.name,
        type: subtype,
        placeholder: element.placeholder || null,
        minlength: element.min_length || null,
        maxlength: element.max_length || null,
      });
      control.value = value;
    }
    const limits = [];
    if (element.min_length) limits.push(`at least ${element.min_length}`);
    if (element.max_length) limits.push(`at most ${element.max_length}`);
    return h(
      'div',
      { class: ['dialog-field', error ? 'has-error' : ''].filter(Boolean).join(' '), dataset: { element: element.name, type } },
      h('label', { class: 'dialog-label', for: type === 'radio' || type === 'bool' ? null : id }, element.display_name || element.name, hint),
      control,
      error ? h('div', { class: 'dialog-field-error', role: 'alert' }, error) : null,
      element.help_text ? markdown(element.help_text, 'dialog-help muted') : null,
      limits.length && (type === 'text' || type === 'textarea') ? h('div', { class: 'dialog-limits muted' }, `${limits.join(', ')} characters`) : null,
    );
  }

  /** The form's values by element name, and the errors a client finds before sending (as Mattermost's does). */
  function readDialog(form, dialog) {
    const submission = {};
    const errors = {};
    for (const element of dialogElements(dialog)) {
      const type = String(element.type || 'text');
      let value;
      if (type === 'bool') value = Boolean(form.querySelector(`[name="${CSS.escape(element.name)}"]`)?.checked);
      else if (type === 'radio') value = form.querySelector(`[name="${CSS.escape(element.name)}"]:checked`)?.value ?? '';
      else value = form.querySelector(`[name="${CSS.escape(element.name)}"]`)?.value ?? '';
      if (type !== 'bool') {
        if (value === '') {
          if (!element.optional) errors[element.name] = 'This field is required.';
          if (type === 'select' || type === 'radio') continue;
        } else if (element.min_length && [...value].length < element.min_length) {
          errors[element.name] = `Must be at least ${element.min_length} characters.`;
        } else if (element.max_length && [...value].length > element.max_length) {
          errors[element.name] = `Must be at most ${element.max_length} characters.`;
        } else if (element.subtype === 'number' && type === 'text') {
          const number = Number(value);
          if (!Number.isFinite(number)) errors[element.name] = 'Must be a number.';
          else value = number;
        }
      }
      submission[element.name] = value;
    }
    return { submission, errors };
  }

  /** Keep what the user typed across a redraw (errors come back with the form up). */
  function keepValues(form, submission) {
    for (const [name, value] of Object.entries(submission)) {
      const controls = form.querySelectorAll(`[name="${CSS.escape(name)}"]`);
      for (const control of controls) {
        if (control.type === 'checkbox') control.checked = Boolean(value);
        else if (control.type === 'radio') control.checked = control.value === value;
        else control.value = String(value);
      }
    }
  }

  async function submitDialog(form) {
    const current = state.dialog;
    if (!current || current.busy) return;
    const dialog = current.open.dialog || {};
    const { submission, errors } = readDialog(form, dialog);
    const typed = { ...submission };
    const redraw = () => {
      renderDialog();
      keepValues($('#dialog-form'), typed);
    };
    if (Object.keys(errors).length) {
      current.errors = errors;
      current.error = '';
      redraw();
      return;
    }
    current.busy = true;
    redraw();
    const channel = state.selected && !state.search ? state.selected : undefined;
    try {
      const exchange = await act(`/dialogs/${encodeURIComponent(current.open.id)}/submit`, { submission, channel });
      const answer = exchange.answer || {};
      const fieldErrors = answer.errors && typeof answer.errors === 'object' ? answer.errors : {};
      if (state.dialog !== current) return;
      current.busy = false;
      if (answer.error || Object.keys(fieldErrors).length) {
        // The integration refused: the form stays up with its reasons.
        current.errors = Object.fromEntries(Object.entries(fieldErrors).map(([k, v]) => [k, String(v)]));
        current.error = answer.error ? String(answer.error) : '';
        redraw();
        return;
      }
      closeDialog();
      composerError(null);
      showExchange(exchange, current.open.user_id);
      refresh('dialogs');
    } catch (e) {
      if (state.dialog !== current) return;
      current.busy = false;
      if (e instanceof ApiError && e.code === 'unknown-dialog') {
        closeDialog();
        composerError(e);
        refresh('dialogs');
        return;
      }
      current.error = e instanceof ApiError ? `${e.status} ${e.code}: ${e.reason}` : e.message;
      redraw();
    }
  }

  async function cancelDialog() {
    const current = state.dialog;
    if (!current) return;
    closeDialog();
    try {
      const exchange = await act(`/dialogs/${encodeURIComponent(current.open.id)}/cancel`);
      showExchange(exchange, current.open.user_id);
    } catch (e) {
      // Already gone (expired, answered elsewhere): nothing left to cancel.
      if (!(e instanceof ApiError && e.code === 'unknown-dialog')) composerError(e);
    }
    refresh('dialogs');
  }

  function startComposer() {
    const text = $('#composer-text');
    $('#composer').addEventListener('submit', (event) => {
      event.preventDefault();
      send();
    });
    text.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        send();
      }
    });
    $('#composer-user').addEventListener('change', (event) => setActor(event.target.value || null));
    $('#composer-channel').addEventListener('change', (event) => {
      if (event.target.value) selectChannel(event.target.value);
      renderComposerTargets();
    });
    renderComposerTargets();
  }

  // ---- Tabs, search, reset -----------------------------------------------------

  function showTab(tab) {
    state.tab = tab;
    for (const button of document.querySelectorAll('[data-tab]')) button.setAttribute('aria-selected', String(button.dataset.tab === tab));
    for (const panel of document.querySelectorAll('[data-panel]')) panel.hidden = panel.dataset.panel !== tab;
    refresh(tab);
  }

  let searchTimer = null;

  function onSearch() {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => {
      const text = $('#search').value;
      if (text === state.search) return;
      state.search = text;
      state.messages = [];
      scrollPending = true;
      renderChannels();
      renderChannelHeader();
      refresh('messages');
    }, 200);
  }

  async function reset() {
    if (!confirm('Clear everything? Every message, channel, user, hook and delivery is deleted, then the seed is applied again.')) return;
    try {
      const result = await api('/reset', { method: 'POST' });
      state.selected = null;
      state.messages = [];
      state.openDetails.clear();
      state.ephemeral = [];
      closeDialog();
      for (const key of Object.keys(drawn)) delete drawn[key];
      history.replaceState(null, '', location.pathname);
      const seeded = result.created + result.updated;
      toast(seeded ? `Cleared everything; the seed made ${seeded} object${seeded === 1 ? '' : 's'} again` : 'Cleared everything');
      refreshAll();
    } catch (e) {
      toast(e.message, 'error');
    }
  }

  // ---- Live updates ----------------------------------------------------------

  function setLive(live) {
    const el = $('#live-status');
    el.dataset.state = live;
    el.textContent = { open: 'live', connecting: 'connecting', reconnecting: 'reconnecting', closed: 'offline' }[live] || live;
  }

  function connectLive() {
    const source = new EventSource(EVENTS);
    setLive('connecting');
    source.addEventListener('open', () => setLive('open'));
    // The first event of every connection: whatever happened while away is
    // fetched anew. `resync` (this page fell behind) means the same.
    source.addEventListener('hello', refreshAll);
    source.addEventListener('resync', refreshAll);
    source.addEventListener('post', (event) => {
      const data = JSON.parse(event.data);
      refresh('channels');
      if (state.search || data.channel_id === state.selected) refresh('messages');
      // A new post may have started deliveries.
      refresh('deliveries');
    });
    source.addEventListener('channel', () => {
      refresh('channels');
      refresh('hooks');
    });
    source.addEventListener('delivery', () => refresh('deliveries'));
    source.addEventListener('user', () => refresh('users'));
    source.addEventListener('dialog', (event) => {
      const data = JSON.parse(event.data);
      const actor = actorUser();
      if (actor && data.user_id === actor.id) refresh('dialogs');
    });
    source.addEventListener('chaos', () => refresh('chaos'));
    source.addEventListener('error', () => {
      if (source.readyState === EventSource.CLOSED) {
        setLive('closed');
        setTimeout(connectLive, 3000);
      } else setLive('reconnecting');
    });
  }

  // ---- Start ---------------------------------------------------------------------

  function start() {
    for (const button of document.querySelectorAll('[data-tab]')) button.addEventListener('click', () => showTab(button.dataset.tab));
    $('#search').addEventListener('input', onSearch);
    $('#search-form').addEventListener('submit', (event) => {
      event.preventDefault();
      onSearch();
    });
    $('#reset').addEventListener('click', reset);
    startComposer();
    window.addEventListener('hashchange', () => {
      const id = channelFromHash();
      if (id && id !== state.selected) selectChannel(id);
    });
    renderChannels();
    renderMessages();
    refreshAll();
    connectLive();
    // Hooks and chaos have no events of their own: look again now and then.
    setInterval(() => {
      if (document.hidden) return;
      refresh('hooks');
      if (state.tab === 'chaos') refresh('chaos');
    }, 10000);
    setInterval(tickNextRetries, 1000);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
