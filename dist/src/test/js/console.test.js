// Unit tests of the web console's pure helpers; run by ConsoleAssetsTest with `node --test`.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const c = require(path.join(__dirname, '../../main/resources/dev/understudy/dist/console/console.js'));

test('escapeHtml replaces every markup character and tolerates null', () => {
  assert.equal(c.escapeHtml(`<img src=x onerror="a('1')">&`),
    '&lt;img src=x onerror=&quot;a(&#39;1&#39;)&quot;&gt;&amp;');
  assert.equal(c.escapeHtml(null), '');
  assert.equal(c.escapeHtml(undefined), '');
  assert.equal(c.escapeHtml(42), '42');
});

test('html template escapes interpolations but keeps nested templates', () => {
  const inner = c.html`<b>${'<i>'}</b>`;
  const outer = c.html`<td title="${'"x"'}">${inner}${['<a>', c.html`<br>`]}</td>`;
  assert.equal(outer.rawHtml, '<td title="&quot;x&quot;"><b>&lt;i&gt;</b>&lt;a&gt;<br></td>');
});

test('stateInWords describes master states', () => {
  const peer = { nodeId: 's1', lagRevisions: 3, lastHeartbeatMillisAgo: 1500, address: '10.0.0.2:7443' };
  assert.equal(c.stateInWords({ state: 'ACTIVE_PAIRED', peer }), 'Serving; shadow s1 in sync');
  assert.equal(c.stateInWords({ state: 'ACTIVE_DEGRADED', peer }),
    'Serving; shadow behind or pushes failing (3 revisions behind)');
  assert.equal(c.stateInWords({ state: 'ACTIVE_ALONE', peer: null }), 'Serving alone: no shadow connected');
  assert.match(c.stateInWords({ state: 'DEMOTING' }), /^Handing over/);
});

test('stateInWords describes shadow states with numbers from the peer and sync', () => {
  const peer = { nodeId: 'm1', lagRevisions: 1, lastHeartbeatMillisAgo: 1500, address: '10.0.0.1:7443' };
  assert.equal(c.stateInWords({ state: 'STANDBY', peer }), 'Standing by: in sync with master m1');
  assert.equal(c.stateInWords({ state: 'LAGGING', peer }), 'Connected but behind the master by 1 revision');
  assert.equal(c.stateInWords({ state: 'LAGGING', peer: { ...peer, lagRevisions: 7 } }),
    'Connected but behind the master by 7 revisions');
  assert.equal(c.stateInWords({ state: 'SUSPECT', peer }), 'Master silent for 1500 ms: confirming it is gone');
  assert.equal(c.stateInWords({ state: 'SYNCING', peer, sync: { receivedBytes: 250, totalBytes: 1000 } }),
    'Receiving a full copy of the configuration from master m1: 25%');
  assert.equal(c.stateInWords({ state: 'DETACHED', peer: null }), 'Not attached to a master');
  assert.equal(c.stateInWords({ state: 'CONNECTING', peer }), 'Connecting to the master at 10.0.0.1:7443');
});

test('stateInWords tolerates missing fields', () => {
  assert.equal(c.stateInWords(null), 'State unknown');
  assert.equal(c.stateInWords({}), 'State unknown');
  assert.equal(c.stateInWords({ state: 'LAGGING' }), 'Connected but behind the master');
  assert.equal(c.stateInWords({ state: 'SUSPECT', peer: null }), 'Master silent: confirming it is gone');
  assert.equal(c.stateInWords({ state: 'SYNCING', sync: { receivedBytes: 5, totalBytes: 0 } }),
    'Receiving a full copy of the configuration from master unknown');
  assert.equal(c.stateInWords({ state: 'SOMETHING_NEW' }), 'State SOMETHING_NEW');
});

