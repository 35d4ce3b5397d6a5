// The demo page: a chat on /chat and a "what went wrong" panel. Plain browser JavaScript.
(() => {
  const $ = (id) => document.getElementById(id);
  const wsBase = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}`;
  let chat;

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
    chat = new WebSocket(`${wsBase}/chat`);
    chat.addEventListener('open', () => {
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
      $('status').textContent =
        `disconnected from /chat (close code ${event.code}${event.reason ? `: ${event.reason}` : ''})`;
      $('status').className = 'failed';
      $('text').disabled = true;
      $('send').disabled = true;
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

  function showDiagnosis(result, code, cause, fix) {
    $('diagnosis').hidden = false;
    $('diagnosis-result').textContent = result;
    $('diagnosis-code').textContent = code;
    $('diagnosis-cause').textContent = cause;
    $('diagnosis-fix').textContent = fix;
  }

  function attemptId() {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
  }

  // Browsers hide a refused handshake's HTTP status from pages (they only report 1006). The
  // attempt carries a random id; after a failure the page asks the server what it refused.
  async function explainRefusal(id) {
    try {
      const response = await fetch(`/.well-known/wsgate/refusal?attempt=${id}`, {
        cache: 'no-store',
      });
      if (response.ok) return await response.json();
    } catch {}
    return undefined;
  }

  $('try-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const raw = $('try-path').value;
    const path = raw.startsWith('/') ? raw : `/${raw}`;
    showDiagnosis(`connecting to ${path}…`, '', '', '');
    const started = performance.now();
    const id = attemptId();
    let opened = false;
    const attempt = new WebSocket(
      `${wsBase}${path}${path.includes('?') ? '&' : '?'}wsgate_attempt=${id}`,
    );
    attempt.addEventListener('open', () => {
      opened = true;
      showDiagnosis(
        `connected to ${path}: the handshake succeeded`,
        '101',
        'The server accepted the WebSocket handshake.',
        'Nothing to fix.',
      );
      attempt.close(1000);
    });
    attempt.addEventListener('close', async (closeEvent) => {
      if (opened) return;
      const ms = Math.round(performance.now() - started);
      const result = `connection to ${path} failed after ${ms} ms (the browser reports close code ${closeEvent.code})`;
      const refusal = await explainRefusal(id);
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
