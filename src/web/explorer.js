// The explorer page: one account's balances from this server's own API, for a person.
'use strict';
(() => {
  const $ = (id) => document.getElementById(id);
  const form = $('lookup'), chainSel = $('chain'), ownerIn = $('owner'), keyIn = $('apikey');
  const message = $('message'), progress = $('progress'), result = $('result');
  const PAGE = 10;
  let generation = 0;  // a newer lookup cancels the polling of an older one

  keyIn.value = sessionStorage.getItem('creditscope-api-key') || '';
  keyIn.addEventListener('change', () => sessionStorage.setItem('creditscope-api-key', keyIn.value));

  const el = (tag, attrs = {}, ...children) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === 'class') e.className = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v);
    }
    for (const c of children) e.append(c);
    return e;
  };
  const show = (node, on) => { node.hidden = !on; };
  const say = (text) => { message.textContent = text; show(message, !!text); };
  const short = (a) => `${a.slice(0, 8)}…${a.slice(-6)}`;

  // The chain list comes from this server's /openapi.json, so extra configured chains appear.
  async function loadChains() {
    let chains = ['arbitrum', 'base', 'ethereum', 'tempo'];
    try {
      const spec = await (await fetch('/openapi.json')).json();
      const p = spec.paths['/v2/credit/balances'].get.parameters.find((x) => x.name === 'chain');
      chains = p.schema.enum;
    } catch (e) { /* keep the seed's four */ }
    chainSel.replaceChildren(...chains.map((c) => el('option', { value: c }, c)));
  }

  function fromUrl() {
    const q = new URLSearchParams(location.search);
    if (q.get('chain')) chainSel.value = q.get('chain');
    ownerIn.value = q.get('owner') || '';
    return !!q.get('owner');
  }

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const q = new URLSearchParams({ chain: chainSel.value, owner: ownerIn.value.trim() });
    if (location.search !== `?${q}`) history.pushState(null, '', `?${q}`);
    lookup();
  });
  window.addEventListener('popstate', () => { if (fromUrl()) lookup(); else clear(); });

  function clear() { say(''); show(progress, false); show(result, false); }

  async function lookup() {
    const mine = ++generation;
    clear();
    const q = new URLSearchParams({ chain: chainSel.value, owner: ownerIn.value.trim(), spam: 'flag' });
    const headers = keyIn.value ? { 'x-api-key': keyIn.value } : {};
    for (;;) {
      let res, body;
      try {
        res = await fetch(`/v2/credit/balances?${q}`, { headers });
        body = await res.json();
      } catch (e) {
        if (mine === generation) say(`The server could not be reached (${e.message}).`);
        return;
      }
      if (mine !== generation) return;
      if (res.ok) {
        show(progress, false);
        render(body, res.headers.get('X-Block-Number'));
        return;
      }
      if (res.status === 503 && 'progress' in body) {  // the account's history is being indexed
        showProgress(body);
        const wait = Math.min(Number(res.headers.get('Retry-After')) || 1, 2);
        await new Promise((r) => setTimeout(r, wait * 1000));
        if (mine !== generation) return;
        continue;
      }
      show(progress, false);
      say(explain(res.status, body));
      return;
    }
  }

  function explain(status, body) {
    if (status === 422 && Array.isArray(body.detail)) return body.detail.map((d) => d.msg).join('; ');
    if (status === 401) return 'The server needs an API key: enter it above (it is kept for this tab only).';
    if (status === 429) return 'Too many requests: wait a moment and try again.';
    if (typeof body.detail === 'string') return body.detail;
    return `The server answered ${status}.`;
  }

  function showProgress(s) {
    show(progress, true);
    const known = s.state === 'backfilling' && s.to_block > 0;
    progress.classList.toggle('indeterminate', !known);
    progress.querySelector('.fill').style.width = known ? `${(s.progress * 100).toFixed(1)}%` : '';
    const eta = s.eta_s == null ? '' : `, about ${s.eta_s} s left`;
    progress.querySelector('.label').textContent = known
      ? `Indexing this account's history: ${(s.progress * 100).toFixed(1)}% (block ${s.scanned_through} of ${s.to_block}${eta})`
      : 'Indexing this account\'s history…';
  }

  function render(answer, block) {
    $('account').textContent = answer.credit_account_address;
    $('block').textContent = block || '?';
    $('total').textContent = answer.total_usd_value == null ? 'unknown' : `$${answer.total_usd_value}`;
    const total = Number(answer.total_usd_value || 0);
    const rows = [], hidden = [];
    for (const [key, t] of Object.entries(answer.balances)) {
      const share = t.usd_value != null && total > 0 ? `${((Number(t.usd_value) / total) * 100).toFixed(1)}%` : '';
      const tr = el('tr', { class: 'token', 'data-token': t.token_address },
        el('td', {}, t.token_symbol), el('td', {}, key), el('td', { class: 'num balance' }, t.balance_formatted),
        el('td', { class: 'num usd' }, t.usd_value == null ? '—' : `$${t.usd_value}`), el('td', { class: 'num' }, share));
      tr.addEventListener('click', () => toggle(tr, t));
      (t.spam && t.spam.flagged ? hidden : rows).push(tr);
    }
    $('tokens').tBodies[0].replaceChildren(...rows);
    const details = $('hidden-tokens');
    details.querySelector('summary').textContent = `hidden: ${hidden.length} token${hidden.length === 1 ? '' : 's'} that look like spam`;
    details.querySelector('tbody').replaceChildren(...hidden);
    show(details, hidden.length > 0);
    show(result, true);
  }

  // A token's detail row: its balance over time and its transfers, a page at a time.
  function toggle(tr, token) {
    const next = tr.nextElementSibling;
    if (next && next.classList.contains('detail')) { next.remove(); return; }
    const cell = el('td', { colspan: '5' });
    cell.append(chart(token), el('div', { class: 'pages' }));
    tr.after(el('tr', { class: 'detail' }, cell));
    page(cell.querySelector('.pages'), token, Math.max(0, Math.ceil(token.transfers.length / PAGE) - 1));
  }

  // A raw amount as the API's *_formatted fields show it: at most 6 fraction digits, cut, no
  // trailing zeros, so the chart's labels read like the table's.
  function units(raw, decimals) {
    const neg = raw < 0n;
    let digits = (neg ? -raw : raw).toString();
    if (decimals > 0) {
      digits = digits.padStart(decimals + 1, '0');
      const fraction = digits.slice(digits.length - decimals).slice(0, 6).replace(/0+$/, '');
      digits = digits.slice(0, digits.length - decimals) + (fraction ? `.${fraction}` : '');
    }
    return (neg ? '-' : '') + digits;
  }

  // The balance after each transfer as a step chart: one step per transfer, in order (many can
  // share a block time, so x is the transfer's position, not its time). The y axis names the
  // highest balance and the floor; the x axis the first and last transfer's time; pointing at the
  // chart reads out the balance there.
  function chart(token) {
    const n = token.transfers.length, decimals = token.token_decimals;
    const scale = 10n ** BigInt(decimals);
    const toNumber = (v) => Number(v / scale) + Number(v % scale) / Number(scale);
    let running = 0n;
    const steps = token.transfers.map((t) => {
      running += t.direction === 'in' ? BigInt(t.amount) : -BigInt(t.amount);
      return running;
    });
    const high = steps.reduce((a, b) => (b > a ? b : a), 0n), low = steps.reduce((a, b) => (b < a ? b : a), 0n);
    const ns = 'http://www.w3.org/2000/svg';
    const svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('viewBox', '0 0 1000 100');
    svg.setAttribute('preserveAspectRatio', 'none');
    // The whole area answers the pointer, not only the line.
    const area = document.createElementNS(ns, 'rect');
    for (const [k, v] of [['width', 1000], ['height', 100], ['fill', 'transparent']]) area.setAttribute(k, v);
    svg.append(area);
    const y0 = toNumber(low), y1 = toNumber(high);
    const sy = (v) => (y1 === y0 ? 50 : 95 - ((toNumber(v) - y0) / (y1 - y0)) * 90);
    if (n) {
      let d = '', last = low;
      steps.forEach((v, i) => { const x = (i / n) * 1000; d += `${x},${sy(last)} ${x},${sy(v)} `; last = v; });
      const line = document.createElementNS(ns, 'polyline');
      line.setAttribute('points', `${d}1000,${sy(last)}`);
      svg.append(line);
    }
    const title = document.createElementNS(ns, 'title');
    title.textContent = `${token.token_symbol} balance after each transfer`;
    svg.append(title);
    const time = (t) => t.block_timestamp.replace('T', ' ').replace('Z', '');
    const readout = el('span', { class: 'readout' });
    const point = (i) => {
      const t = token.transfers[i];
      readout.textContent = `after transfer ${i + 1} of ${n} (${time(t)}, ${t.direction} ${t.amount_formatted}): ` +
        `${units(steps[i], decimals)} ${token.token_symbol}`;
    };
    if (n) {
      svg.addEventListener('mousemove', (e) => {
        const box = svg.getBoundingClientRect();
        point(Math.min(n - 1, Math.max(0, Math.floor(((e.clientX - box.left) / box.width) * n))));
      });
      point(n - 1);
    }
    const yAxis = el('div', { class: 'y' }, el('span', { class: 'high' }, units(high, decimals)), el('span', { class: 'low' }, units(low, decimals)));
    const xAxis = el('div', { class: 'x' }, el('span', { class: 'first' }, n ? time(token.transfers[0]) : ''),
      readout, el('span', { class: 'last' }, n ? time(token.transfers[n - 1]) : ''));
    return el('div', { class: 'chart' }, yAxis, svg, el('span'), xAxis);
  }

  function page(box, token, n) {
    const pages = Math.max(1, Math.ceil(token.transfers.length / PAGE));
    const slice = token.transfers.slice(n * PAGE, (n + 1) * PAGE);
    const table = el('table', { class: 'transfers' },
      el('thead', {}, el('tr', {}, ...['', 'Counterparty', 'Amount', 'Time (UTC)', 'Transaction'].map((h) => el('th', {}, h)))),
      el('tbody', {}, ...slice.map((t) => el('tr', {},
        el('td', { class: t.direction }, t.direction),
        el('td', {}, el('code', { title: t.direction === 'in' ? t.from_address : t.to_address }, short(t.direction === 'in' ? t.from_address : t.to_address))),
        el('td', { class: 'num' }, t.amount_formatted),
        el('td', {}, t.block_timestamp.replace('T', ' ').replace('Z', '')),
        el('td', {}, el('code', { title: t.transaction_hash }, short(t.transaction_hash)))))));
    const pager = el('div', { class: 'pager' },
      el('button', { type: 'button', onclick: () => page(box, token, n - 1) }, 'older'),
      `page ${n + 1} of ${pages} (${token.transfers.length} transfers)`,
      el('button', { type: 'button', onclick: () => page(box, token, n + 1) }, 'newer'));
    if (n === 0) pager.firstChild.disabled = true;
    if (n + 1 >= pages) pager.lastChild.disabled = true;
    box.replaceChildren(pager, table);
  }

  $('copy').addEventListener('click', async () => {
    try { await navigator.clipboard.writeText($('account').textContent); $('copy').textContent = 'copied'; }
    catch (e) { $('copy').textContent = 'select and copy'; }
    setTimeout(() => { $('copy').textContent = 'copy'; }, 1500);
  });

  loadChains().then(() => { if (fromUrl()) lookup(); });
})();
