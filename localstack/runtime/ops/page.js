// The operations page: polls the snapshot of the local runtime (GET /api/state) and, for a signed-in
// admin, the open dead letters (the order API's GET /admin/dead-letters, through this server).
// Everything is written with textContent: nothing the API returns is parsed as HTML.
const REFRESH_MS = 1000;
const TOKEN_KEY = 'order-saga-ops-token';

const $ = (id) => document.getElementById(id);

/** An element with its class and text, and its children. */
function el(tag, options = {}, ...children) {
  const node = document.createElement(tag);
  if (options.className) node.className = options.className;
  if (options.text !== undefined) node.textContent = String(options.text);
  for (const [name, value] of Object.entries(options.attrs ?? {})) node.setAttribute(name, value);
  for (const child of children) if (child) node.append(child);
  return node;
}

const time = (iso) => (iso ? new Date(iso).toLocaleTimeString() : '');
const ms = (value) => (value === null || value === undefined ? '–' : `${Math.round(value)} ms`);
const money = (total) => (total ? `${(total.amountMinor / 100).toFixed(2)} ${total.currency}` : '–');
const number = (value, unit) =>
  value === null || value === undefined
    ? '–'
    : unit === 'ms'
      ? ms(value)
      : String(Math.round(value * 100) / 100);

function sparkline(values) {
  const svgNs = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(svgNs, 'svg');
  svg.setAttribute('class', 'spark');
  svg.setAttribute('viewBox', '0 0 90 18');
  const present = values.filter((value) => value !== null);
  const max = Math.max(1, ...present);
  const step = values.length > 1 ? 90 / (values.length - 1) : 90;
  const line = document.createElementNS(svgNs, 'polyline');
  line.setAttribute(
    'points',
    values
      .map((value, index) => `${(index * step).toFixed(1)},${(17 - ((value ?? 0) / max) * 16).toFixed(1)}`)
      .join(' '),
  );
  svg.append(line);
  return svg;
}

function renderStatus(byStatus, total) {
  const tiles = [
    el(
      'div',
      { className: 'tile' },
      el('div', { className: 'muted', text: 'all orders' }),
      el('div', { className: 'value', text: total, attrs: { 'data-status': 'ALL' } }),
    ),
  ];
  for (const [status, count] of Object.entries(byStatus)) {
    tiles.push(
      el(
        'div',
        { className: 'tile' },
        el('div', { className: `status ${status}`, text: status }),
        el('div', { className: 'value', text: count, attrs: { 'data-status': status } }),
      ),
    );
  }
  $('by-status').replaceChildren(...tiles);
}

function renderLatency(summary) {
  const tile = (label, value) =>
    el(
      'div',
      { className: 'tile' },
      el('div', { className: 'muted', text: label }),
      el('div', { className: 'value', text: value }),
    );
  $('latency').replaceChildren(
    tile('finished sagas', summary.count),
    tile('p50', ms(summary.p50)),
    tile('p95', ms(summary.p95)),
    tile('p99', ms(summary.p99)),
  );
}

function renderLag(consumers, error) {
  $('lag').replaceChildren(
    ...consumers.map((group) =>
      el(
        'tr',
        { attrs: { 'data-group': group.groupId } },
        el('td', { className: 'mono', text: group.groupId }),
        el('td', { className: 'muted', text: group.topics.map((t) => `${t.topic} ${t.lag}`).join(', ') }),
        el('td', { className: `num${group.lag > 1000 ? ' lag-high' : ''}`, text: group.lag }),
      ),
    ),
  );
  $('lag-error').hidden = !error;
  $('lag-error').textContent = error ? `Consumer lag unavailable: ${error}` : '';
}

function renderOrders(orders) {
  if (orders.length === 0) {
    $('orders').replaceChildren(
      el('tr', {}, el('td', { className: 'muted', text: 'No orders yet.', attrs: { colspan: '6' } })),
    );
    return;
  }
  $('orders').replaceChildren(
    ...orders.map((order) => {
      const history = el('div', { className: 'history' });
      order.history.forEach((entry, index) => {
        if (index > 0) history.append(el('span', { className: 'muted', text: '→' }));
        history.append(
          el('span', {
            className: `status step ${entry.status}`,
            text: entry.status,
            attrs: { title: `${entry.at} ${entry.reason}` },
          }),
          el('span', { className: 'muted step', text: time(entry.at) }),
        );
      });
      return el(
        'tr',
        { attrs: { 'data-order-id': order.orderId, 'data-status': order.status } },
        el('td', { className: 'mono', text: order.orderId }),
        el('td', {}, el('span', { className: `status ${order.status}`, text: order.status })),
        el('td', { text: time(order.createdAt) }),
        el('td', { className: 'num', text: money(order.total) }),
        el('td', { className: 'num', text: ms(order.sagaMs) }),
        el('td', {}, history),
      );
    }),
  );
}