test('relativeAge', () => {
  const now = Date.parse('2026-11-21T12:00:00Z');
  assert.equal(c.relativeAge('2026-11-21T11:59:58Z', now), 'just now');
  assert.equal(c.relativeAge('2026-11-21T11:59:30Z', now), '30 s ago');
  assert.equal(c.relativeAge('2026-11-21T11:57:00Z', new Date(now)), '3 min ago');
  assert.equal(c.relativeAge('2026-11-21T09:00:00Z', now), '3 h ago');
  assert.equal(c.relativeAge('2026-11-20T12:00:00Z', now), '1 day ago');
  assert.equal(c.relativeAge('2026-11-11T12:00:00Z', now), '10 days ago');
  assert.equal(c.relativeAge('2026-11-21T12:10:00Z', now), 'in the future (clock skew?)');
  assert.equal(c.relativeAge(null, now), 'unknown');
  assert.equal(c.relativeAge('not a time', now), 'unknown');
});

test('sortAlerts puts active alerts first by severity, resolved last, newest first', () => {
  const a = (id, severity, resolved, lastSeen) => ({ id, severity, resolved, lastSeen });
  const sorted = c.sortAlerts([
    a('r-err', 'ERROR', true, '2026-11-21T12:00:00Z'),
    a('info', 'INFO', false, '2026-11-21T12:00:00Z'),
    a('err-old', 'ERROR', false, '2026-11-21T10:00:00Z'),
    a('warn', 'WARNING', false, '2026-11-21T12:00:00Z'),
    a('err-new', 'ERROR', false, '2026-11-21T11:00:00Z'),
    a('r-info', 'INFO', true, '2026-11-21T13:00:00Z')
  ]).map((x) => x.id);
  assert.deepEqual(sorted, ['err-new', 'err-old', 'warn', 'info', 'r-info', 'r-err']);
  assert.equal(c.activeErrorCount([a('1', 'ERROR', false), a('2', 'ERROR', true), a('3', 'WARNING', false)]), 1);
});

test('mappingValue and writeResult', () => {
  assert.deepEqual(c.mappingValue({ id: 'x', listenHost: ' ', listenPort: '8080', backendHost: ' b ', backendPort: '80', description: '' }),
    { listenHost: '0.0.0.0', listenPort: 8080, backendHost: 'b', backendPort: 80 });
  assert.equal(c.mappingValue({ listenPort: '1', backendPort: '2', description: ' web ' }).description, 'web');
  assert.equal(c.writeResult('Mapping x saved', { revision: 12, replicated: true }),
    'Mapping x saved as revision 12 (replicated to shadow)');
  assert.equal(c.writeResult('Mapping x saved', { revision: 13, replicated: false }),
    'Mapping x saved as revision 13 (not yet replicated)');
  assert.equal(c.formatBytes(512), '512 B');
  assert.equal(c.formatBytes(1536), '1.5 KB');
});

test('normalizeStatus accepts the documented shape', () => {
  const st = c.normalizeStatus({
    nodeId: 'm1', role: 'master', state: 'ACTIVE_PAIRED', writable: true,
    peer: { nodeId: 's1' }, settings: { takeoverDelay: 'PT2S' }, replicated: { mappings: 3, users: 1, settings: 0 }
  });
  assert.equal(st.writable, true);
  assert.equal(st.peer.nodeId, 's1');
  assert.deepEqual(st.settings, { takeoverDelay: 'PT2S' });
  assert.deepEqual(st.replicated, { mappings: 3, users: 1, settings: 0 });
  assert.equal(st.sync, null);
});

test('normalizeStatus accepts the runtime shape and treats an empty peer as none', () => {
  const st = c.normalizeStatus({
    nodeId: 'm1', role: 'master', state: 'ACTIVE_ALONE', active: true,
    peer: { nodeId: null, address: null, state: null },
    settings: { scope: 'node-local', values: { takeoverDelay: 'PT2S' } },
    replicated: { scope: 'replicated', revision: 4, collections: { mappings: 2, users: 1, settings: 0 } }
  });
  assert.equal(st.writable, true);
  assert.equal(st.peer, null);
  assert.deepEqual(st.settings, { takeoverDelay: 'PT2S' });
  assert.deepEqual(st.replicated, { mappings: 2, users: 1, settings: 0 });
  assert.equal(c.normalizeStatus({ role: 'shadow', active: true }).writable, false);
  assert.equal(c.normalizeStatus({ role: 'master', active: false }).writable, false);
  assert.equal(c.normalizeStatus(null).writable, false);
});
