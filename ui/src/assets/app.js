/*
 * cairn web UI: a single-page application in plain JavaScript.
 *
 * Routing. URLs are <root><dc>/services[/<name>], <root><dc>/nodes[/<node>],
 * <root><dc>/kv/[<folder>/] (a folder), <root><dc>/kv/<key>/edit,
 * <root><dc>/kv/[<folder>/]create, <root><dc>/cluster (gossip members, raft
 * peers); <root> is ui_config.content_path (from the
 * page's cairn-root meta). Links carry data-nav and are followed with
 * history.pushState; popstate re-renders, so back/forward and bookmarks work.
 *
 * Live data. Each view owns one watch: a loop of blocking queries (?index=N
 * &wait=) against one endpoint that re-renders on every answer; errors back
 * off (1s doubling to 30s) and are shown in the status bar. Leaving a view
 * aborts its request, so there is never more than one request in flight.
 * Endpoints without blocking queries (members, raft configuration) are read
 * every 5s, one request at a time; a node's sessions are read again whenever
 * the node's own blocking query answers.
 *
 * KV edits are CAS-safe: an edit saves with ?cas=<ModifyIndex read when the
 * editor opened>; when the store refuses (the key changed meanwhile), the
 * editor warns and offers to load the current value. Creating uses ?cas=0.
 * The value's textarea has a syntax-highlighted copy behind it
 * (assets/highlight.js: JSON, YAML, HCL, chosen automatically or by a selector).
 */