function renderPanels(panels) {
  $('panels').replaceChildren(
    ...panels.map((panel) => {
      const rows = panel.series.length
        ? panel.series.map((series) =>
            el(
              'tr',
              { attrs: { 'data-series': series.label } },
              el('td', { text: series.label }),
              el('td', { className: 'num', text: number(series.value, panel.unit) }),
              el('td', {}, sparkline(series.timeline)),
            ),
          )
        : [
            el(
              'tr',
              {},
              el('td', { className: 'muted', text: 'nothing emitted yet', attrs: { colspan: '3' } }),
            ),
          ];
      return el(
        'div',
        { className: 'panel', attrs: { 'data-panel': panel.title } },
        el('h3', { text: panel.title }),
        el('table', {}, el('tbody', {}, ...rows)),
      );
    }),
  );
}

async function refreshState() {
  try {
    const response = await fetch('/api/state');
    if (!response.ok) throw new Error(`GET /api/state: ${response.status}`);
    const state = await response.json();
    renderStatus(state.orders.byStatus, state.orders.total);
    renderLatency(state.orders.sagaLatencyMs);
    renderLag(state.consumers, state.consumersError);
    renderOrders(state.orders.latest);
    renderPanels(state.panels);
    $('updated').textContent = `updated ${time(state.generatedAt)}`;
  } catch (error) {
    $('updated').textContent = `not updated: ${error.message}`;
  }
}

// Dead letters: only with an admin's ID token, kept for this browser tab only.
const token = () => sessionStorage.getItem(TOKEN_KEY);

function showDeadError(message) {
  $('dead-error').hidden = !message;
  $('dead-error').textContent = message ?? '';
}

function claimsOf(idToken) {
  try {
    const payload = idToken.split('.')[1].replaceAll('-', '+').replaceAll('_', '/');
    return JSON.parse(atob(payload));
  } catch {
    return {};
  }
}

function renderWho() {
  const current = token();
  const claims = current ? claimsOf(current) : {};
  $('who').textContent = current ? `signed in as ${claims.email ?? claims.sub ?? 'a token holder'}` : '';
  $('sign-out').hidden = !current;
}

async function redrive(id, button) {
  button.disabled = true;
  const response = await fetch(`/api/dead-letters/${encodeURIComponent(id)}/redrive`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token()}` },
  });
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    showDeadError(`Redrive of ${id}: ${response.status} ${body.error?.message ?? body.message ?? ''}`);
    button.disabled = false;
    return;
  }
  showDeadError(undefined);
  await refreshDeadLetters();
}

async function refreshDeadLetters() {
  const current = token();
  if (!current) return;
  const response = await fetch('/api/dead-letters?status=OPEN', {
    headers: { authorization: `Bearer ${current}` },
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    showDeadError(`Dead letters: ${response.status} ${body.error?.message ?? body.message ?? ''}`);
    return;
  }
  showDeadError(undefined);
  const items = body.items ?? [];
  if (items.length === 0) {
    $('dead-letters').replaceChildren(
      el('tr', {}, el('td', { className: 'muted', text: 'No open dead letters.', attrs: { colspan: '7' } })),
    );
    return;
  }
  $('dead-letters').replaceChildren(
    ...items.map((item) => {
      const button = el('button', { text: 'Redrive', attrs: { type: 'button', 'data-redrive': item.id } });
      button.addEventListener('click', () => redrive(item.id, button));
      return el(
        'tr',
        { attrs: { 'data-dead-letter': item.id } },
        el('td', { text: time(item.createdAt) }),
        el('td', { text: item.service }),
        el('td', {
          className: 'mono',
          text: `${item.eventType ?? '(unparsed)'} ${item.topic}/${item.partition}@${item.offset}`,
        }),
        el('td', { className: 'mono', text: item.key }),
        el('td', { text: `${item.errorKind}: ${item.errorMessage}` }),
        el('td', { className: 'num', text: item.attempts }),
        el('td', {}, button),
      );
    }),
  );
}

$('sign-in').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const pasted = String(form.get('token') ?? '').trim();
  let idToken = pasted;
  if (!idToken) {
    const response = await fetch('/api/sign-in', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: form.get('email'), password: form.get('password') }),
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      showDeadError(`Sign-in: ${body.message ?? response.status}`);
      return;
    }
    idToken = body.idToken;
  }
  sessionStorage.setItem(TOKEN_KEY, idToken);
  event.target.reset();
  renderWho();
  await refreshDeadLetters();
});

$('sign-out').addEventListener('click', () => {
  sessionStorage.removeItem(TOKEN_KEY);
  renderWho();
  $('dead-letters').replaceChildren(
    el(
      'tr',
      {},
      el('td', {
        className: 'muted',
        text: 'Sign in as an admin to list dead letters.',
        attrs: { colspan: '7' },
      }),
    ),
  );
});

async function loop() {
  await Promise.all([refreshState(), refreshDeadLetters().catch((error) => showDeadError(error.message))]);
  setTimeout(loop, REFRESH_MS);
}

renderWho();
loop();
