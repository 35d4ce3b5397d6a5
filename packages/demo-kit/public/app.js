// The demo page: a chat on /chat and a "what went wrong" panel. Plain browser JavaScript.
(() => {
  const $ = (id) => document.getElementById(id);
  const wsBase = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}`;
  const ATTEMPT_TIMEOUT_MS = 10_000;
  const LOOKUP_TIMEOUT_MS = 5_000;
  // DEMO_TOKEN: a page opened as /?token=… passes the token on to /chat (a page cannot set
  // headers on a WebSocket, so the query string carries it).
  const chatToken = new URLSearchParams(location.search).get('token');
  let chat;
  // Each attempt the panel reports on takes a turn; a late answer for an older one is dropped.
  let panelTurn = 0;

  function addLine(text, kind) {
    const item = document.createElement('li');
    item.textContent = text;
    if (kind) item.className = kind;
    $('messages').append(item);
    $('messages').scrollTop = $('messages').scrollHeight;
  }

  function showOnline(names) {
    $('online').replaceChildren(
      ...names.map((name) => {
        const item = document.createElement('li');
        item.textContent = name;
        return item;
      }),
    );
  }

  function connectChat() {
    const id = attemptId();
    const started = performance.now();
    let opened = false;
    const path = chatToken ? `/chat?token=${encodeURIComponent(chatToken)}` : '/chat';
    chat = new WebSocket(taggedUrl(path, id));
    chat.addEventListener('open', () => {
      opened = true;
      $('status').textContent = 'connected to /chat';
      $('status').className = 'ok';
    });
    chat.addEventListener('message', (event) => {
      const { event: name, data } = JSON.parse(event.data);
      if (name === 'welcome') {
        showOnline(data.online);
        $('text').disabled = false;
        $('send').disabled = false;
        addLine(`You joined as ${data.name}.`, 'notice');
      } else if (name === 'joined') {
        showOnline(data.online);
        addLine(`${data.name} joined.`, 'notice');
      } else if (name === 'left') {
        showOnline(data.online);
        addLine(`${data.name} left.`, 'notice');
      } else if (name === 'message') {
        addLine(`${data.from}: ${data.text}`);
      } else if (name === 'error') {
        addLine(`Error: ${data.message}`, 'error');
      }
    });
    chat.addEventListener('close', (event) => {
      $('status').className = 'failed';
      $('text').disabled = true;
      $('send').disabled = true;
      if (!opened) {
        // The handshake itself failed (a refused Origin, DEMO_TOKEN...): the panel says why.
        $('status').textContent =
          `could not connect to /chat (close code ${event.code}): see "What went wrong?"`;
        void explainFailure('/chat', id, event.code, started);
        return;
      }
      $('status').textContent =
        `disconnected from /chat (close code ${event.code}${event.reason ? `: ${event.reason}` : ''})`;
    });
  }

  $('join-form').addEventListener('submit', (event) => {
    event.preventDefault();
    chat.send(JSON.stringify({ event: 'join', data: { name: $('name').value } }));
  });

  $('message-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const text = $('text').value;
    if (text === '') return;
    chat.send(JSON.stringify({ event: 'message', data: { text } }));
    $('text').value = '';
  });

  // The catalogue's advice speaks to any application; what the demo's own settings have to do
  // with a code is said here.
  const DEMO_NOTES = {
    WSG_ORIGIN_REFUSED:
      'the allowed origins come from ALLOWED_ORIGINS (comma-separated), which the demo passes as the origins option.',
    WSG_AUTH_REQUIRED: 'DEMO_TOKEN is set, so /chat asks for ?token= with its value.',
    WSG_FORBIDDEN: 'DEMO_TOKEN is set, and the ?token= sent to /chat is not its value.',
  };

  function showDiagnosis(result, code, cause, fix) {
    $('diagnosis').hidden = false;
    $('diagnosis-result').textContent = result;
    $('diagnosis-code').textContent = code;
    $('diagnosis-cause').textContent = cause;
    $('diagnosis-fix').textContent = fix;
    const note = Object.hasOwn(DEMO_NOTES, code) ? DEMO_NOTES[code] : '';
    $('diagnosis-note').textContent = note;
    $('diagnosis-note-line').hidden = note === '';
  }

  function attemptId() {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
  }

  function taggedUrl(path, id) {
    return `${wsBase}${path}${path.includes('?') ? '&' : '?'}wsgate_attempt=${id}`;
  }

  // Browsers hide a refused handshake's HTTP status from pages (they only report 1006). The
  // attempt carries a random id; after a failure the page asks the server what it refused.
  async function explainRefusal(id) {
    try {
      const response = await fetch(`/.well-known/wsgate/refusal?attempt=${id}`, {
        cache: 'no-store',
        signal: AbortSignal.timeout(LOOKUP_TIMEOUT_MS),
      });
      if (response.ok) return await response.json();
    } catch {}
    return undefined;
  }

  async function explainFailure(path, id, closeCode, started) {
    const turn = ++panelTurn;
    const ms = Math.round(performance.now() - started);
    const result = `connection to ${path} failed after ${ms} ms (the browser reports close code ${closeCode})`;
    const refusal = await explainRefusal(id);
    if (turn !== panelTurn) return;
    if (refusal) {
      showDiagnosis(
        `${result}; the server answered ${refusal.status}`,
        refusal.code,
        refusal.cause,
        refusal.fix,
      );
    } else {
      showDiagnosis(
        result,
        'unknown (the browser hides the HTTP status of a failed handshake)',
        'The server did not record a reason for this attempt: it may not be a wsgate server, or nothing answered.',
        `Run: npx wsgate doctor ${wsBase}${path}`,
      );
    }
  }

  $('try-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const raw = $('try-path').value;
    const path = raw.startsWith('/') ? raw : `/${raw}`;
    panelTurn++;
    showDiagnosis(`connecting to ${path}…`, '', '', '');
    const started = performance.now();
    const id = attemptId();
    let opened = false;
    const attempt = new WebSocket(taggedUrl(path, id));
    // A server that never answers must not leave the panel waiting: give up, then explain.
    const giveUp = setTimeout(() => attempt.close(), ATTEMPT_TIMEOUT_MS);
    attempt.addEventListener('open', () => {
      opened = true;
      clearTimeout(giveUp);
      panelTurn++;
      showDiagnosis(
        `connected to ${path}: the handshake succeeded`,
        '101',
        'The server accepted the WebSocket handshake.',
        'Nothing to fix.',
      );
      attempt.close(1000);
    });
    attempt.addEventListener('close', (closeEvent) => {
      clearTimeout(giveUp);
      if (!opened) void explainFailure(path, id, closeEvent.code, started);
    });
  });

  fetch('/framework')
    .then((response) => (response.ok ? response.text() : ''))
    .then((name) => {
      $('framework').textContent = name;
    })
    .catch(() => {});
  connectChat();
})();