(() => {
  'use strict';
  const ROOT = document.querySelector('meta[name="cairn-root"]').content || '/ui/';
  const main = document.getElementById('main');
  const statusBar = document.getElementById('status');
  const dcSelect = document.getElementById('dc');
  let dc = '';
  let view = null; // {abort: AbortController}

  // ---- helpers ----
  const esc = (s) => String(s == null ? '' : s).replace(/[&<>"']/g,
    (c) => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c]));
  const enc = (s) => s.split('/').map(encodeURIComponent).join('/');
  const url = (...parts) => ROOT + [dc, ...parts].join('/');
  const link = (href, text, attrs = '') => `<a data-nav href="${esc(href)}" ${attrs}>${esc(text)}</a>`;
  const tags = (list) => (list || []).map((t) => `<span class="tag">${esc(t)}</span>`).join('');
  const worst = (counts) => counts.critical ? 'critical' : counts.warning ? 'warning' : 'passing';
  const STATUS = {passing: 'passing', warning: 'warning', critical: 'critical', maintenance: 'critical'};

  function setStatus(msg) { statusBar.textContent = msg || ''; }

  async function api(path, opts = {}) {
    const sep = path.includes('?') ? '&' : '?';
    const res = await fetch('/v1/' + path + (dc ? `${sep}dc=${encodeURIComponent(dc)}` : ''), opts);
    if (!res.ok && res.status !== 404) {
      const text = await res.text();
      throw new Error(`${res.status} ${text.trim() || res.statusText}`);
    }
    return res;
  }

  // One blocking query loop for the current view: render(data, status) on each
  // answer whose index moved.
  function watch(path, render) {
    const ctl = view.abort;
    let index = 0, delay = 1000;
    (async () => {
      while (!ctl.signal.aborted) {
        try {
          const sep = path.includes('?') ? '&' : '?';
          const q = index ? `${sep}index=${index}&wait=60s` : '';
          const res = await api(path + q, {signal: ctl.signal});
          const next = Number(res.headers.get('X-Consul-Index')) || 0;
          const body = res.status === 404 ? null : await res.json();
          if (ctl.signal.aborted) return;
          setStatus('');
          delay = 1000;
          if (!index || next !== index) render(body, res.status);
          index = next < index ? 0 : next; // an index that went back: start over
        } catch (e) {
          if (ctl.signal.aborted) return;
          setStatus(`Live updates interrupted (${e.message}); retrying in ${delay / 1000}s`);
          await new Promise((r) => setTimeout(r, delay));
          delay = Math.min(delay * 2, 30000);
          index = 0;
        }
      }
    })();
  }

  // For endpoints without blocking queries (members, raft): one request at a
  // time, every `ms`, stopped with the view.
  function poll(path, render, ms = 5000) {
    const ctl = view.abort;
    (async () => {
      while (!ctl.signal.aborted) {
        try {
          const res = await api(path, {signal: ctl.signal});
          const body = await res.json();
          if (ctl.signal.aborted) return;
          render(body);
        } catch (e) {
          if (ctl.signal.aborted) return;
          setStatus(`Cannot read ${path}: ${e.message}`);
        }
        await new Promise((r) => setTimeout(r, ms));
      }
    })();
  }

  // ---- routing ----
  function navigate(href, replace) {
    if (replace) history.replaceState(null, '', href); else history.pushState(null, '', href);
    route();
  }

  document.addEventListener('click', (ev) => {
    const a = ev.target.closest('a[data-nav]');
    if (!a || ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.button !== 0) return;
    ev.preventDefault();
    navigate(a.getAttribute('href'));
  });
  window.addEventListener('popstate', route);
  dcSelect.addEventListener('change', () => navigate(ROOT + dcSelect.value + '/services'));

  function route() {
    if (view) view.abort.abort();
    view = {abort: new AbortController()};
    setStatus('');
    let rest = location.pathname.startsWith(ROOT) ? location.pathname.slice(ROOT.length) : '';
    const parts = rest.split('/');
    if (!parts[0]) return navigate(ROOT + dc + '/services', true);
    dc = decodeURIComponent(parts[0]);
    if (dcSelect.value !== dc) {
      if (![...dcSelect.options].some((o) => o.value === dc)) dcSelect.add(new Option(dc, dc));
      dcSelect.value = dc;
    }
    const section = parts[1] || '';
    const arg = parts.slice(2).map(decodeURIComponent).join('/');
    for (const s of ['services', 'nodes', 'kv', 'cluster']) {
      const a = document.getElementById('nav-' + s);
      a.href = url(s) + (s === 'kv' ? '/' : '');
      a.classList.toggle('active', s === section);
      if (s === section) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
    }
    if (section === 'services') return arg ? serviceView(arg) : servicesView();
    if (section === 'nodes') return arg ? nodeView(arg) : nodesView();
    if (section === 'cluster') return clusterView();
    if (section === 'kv') {
      if (arg === 'create' || arg.endsWith('/create')) return kvEditor(arg.slice(0, -'create'.length), null);
      if (arg.endsWith('/edit')) return kvEditor(null, arg.slice(0, -'/edit'.length));
      return kvFolder(arg.endsWith('/') || !arg ? arg : arg + '/');
    }
    return navigate(url('services'), true);
  }

  function page(title, html) {
    document.title = `${title} - cairn`;
    main.innerHTML = `<h1>${esc(title)}</h1>${html}`;
  }

  // ---- services ----
  function servicesView() {
    page('Services', `<div class="toolbar"><input type="search" id="search" aria-label="Search services"
      placeholder="Search by name or tag"><select id="tag" aria-label="Filter by tag"><option value="">All tags</option></select></div>
      <table><thead><tr><th>Service</th><th>Health</th><th>Instances</th><th class="hide-sm">Tags</th></tr></thead>
      <tbody id="rows"><tr><td colspan="4" class="muted">Loading…</td></tr></tbody></table>`);
    let data = [];
    const search = document.getElementById('search');
    const tagSel = document.getElementById('tag');
    const draw = () => {
      const q = search.value.trim().toLowerCase();
      const tag = tagSel.value;
      const all = [...new Set(data.flatMap((s) => s.Tags || []))].sort();
      if (all.join('\n') !== [...tagSel.options].slice(1).map((o) => o.value).join('\n')) {
        tagSel.length = 1;
        all.forEach((t) => tagSel.add(new Option(t, t)));
        tagSel.value = all.includes(tag) ? tag : '';
      }
      const rows = data.filter((s) => (!tag || (s.Tags || []).includes(tag)) && (!q ||
        s.Name.toLowerCase().includes(q) || (s.Tags || []).some((t) => t.toLowerCase().includes(q))));
      document.getElementById('rows').innerHTML = rows.map((s) => {
        const h = worst({critical: s.ChecksCritical, warning: s.ChecksWarning});
        return `<tr data-service="${esc(s.Name)}" data-health="${h}">
          <td><span class="dot ${h}" title="${h}"></span>${link(url('services', enc(s.Name)), s.Name)}</td>
          <td>${s.ChecksPassing ? `<span class="badge passing" title="passing">${s.ChecksPassing}</span>` : ''}${
            s.ChecksWarning ? `<span class="badge warning" title="warning">${s.ChecksWarning}</span>` : ''}${
            s.ChecksCritical ? `<span class="badge critical" title="critical">${s.ChecksCritical}</span>` : ''}</td>
          <td>${s.InstanceCount}</td><td class="hide-sm">${tags(s.Tags)}</td></tr>`;
      }).join('') || '<tr><td colspan="4" class="muted">No services match.</td></tr>';
    };
    search.addEventListener('input', draw);
    tagSel.addEventListener('change', draw);
    watch('internal/ui/services', (body) => { data = body || []; draw(); });
  }

  function checkHtml(c) {
    const st = STATUS[c.Status] || 'critical';
    return `<div class="check" data-check="${esc(c.CheckID)}" data-status="${esc(c.Status)}">
      <span class="dot ${st}"></span><strong>${esc(c.Name || c.CheckID)}</strong>
      <span class="status-text ${st}">${esc(c.Status)}</span>
      ${c.Type ? `<span class="muted">${esc(c.Type)}</span>` : ''}
      ${c.Output ? `<pre class="output">${esc(c.Output)}</pre>` : ''}</div>`;
  }

  function metaHtml(meta) {
    const keys = Object.keys(meta || {});
    return keys.length ? `<dl class="meta">${keys.map((k) => `<dt>${esc(k)}</dt><dd>${esc(meta[k])}</dd>`).join('')}</dl>` : '';
  }

  function serviceView(name) {
    page(name, `<p class="crumbs">${link(url('services'), '← All services')}</p><div id="instances" class="muted">Loading…</div>`);
    watch(`health/service/${enc(name)}`, (list) => {
      list = list || [];
      document.getElementById('instances').outerHTML = `<div id="instances">${list.length ? '' :
        '<p class="muted">No instances.</p>'}${list.map((e) => {
        const counts = {};
        e.Checks.forEach((c) => { counts[STATUS[c.Status] || 'critical'] = 1; });
        const h = worst(counts);
        const addr = (e.Service.Address || e.Node.Address) + (e.Service.Port ? ':' + e.Service.Port : '');
        return `<section class="card" data-instance="${esc(e.Service.ID)}" data-health="${h}">
          <h3><span class="dot ${h}"></span>${esc(e.Service.ID)}</h3>
          <div>Node ${link(url('nodes', enc(e.Node.Node)), e.Node.Node)} · <code>${esc(addr)}</code></div>
          <div>${tags(e.Service.Tags)}</div>${metaHtml(e.Service.Meta)}
          ${e.Checks.map(checkHtml).join('') || '<p class="muted">No checks.</p>'}</section>`;
      }).join('')}</div>`;
    });
  }

  // ---- nodes ----
  function nodesView() {
    page('Nodes', `<div class="toolbar"><input type="search" id="search" aria-label="Search nodes"
      placeholder="Search by name or address"></div>
      <table><thead><tr><th>Node</th><th>Address</th><th>Services</th><th class="hide-sm">Checks</th></tr></thead>
      <tbody id="rows"><tr><td colspan="4" class="muted">Loading…</td></tr></tbody></table>`);
    let data = [];
    const search = document.getElementById('search');
    const draw = () => {
      const q = search.value.trim().toLowerCase();
      document.getElementById('rows').innerHTML = data.filter((n) => !q ||
        n.Node.toLowerCase().includes(q) || n.Address.includes(q)).map((n) => {
        const counts = {};
        n.Checks.forEach((c) => { const s = STATUS[c.Status] || 'critical'; counts[s] = (counts[s] || 0) + 1; });
        const h = worst(counts);
        return `<tr data-node="${esc(n.Node)}" data-health="${h}"><td><span class="dot ${h}"></span>${
          link(url('nodes', enc(n.Node)), n.Node)}</td><td>${esc(n.Address)}</td><td>${n.Services.length}</td>
          <td class="hide-sm">${['passing', 'warning', 'critical'].map((s) => counts[s] ?
            `<span class="badge ${s}">${counts[s]}</span>` : '').join('')}</td></tr>`;
      }).join('') || '<tr><td colspan="4" class="muted">No nodes match.</td></tr>';
    };
    search.addEventListener('input', draw);
    watch('internal/ui/nodes', (body) => { data = body || []; draw(); });
  }

  function nodeView(name) {
    page(name, `<p class="crumbs">${link(url('nodes'), '← All nodes')}</p><div id="node" class="muted">Loading…</div>`);
    watch(`internal/ui/node/${enc(name)}`, (n, status) => {
      const el = document.getElementById('node');
      if (status === 404 || !n) { el.innerHTML = '<p class="muted">This node is not in the catalog.</p>'; return; }
      el.className = '';
      el.innerHTML = `<p>Address <code>${esc(n.Address)}</code></p>${metaHtml(n.Meta)}
        <h2>Health checks</h2>${n.Checks.map(checkHtml).join('') || '<p class="muted">No checks.</p>'}
        <h2>Services</h2><table><thead><tr><th>Service</th><th>ID</th><th>Port</th><th class="hide-sm">Tags</th></tr></thead>
        <tbody>${n.Services.map((s) => `<tr><td>${link(url('services', enc(s.Service)), s.Service)}</td>
          <td>${esc(s.ID)}</td><td>${s.Port || ''}</td><td class="hide-sm">${tags(s.Tags)}</td></tr>`).join('')}</tbody></table>
        <h2>Sessions</h2><div id="sessions" class="muted">Loading…</div>`;
      sessions(name);
    });
    main.addEventListener('click', async (ev) => {
      const b = ev.target.closest('button[data-session]');
      if (!b || !confirm(`Invalidate session ${b.dataset.session}? Locks it holds are released.`)) return;
      try {
        await api(`session/destroy/${b.dataset.session}`, {method: 'PUT'});
        sessions(name);
      } catch (e) { setStatus(`Invalidate failed: ${e.message}`); }
    }, {signal: view.abort.signal});
  }

  // A node's sessions, read again whenever the node's view is redrawn.
  async function sessions(node) {
    try {
      const list = (await (await api(`session/node/${enc(node)}`, {signal: view.abort.signal})).json()) || [];
      const el = document.getElementById('sessions');
      if (!el) return;
      el.className = '';
      el.innerHTML = list.length ? `<table><thead><tr><th>Name</th><th>ID</th><th class="hide-sm">Behavior</th>
        <th class="hide-sm">TTL</th><th></th></tr></thead><tbody>${list.map((x) => `<tr data-session-row="${esc(x.ID)}">
        <td>${esc(x.Name)}</td><td><code>${esc(x.ID)}</code></td><td class="hide-sm">${esc(x.Behavior)}</td>
        <td class="hide-sm">${esc(x.TTL)}</td><td><button class="danger" data-session="${esc(x.ID)}">Invalidate</button></td>
        </tr>`).join('')}</tbody></table>` : '<p class="muted">No sessions.</p>';
    } catch (e) { if (!view.abort.signal.aborted) setStatus(e.message); }
  }

  // ---- cluster: gossip members and raft peers ----
  function clusterView() {
    page('Cluster', `<h2>Raft peers</h2><div id="raft" class="muted">Loading…</div>
      <h2>Gossip members (LAN)</h2><div id="members" class="muted">Loading…</div>`);
    const STATE = {1: 'alive', 2: 'leaving', 3: 'left', 4: 'failed'};
    poll('operator/raft/configuration', (c) => {
      const el = document.getElementById('raft');
      el.className = '';
      el.innerHTML = `<table><thead><tr><th>Node</th><th>Address</th><th>Role</th><th class="hide-sm">Voter</th></tr></thead>
        <tbody>${(c.Servers || []).map((p) => `<tr data-peer="${esc(p.Node)}"><td>${esc(p.Node)}</td><td>${esc(p.Address)}</td>
        <td>${p.Leader ? '<strong>leader</strong>' : 'follower'}</td><td class="hide-sm">${p.Voter ? 'yes' : 'no'}</td></tr>`).join('')}
        </tbody></table>`;
    });
    poll('agent/members', (list) => {
      const el = document.getElementById('members');
      el.className = '';
      el.innerHTML = `<table><thead><tr><th>Name</th><th>Address</th><th>Status</th><th class="hide-sm">Role</th></tr></thead>
        <tbody>${(list || []).map((m) => {
          const st = STATE[m.Status] || String(m.Status);
          const h = st === 'alive' ? 'passing' : st === 'failed' ? 'critical' : 'warning';
          return `<tr data-member="${esc(m.Name)}"><td><span class="dot ${h}"></span>${esc(m.Name)}</td>
            <td>${esc(m.Addr)}:${m.Port}</td><td class="status-text ${h}">${st}</td>
            <td class="hide-sm">${esc((m.Tags || {}).role || '')}</td></tr>`;
        }).join('')}</tbody></table>`;
    });
  }

  // ---- key/value ----
  function crumbs(prefix) {
    const segs = prefix.split('/').filter(Boolean);
    let acc = '';
    return `<p class="crumbs">${link(url('kv') + '/', 'Key/Value')}${segs.map((s) => {
      acc += s + '/';
      return ' / ' + link(url('kv', enc(acc)), s);
    }).join('')}</p>`;
  }

  function kvFolder(prefix) {
    page(prefix || 'Key/Value', `${crumbs(prefix)}<div class="toolbar">
      <input type="search" id="search" aria-label="Search keys" placeholder="Search keys">
      ${link(url('kv', enc(prefix) + 'create'), 'Create', 'class="button" id="kv-create"')}
      ${prefix ? '<button class="danger" id="kv-delete-folder">Delete folder</button>' : ''}</div>
      <table><thead><tr><th>Key</th><th></th></tr></thead><tbody id="rows"></tbody></table>`);
    let keys = [];
    const search = document.getElementById('search');
    const draw = () => {
      const q = search.value.trim().toLowerCase();
      document.getElementById('rows').innerHTML = keys.filter((k) => k !== prefix &&
        (!q || k.toLowerCase().includes(q))).map((k) => {
        const folder = k.endsWith('/');
        const label = k.slice(prefix.length);
        return `<tr data-key="${esc(k)}"><td>${folder ? '📁 ' : ''}${
          link(folder ? url('kv', enc(k)) : url('kv', enc(k), 'edit'), label)}</td>
          <td><button class="secondary" data-del="${esc(k)}">Delete</button></td></tr>`;
      }).join('') || '<tr><td colspan="2" class="muted">No keys.</td></tr>';
    };
    search.addEventListener('input', draw);
    main.addEventListener('click', async (ev) => {
      const b = ev.target.closest('button[data-del]');
      if (!b) return;
      const k = b.dataset.del;
      const folder = k.endsWith('/');
      if (!confirm(folder ? `Delete the folder ${k} and every key under it?` : `Delete ${k}?`)) return;
      try {
        await api(`kv/${enc(k)}${folder ? '?recurse' : ''}`, {method: 'DELETE'});
      } catch (e) { setStatus(`Delete failed: ${e.message}`); }
    }, {signal: view.abort.signal});
    const delFolder = document.getElementById('kv-delete-folder');
    if (delFolder) {
      delFolder.addEventListener('click', async () => {
        if (!confirm(`Delete the folder ${prefix} and every key under it?`)) return;
        try {
          await api(`kv/${enc(prefix)}?recurse`, {method: 'DELETE'});
          navigate(url('kv', enc(prefix.split('/').slice(0, -2).join('/') + (prefix.split('/').length > 2 ? '/' : ''))));
        } catch (e) { setStatus(`Delete failed: ${e.message}`); }
      });
    }
    watch(`kv/${enc(prefix)}?keys&separator=/`, (body) => { keys = body || []; draw(); });
  }

  const b64decode = (s) => new TextDecoder().decode(Uint8Array.from(atob(s || ''), (c) => c.charCodeAt(0)));

  // Create (key null, prefix given) or edit (key given).
  async function kvEditor(prefix, key) {
    const creating = key === null;
    const ctl = view.abort;
    let modifyIndex = 0;
    page(creating ? 'Create key' : key, `${crumbs(creating ? prefix : key.slice(0, key.lastIndexOf('/') + 1))}
      <div id="kv-notice"></div>
      <form id="kv-form">
        ${creating ? `<p><label>Key or folder (end with /)<br><input type="text" id="kv-key" required
          value="${esc(prefix)}" style="width:100%"></label></p>` : ''}
        <div class="editor-bar"><label for="kv-value">Value</label>
          <label class="muted">Highlight <select id="kv-lang" aria-label="Syntax highlighting">
          <option value="auto">Auto</option><option value="json">JSON</option><option value="yaml">YAML</option>
          <option value="hcl">HCL</option><option value="plain">Plain text</option></select></label></div>
        <div class="editor"><pre aria-hidden="true"><code id="kv-highlight"></code></pre><textarea id="kv-value"
          spellcheck="false" autocapitalize="off" autocomplete="off"></textarea></div>
        <p><span id="kv-format" class="muted"></span></p>
        <div class="toolbar"><button type="submit" id="kv-save">${creating ? 'Create' : 'Save'}</button>
        ${creating ? '' : '<button type="button" class="danger" id="kv-delete">Delete</button>'}
        ${link(url('kv', enc(creating ? prefix : key.slice(0, key.lastIndexOf('/') + 1))), 'Cancel')}</div>
      </form>`);
    const notice = document.getElementById('kv-notice');
    const value = document.getElementById('kv-value');
    const format = document.getElementById('kv-format');
    const hint = () => {
      const v = value.value.trim();
      if (!/^[[{]/.test(v)) { format.textContent = ''; return; }
      try { JSON.parse(v); format.textContent = 'JSON: valid'; format.className = 'status-text passing'; } catch (e) {
        format.textContent = `JSON: ${e.message}`; format.className = 'status-text warning';
      }
    };
    value.addEventListener('input', hint);
    // the highlighted copy behind the textarea (assets/highlight.js)
    const hl = window.cairnHighlight ? window.cairnHighlight.attach(value,
      document.getElementById('kv-highlight'), document.getElementById('kv-lang')) : {refresh() {}};
    const warn = (html, cls = 'warning') => { notice.innerHTML = `<div class="notice ${cls}" role="alert">${html}</div>`; };
    const load = async () => {
      const res = await api(`kv/${enc(key)}`, {signal: ctl.signal});
      if (res.status === 404) { warn('This key does not exist (any more).'); modifyIndex = 0; return; }
      const [e] = await res.json();
      modifyIndex = e.ModifyIndex;
      value.value = e.Value === null ? '' : b64decode(e.Value);
      notice.innerHTML = '';
      hint();
      hl.refresh();
    };
    notice.addEventListener('click', async (ev) => {
      if (ev.target.id === 'kv-reload') await load().catch((e) => setStatus(e.message));
    });
    if (!creating) await load().catch((e) => setStatus(e.message));
    document.getElementById('kv-form').addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const k = creating ? document.getElementById('kv-key').value.replace(/^\/+/, '') : key;
      if (!k) return;
      try {
        const res = await api(`kv/${enc(k)}?cas=${creating ? 0 : modifyIndex}`,
          {method: 'PUT', body: k.endsWith('/') ? '' : value.value});
        const ok = await res.json();
        if (ok !== true) {
          warn(creating ? `The key <code>${esc(k)}</code> already exists.` :
            'This key was changed by someone else since you opened it; your edit was not saved. ' +
            '<button type="button" class="secondary" id="kv-reload">Load the current value</button>');
          return;
        }
        if (creating || k.endsWith('/')) return navigate(url('kv', enc(k.slice(0, k.lastIndexOf('/') + 1))));
        await load();
        warn('Saved.', 'saved');
      } catch (e) { warn(esc(e.message), 'error'); }
    });
    const del = document.getElementById('kv-delete');
    if (del) {
      del.addEventListener('click', async () => {
        if (!confirm(`Delete ${key}?`)) return;
        try {
          const res = await api(`kv/${enc(key)}?cas=${modifyIndex}`, {method: 'DELETE'});
          if (await res.json() !== true) {
            warn('This key was changed since you opened it; it was not deleted. ' +
              '<button type="button" class="secondary" id="kv-reload">Load the current value</button>');
            return;
          }
          navigate(url('kv', enc(key.slice(0, key.lastIndexOf('/') + 1))));
        } catch (e) { warn(esc(e.message), 'error'); }
      });
    }
  }

  // ---- start ----
  (async () => {
    try {
      const res = await fetch('/v1/catalog/datacenters');
      const dcs = await res.json();
      dcs.forEach((d) => dcSelect.add(new Option(d, d)));
      if (!location.pathname.slice(ROOT.length).split('/')[0]) dc = dcs[0] || 'dc1';
    } catch (e) { setStatus(`Cannot reach the agent: ${e.message}`); dc = dc || 'dc1'; }
    route();
  })();
})();
