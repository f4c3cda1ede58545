/*
 * Understudy web console: status of this node and its peer, alerts, mappings and the role-change log.
 * Plain script, no framework, no build step. Every value from the network reaches the page either
 * through textContent or through the html`` template below, which escapes every interpolation.
 * No inline handlers and no inline styles, so a Content-Security-Policy of default-src 'self' holds.
 * The pure helpers at the top are exported when loaded by node (the unit tests); the rest runs only
 * in a browser.
 */
(function () {
  'use strict';

  // ---------------------------------------------------------------- pure helpers

  /** The text with the five HTML-significant characters replaced by entities; null and undefined become ''. */
  function escapeHtml(value) {
    if (value === null || value === undefined) return '';
    return String(value).replace(/[&<>"']/g, (c) => ({
      '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'
    })[c]);
  }

  /** Marks a string as already-safe markup for html``. */
  function raw(markup) {
    return { rawHtml: markup };
  }

  /** Template tag: escapes every interpolated value except raw() markup; arrays are joined. */
  function html(strings, ...values) {
    const part = (v) => Array.isArray(v) ? v.map(part).join('')
      : (v && typeof v === 'object' && 'rawHtml' in v) ? v.rawHtml : escapeHtml(v);
    return raw(strings.reduce((out, s, i) => out + part(values[i - 1]) + s));
  }

  function plural(n, word) {
    return n + ' ' + word + (n === 1 ? '' : 's');
  }

  /** Percent (0-100, integer) of a full sync received, or null when unknown. */
  function syncPercent(sync) {
    if (!sync || !(sync.totalBytes > 0) || typeof sync.receivedBytes !== 'number') return null;
    return Math.max(0, Math.min(100, Math.floor(sync.receivedBytes * 100 / sync.totalBytes)));
  }

  /** A byte count for people: "512 B", "1.5 KB", "3.2 MB". */
  function formatBytes(n) {
    if (typeof n !== 'number' || !isFinite(n) || n < 0) return '?';
    const units = ['B', 'KB', 'MB', 'GB', 'TB'];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return (i === 0 ? String(n) : n.toFixed(1)) + ' ' + units[i];
  }

  /** What the node is doing, in words an operator understands, from a /api/v1/status body. */
  function stateInWords(status) {
    if (!status || !status.state) return 'State unknown';
    const peer = status.peer || {};
    const peerId = peer.nodeId || 'unknown';
    const lag = peer.lagRevisions;
    const silent = peer.lastHeartbeatMillisAgo;
    switch (status.state) {
      case 'ACTIVE_PAIRED': return 'Serving; shadow ' + peerId + ' in sync';
      case 'ACTIVE_DEGRADED':
        return 'Serving; shadow behind or pushes failing' + (lag > 0 ? ' (' + plural(lag, 'revision') + ' behind)' : '');
      case 'ACTIVE_ALONE': return 'Serving alone: no shadow connected';
      case 'ACTIVE': return 'Serving';
      case 'DEMOTING': return 'Handing over the master role: writes stopped, waiting for the peer to take over';
      case 'STARTING': return 'Starting: checking the peer before serving';
      case 'DETACHED': return 'Not attached to a master';
      case 'CONNECTING': return 'Connecting to the master' + (peer.address ? ' at ' + peer.address : '');
      case 'SYNCING': {
        const pct = syncPercent(status.sync);
        return 'Receiving a full copy of the configuration from master ' + peerId
          + (pct === null ? '' : ': ' + pct + '%');
      }
      case 'STANDBY': return 'Standing by: in sync with master ' + peerId;
      case 'LAGGING':
        return 'Connected but behind the master' + (typeof lag === 'number' ? ' by ' + plural(lag, 'revision') : '');
      case 'SUSPECT':
        return 'Master silent' + (typeof silent === 'number' ? ' for ' + silent + ' ms' : '') + ': confirming it is gone';
      case 'PROMOTING': return 'Taking over as master: raising the epoch before serving';
      default: return 'State ' + status.state;
    }
  }

  const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

  /**
   * The status body in the one shape the page renders. Accepts both the documented fields (writable,
   * settings {name: value}, replicated {mappings, users, settings}) and the richer runtime shape
   * (active, settings {values}, replicated {collections}); a peer without id and address is no peer.
   */
  function normalizeStatus(raw) {
    const st = isObject(raw) ? raw : {};
    const peer = isObject(st.peer) && (st.peer.nodeId || st.peer.address) ? st.peer : null;
    const writable = typeof st.writable === 'boolean' ? st.writable
      : st.role === 'master' && st.active === true;
    const settings = isObject(st.settings) && isObject(st.settings.values) ? st.settings.values
      : (isObject(st.settings) ? st.settings : {});
    const counts = isObject(st.replicated) && isObject(st.replicated.collections) ? st.replicated.collections
      : (isObject(st.replicated) ? st.replicated : null);
    return Object.assign({}, st, {
      peer, writable, settings, replicated: counts, sync: isObject(st.sync) ? st.sync : null
    });
  }

  /** How long ago an ISO-8601 time was, relative to now (a Date or epoch millis): "3 min ago". */
  function relativeAge(iso, now) {
    const then = Date.parse(iso);
    if (!iso || isNaN(then)) return 'unknown';
    const nowMs = now instanceof Date ? now.getTime() : (typeof now === 'number' ? now : Date.now());
    const s = Math.round((nowMs - then) / 1000);
    if (s < 0) return s < -60 ? 'in the future (clock skew?)' : 'just now';
    if (s < 5) return 'just now';
    if (s < 60) return s + ' s ago';
    if (s < 3600) return Math.floor(s / 60) + ' min ago';
    if (s < 86400) return Math.floor(s / 3600) + ' h ago';
    return plural(Math.floor(s / 86400), 'day') + ' ago';
  }

  const SEVERITY_RANK = { ERROR: 0, WARNING: 1, INFO: 2 };

  /** Active alerts first (ERROR, WARNING, INFO, then most recent), then resolved ones, most recent first. */
  function sortAlerts(alerts) {
    const rank = (a) => (SEVERITY_RANK[a.severity] ?? 3);
    const seen = (a) => Date.parse(a.lastSeen) || 0;
    return (alerts || []).slice().sort((a, b) =>
      (!!a.resolved - !!b.resolved)
      || (a.resolved ? 0 : rank(a) - rank(b))
      || (seen(b) - seen(a)));
  }

  /** Unresolved ERROR alerts: the header badge. */
  function activeErrorCount(alerts) {
    return (alerts || []).filter((a) => !a.resolved && a.severity === 'ERROR').length;
  }

  /** The PUT body for a mapping from the form's field values; description left out when blank. */
  function mappingValue(fields) {
    const value = {
      listenHost: (fields.listenHost || '').trim() || '0.0.0.0',
      listenPort: Number(fields.listenPort),
      backendHost: (fields.backendHost || '').trim(),
      backendPort: Number(fields.backendPort)
    };
    const description = (fields.description || '').trim();
    if (description) value.description = description;
    return value;
  }

  /** Text after a successful write: "saved as revision 12 (replicated to shadow)". */
  function writeResult(verb, body) {
    const rev = body && typeof body.revision === 'number' ? ' as revision ' + body.revision : '';
    return verb + rev + (body && body.replicated ? ' (replicated to shadow)' : ' (not yet replicated)');
  }

  const helpers = {
    escapeHtml, html, raw, normalizeStatus, stateInWords, relativeAge, syncPercent, formatBytes,
    sortAlerts, activeErrorCount, mappingValue, writeResult
  };
  if (typeof module !== 'undefined' && module.exports) {
    module.exports = helpers;
    return;
  }

  // ---------------------------------------------------------------- browser part

  const REFRESH_MS = 2000;
  const TYPING_PAUSE_MS = 5000;
  // Where earlier versions kept base64(user:password): removed on load, never written again.
  const LEGACY_CREDENTIALS_KEY = 'understudy.credentials';
  const $ = (id) => document.getElementById(id);

  let timer = null;
  // The login lives only in this variable: not in web storage (readable by any script
  // of the origin and kept across reloads) and never offered to the browser's own credential cache
  // (the server sends no WWW-Authenticate). A reload or a closed tab means signing in again.
  let basicCredentials = null;
  let lastTyping = 0;
  let lastStatus = null;
  let lastMappings = {};
  let editing = null; // id of the mapping being edited, or null when adding
  const rendered = {}; // element id -> markup last written, so an unchanged refresh touches nothing

  class AuthError extends Error {}
  class ApiError extends Error {
    constructor(status, message, body) { super(message); this.status = status; this.body = body; }
  }

  function credentials() {
    return basicCredentials;
  }

  function encodeCredentials(user, password) {
    const bytes = new TextEncoder().encode(user + ':' + password);
    return btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join(''));
  }

  async function api(method, path, body) {
    // X-Requested-With marks the console's own requests (its failed logins are logged as the console's).
    const headers = {
      Authorization: 'Basic ' + credentials(), Accept: 'application/json', 'X-Requested-With': 'XMLHttpRequest'
    };
    // the server takes POST, PUT and DELETE only as JSON (what a foreign page cannot send without asking)
    if (method !== 'GET') headers['Content-Type'] = 'application/json';
    const res = await fetch(path, {
      method, headers, cache: 'no-store', credentials: 'omit',
      body: body === undefined ? undefined : JSON.stringify(body)
    });
    if (res.status === 401) throw new AuthError('wrong user or password');
    if (res.status === 429) {
      let why = null;
      try { why = (await res.json()).error; } catch (e) { why = null; }
      throw new AuthError(why || 'too many failed logins from this address; wait and try again');
    }
    let data = null;
    try { data = await res.json(); } catch (e) { data = null; }
    if (!res.ok) {
      const msg = (data && data.error) || ('HTTP ' + res.status + ' on ' + method + ' ' + path);
      throw new ApiError(res.status, msg, data);
    }
    return data;
  }

  function setHtml(id, markup) {
    if (rendered[id] === markup.rawHtml) return;
    rendered[id] = markup.rawHtml;
    $(id).innerHTML = markup.rawHtml;
  }

  function timeCell(iso) {
    return html`<td><time datetime="${iso}" title="${iso}">${relativeAge(iso, Date.now())}</time></td>`;
  }

  // ---- status

  function field(label, value) {
    const shown = value === null || value === undefined || value === '' ? '—' : value;
    return html`<dt>${label}</dt><dd>${shown}</dd>`;
  }

  function renderStatus(st) {
    const peer = st.peer;
    const pct = st.state === 'SYNCING' ? syncPercent(st.sync) : null;
    const sync = st.sync && st.state === 'SYNCING' ? html`
      <div class="sync">
        <progress max="100" value="${pct === null ? 0 : pct}" aria-label="Full sync progress">${pct ?? 0}%</progress>
        <span class="muted">${formatBytes(st.sync.receivedBytes)} of ${formatBytes(st.sync.totalBytes)}${
          st.sync.reason ? ' — ' + st.sync.reason : ''}</span>
      </div>` : '';
    const rep = st.replicated || {};
    const settings = Object.entries(st.settings || {}).sort(([a], [b]) => a.localeCompare(b));
    const open = $('status-node').querySelector('details[open]') ? raw(' open') : '';
    const thisNode = html`
      <article class="card">
        <h3>This node <span class="role role-${st.role}">${st.role || 'unknown role'}</span></h3>
        <p class="words state-${st.state}">${stateInWords(st)}</p>${sync}
        <dl>
          ${field('Node', st.nodeId)}${field('State', st.state)}${field('Epoch', st.epoch)}
          ${field('Revision', st.revision)}${field('Config hash', st.configHash)}
          ${field('Writable', st.writable === undefined ? null : (st.writable ? 'yes' : 'no'))}
          ${field('Replicated', st.replicated ? plural(rep.mappings ?? 0, 'mapping') + ', ' + plural(rep.users ?? 0, 'user')
            + ', ' + plural(rep.settings ?? 0, 'setting') : null)}
        </dl>
        ${settings.length ? html`<details${open}><summary>Node-local settings</summary><dl>${
          settings.map(([k, v]) => field(k, typeof v === 'string' ? v : JSON.stringify(v)))}</dl></details>` : ''}
      </article>`;
    const peerCard = peer ? html`
      <article class="card">
        <h3>Peer <span class="role">${st.role === 'master' ? 'shadow' : 'master'}</span></h3>
        <dl>
          ${field('Node', peer.nodeId)}${field('Address', peer.address)}${field('State', peer.state)}
          ${field('Revision', peer.revision)}
          ${field('Lag', typeof peer.lagRevisions === 'number' ? plural(peer.lagRevisions, 'revision') : null)}
          ${field('Last heartbeat', typeof peer.lastHeartbeatMillisAgo === 'number'
            ? peer.lastHeartbeatMillisAgo + ' ms ago' : null)}
          ${field('Connected', peer.connected === undefined ? null : (peer.connected ? 'yes' : 'no'))}
          ${st.role === 'master' ? html`${field('Connected since', peer.connectedSince)}${
            field('Seen from host', peer.seenFromHost)}${field('Last successful push', peer.lastSuccessfulPush)}` : ''}
        </dl>
      </article>` : html`
      <article class="card"><h3>Peer</h3><p class="muted">No peer connected.</p></article>`;
    // Two targets: the peer's heartbeat age changes every refresh, this node's card rarely does.
    setHtml('status-node', thisNode);
    setHtml('status-peer', peerCard);
    $('node-title').textContent = (st.nodeId || '') + (st.role ? ' · ' + st.role : '') + (st.epoch !== undefined ? ' · epoch ' + st.epoch : '');
  }

  // ---- alerts

  function renderAlerts(alerts) {
    const rows = sortAlerts(alerts).map((a) => html`
      <tr class="${a.resolved ? 'resolved' : 'sev-' + a.severity}">
        <td><span class="sev">${a.severity}</span>${a.resolved ? html` <span class="tag">resolved</span>` : ''}</td>
        <td>${a.category}</td>
        <td class="message">${a.message}</td>
        ${timeCell(a.firstSeen)}${timeCell(a.lastSeen)}
        <td class="num">${a.count}</td>
        <td>${a.acknowledged ? html`<span class="muted">acknowledged</span>`
          : html`<button type="button" class="small" data-ack="${a.id}">Acknowledge</button>`}</td>
      </tr>`);
    setHtml('alerts-body', rows.length ? html`${rows}`
      : html`<tr><td colspan="7" class="muted">No alerts.</td></tr>`);
    const errors = activeErrorCount(alerts);
    $('error-badge').hidden = errors === 0;
    $('error-badge').textContent = plural(errors, 'error');
  }

  // ---- mappings

  function canWrite(st) {
    return !!st && st.role === 'master' && st.writable === true;
  }

  /** A "bind failed" note for a mapping this node cannot listen for (from status dataPlane.mappings). */
  function bindFailure(st, id) {
    const all = st && isObject(st.dataPlane) && Array.isArray(st.dataPlane.mappings) ? st.dataPlane.mappings : [];
    const m = all.find((x) => x.id === id && x.state === 'bind failed');
    return m ? html`<div class="bind-failed" role="alert"><strong>bind failed:</strong> ${m.error}</div>` : '';
  }

  function renderMappings(mappings, st) {
    const writable = canWrite(st);
    const entries = Object.entries(mappings || {}).sort(([a], [b]) => a.localeCompare(b));
    const rows = entries.map(([id, m]) => html`
      <tr>
        <td>${id}</td>
        <td>${m.listenHost}:${m.listenPort}</td>
        <td>${m.backendHost}:${m.backendPort}</td>
        <td>${m.description}${bindFailure(st, id)}</td>
        <td class="actions">${writable ? html`
          <button type="button" class="small secondary" data-edit="${id}">Edit</button>
          <button type="button" class="small danger" data-remove="${id}">Remove</button>` : ''}</td>
      </tr>`);
    setHtml('mappings-body', rows.length ? html`${rows}`
      : html`<tr><td colspan="5" class="muted">No mappings.</td></tr>`);
    const marker = $('mirrored');
    if (st && st.role === 'shadow') {
      marker.textContent = 'mirrored from master ' + ((st.peer && st.peer.nodeId) || 'unknown') + ' (read-only)';
    } else if (st && st.role === 'master' && !writable) {
      marker.textContent = 'read-only while ' + st.state;
    }
    marker.hidden = writable || !st;
    $('mapping-form').hidden = !writable;
  }

  // ---- role-change log

  function renderEvents(events) {
    const rows = (events || []).slice().reverse().map((e) => html`
      <tr>${timeCell(e.time)}
        <td>${e.from || '—'} → ${e.to || '—'}</td>
        <td class="num">${e.epoch}</td>
        <td>${e.reason}</td>
      </tr>`);
    setHtml('events-body', rows.length ? html`${rows}`
      : html`<tr><td colspan="4" class="muted">No role changes yet.</td></tr>`);
  }

  // ---- refresh loop

  function typing() {
    const form = $('mapping-form');
    return !form.hidden && form.contains(document.activeElement) && Date.now() - lastTyping < TYPING_PAUSE_MS;
  }

  function showProblems(errors) {
    const lost = errors.some((e) => !(e instanceof ApiError));
    const since = $('last-updated').dataset.time;
    const what = errors.map((e) => e.message || String(e)).filter((m, i, all) => all.indexOf(m) === i).join('; ');
    const banner = $('connection-lost');
    banner.textContent = (lost ? 'Connection lost: ' : 'Some data could not be loaded: ') + what
      + '. Retrying every ' + REFRESH_MS / 1000 + ' s' + (since ? '; the data below is from ' + since + '.' : '.');
    banner.hidden = false;
  }

  async function refresh() {
    if (!credentials()) return;
    if (typing()) {
      $('last-updated').textContent = 'paused while editing';
      return;
    }
    // Each part is loaded and shown on its own, so one failing endpoint does not blank the others.
    const results = await Promise.allSettled([
      api('GET', '/api/v1/status'),
      api('GET', '/api/v1/alerts?all=true'),
      api('GET', '/api/v1/config/mappings'),
      api('GET', '/api/v1/events?limit=50')
    ]);
    const errors = results.filter((r) => r.status === 'rejected').map((r) => r.reason);
    const authError = errors.find((e) => e instanceof AuthError);
    if (authError) {
      logout(authError.message);
      return;
    }
    const [st, alerts, mappings, events] = results.map((r) => r.status === 'fulfilled' ? r.value : undefined);
    if (results.some((r) => r.status === 'fulfilled')) showApp();
    if (st !== undefined) {
      lastStatus = normalizeStatus(st);
      renderStatus(lastStatus);
    }
    if (alerts !== undefined) renderAlerts(alerts);
    if (mappings !== undefined) lastMappings = mappings || {};
    if (mappings !== undefined || st !== undefined) renderMappings(lastMappings, lastStatus);
    if (events !== undefined) renderEvents(events);
    if (errors.length) {
      showProblems(errors);
      return;
    }
    const now = new Date().toLocaleTimeString([], { hour12: false });
    $('last-updated').dataset.time = now;
    $('last-updated').textContent = 'last updated ' + now;
    $('connection-lost').hidden = true;
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      await refresh();
      if (credentials()) schedule();
    }, REFRESH_MS);
  }

  async function refreshNow() {
    await refresh();
    if (credentials()) schedule();
  }

  // ---- login / logout

  function showApp() {
    $('login').hidden = true;
    $('app').hidden = false;
    $('logout').hidden = false;
  }

  function logout(message) {
    clearTimeout(timer);
    basicCredentials = null;
    for (const id of Object.keys(rendered)) { delete rendered[id]; $(id).textContent = ''; }
    lastStatus = null;
    lastMappings = {};
    $('app').hidden = true;
    $('logout').hidden = true;
    $('error-badge').hidden = true;
    $('connection-lost').hidden = true;
    $('node-title').textContent = '';
    $('last-updated').textContent = '';
    delete $('last-updated').dataset.time;
    $('login').hidden = false;
    $('login-error').textContent = message || '';
    $('login-password').value = '';
    $('login-password').focus();
  }

  // ---- actions

  function showResult(text, isError) {
    const out = $('mapping-result');
    out.textContent = text;
    out.className = 'result ' + (isError ? 'error' : 'ok');
  }

  function errorText(e) {
    if (e instanceof ApiError && e.status === 409 && e.body && e.body.master) {
      return e.message + ' (master: ' + e.body.master + ')';
    }
    return e.message || String(e);
  }

  async function act(action) {
    try {
      await action();
    } catch (e) {
      if (e instanceof AuthError) { logout(e.message); return; }
      showResult(errorText(e), true);
    }
    await refreshNow();
  }

  function resetForm() {
    const form = $('mapping-form');
    form.reset();
    editing = null;
    // The edit is over: without this the refresh right after a save would count as "paused while
    // editing" (focus is still on the submit button) and the table would not show the change for 5 s.
    lastTyping = 0;
    $('m-id').readOnly = false;
    $('mapping-form-title').textContent = 'Add mapping';
    $('mapping-submit').textContent = 'Add mapping';
    $('mapping-cancel').hidden = true;
  }

  function startEdit(id) {
    const m = lastMappings[id];
    if (!m) { showResult('mapping ' + id + ' no longer exists', true); return; }
    editing = id;
    $('m-id').value = id;
    $('m-id').readOnly = true;
    $('m-listen-host').value = m.listenHost || '0.0.0.0';
    $('m-listen-port').value = m.listenPort ?? '';
    $('m-backend-host').value = m.backendHost || '';
    $('m-backend-port').value = m.backendPort ?? '';
    $('m-description').value = m.description || '';
    $('mapping-form-title').textContent = 'Edit mapping ' + id;
    $('mapping-submit').textContent = 'Save changes';
    $('mapping-cancel').hidden = false;
    $('mapping-result').textContent = '';
    $('m-listen-port').focus();
  }

  function wire() {
    $('login-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      basicCredentials = encodeCredentials($('login-user').value, $('login-password').value);
      $('login-password').value = '';
      $('login-error').textContent = '';
      refreshNow();
    });
    $('logout').addEventListener('click', () => logout(''));

    $('alerts-body').addEventListener('click', (ev) => {
      const btn = ev.target.closest('button[data-ack]');
      if (!btn) return;
      btn.disabled = true;
      act(() => api('POST', '/api/v1/alerts/' + encodeURIComponent(btn.dataset.ack) + '/ack'));
    });

    $('mappings-body').addEventListener('click', (ev) => {
      const edit = ev.target.closest('button[data-edit]');
      const remove = ev.target.closest('button[data-remove]');
      if (edit) startEdit(edit.dataset.edit);
      if (remove) {
        const id = remove.dataset.remove;
        if (!window.confirm('Remove mapping ' + id + '?')) return;
        act(async () => {
          const body = await api('DELETE', '/api/v1/config/mappings/' + encodeURIComponent(id));
          if (editing === id) resetForm();
          showResult(writeResult('Mapping ' + id + ' removed; saved', body), false);
        });
      }
    });

    const form = $('mapping-form');
    form.addEventListener('input', () => { lastTyping = Date.now(); });
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const id = $('m-id').value.trim();
      const value = mappingValue(Object.fromEntries(new FormData(form)));
      act(async () => {
        const body = await api('PUT', '/api/v1/config/mappings/' + encodeURIComponent(id), value);
        resetForm();
        showResult(writeResult('Mapping ' + id + ' saved', body), false);
      });
    });
    $('mapping-cancel').addEventListener('click', () => { resetForm(); $('mapping-result').textContent = ''; });
  }

  try { sessionStorage.removeItem(LEGACY_CREDENTIALS_KEY); } catch (e) { /* storage disabled: nothing kept */ }
  wire();
  logout('');
})();
