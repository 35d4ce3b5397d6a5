// The "Live metrics" panel: polls GET /metrics (the Prometheus exposition the server makes through
// OpenTelemetry) and shows the open connections and the refusals by catalogue code. A separate
// script from app.js, so that each can change on its own.
(() => {
  const POLL_MS = 2000;
  const panel = document.createElement('section');
  panel.id = 'metrics-panel';
  panel.setAttribute('aria-label', 'Live metrics');
  panel.innerHTML = `
    <h2>Live metrics <small>from <a href="/metrics">/metrics</a></small></h2>
    <p>Open connections: <strong id="metrics-open" data-testid="metrics-open">…</strong></p>
    <p>Refused handshakes by code:</p>
    <ul id="metrics-refusals" data-testid="metrics-refusals"><li>none yet</li></ul>`;
  (document.querySelector('main') ?? document.body).append(panel);
  const open = panel.querySelector('#metrics-open');
  const refusals = panel.querySelector('#metrics-refusals');

  /** Each sample of `metric`: its labels and value. */
  function samples(text, metric) {
    const found = [];
    for (const line of text.split('\n')) {
      const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (match === null || match[1] !== metric) continue;
      const labels = {};
      for (const pair of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
        labels[pair[1]] = pair[2];
      found.push({ labels, value: Number(match[3]) });
    }
    return found;
  }

  function show(text) {
    const connections = samples(text, 'wsgate_server_active_connections');
    open.textContent = String(connections.reduce((sum, sample) => sum + sample.value, 0));
    const refused = samples(text, 'wsgate_server_handshakes_total')
      .filter((sample) => sample.labels.wsgate_outcome === 'refused')
      .sort((a, b) => b.value - a.value);
    refusals.replaceChildren(
      ...(refused.length === 0
        ? [Object.assign(document.createElement('li'), { textContent: 'none yet' })]
        : refused.map((sample) => {
            const item = document.createElement('li');
            const code = document.createElement('code');
            code.textContent = sample.labels.code ?? '?';
            item.append(code, `: ${sample.value}`);
            return item;
          })),
    );
  }

  async function poll() {
    try {
      const response = await fetch('/metrics', { cache: 'no-store' });
      if (response.ok) show(await response.text());
    } catch {
      // The server is restarting: the next poll tries again.
    }
    setTimeout(poll, POLL_MS);
  }
  poll();
})();
