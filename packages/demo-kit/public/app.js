// The demo page: a chat on /chat, a "what went wrong" panel and an echo. Plain browser JavaScript.
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

  // The name this page joined the room with (undefined until `welcome`): the form then renames.
  let myName;

  // Join (or Rename) only while /chat is open: a refused or closed chat cannot take a name.
  function setChatOpen(open) {
    $('join').disabled = !open;
    $('text').disabled = !open || myName === undefined;
    $('send').disabled = $('text').disabled;
    $('reconnect').hidden = open || chat?.readyState === WebSocket.CONNECTING;
  }

  function setName(name) {
    myName = name;
    $('join').textContent = name === undefined ? 'Join' : 'Rename';
    $('name-error').hidden = true;
  }

  function showNameError(message) {
    $('name-error').textContent = message;
    $('name-error').hidden = false;
  }

  function onChatEvent(name, data) {
    if (name === 'welcome') {
      setName(data.name);
      setChatOpen(true);
      showOnline(data.online);
      addLine(`You joined as ${data.name}.`, 'notice');
    } else if (name === 'joined') {
      showOnline(data.online);
      addLine(`${data.name} joined.`, 'notice');
    } else if (name === 'renamed') {
      showOnline(data.online);
      if (data.from === myName) {
        setName(data.to);
        addLine(`You are now ${data.to}.`, 'notice');
      } else {
        addLine(`${data.from} is now ${data.to}.`, 'notice');
      }
    } else if (name === 'left') {
      showOnline(data.online);
      addLine(`${data.name} left.`, 'notice');
    } else if (name === 'message') {
      addLine(`${data.from}: ${data.text}`);
    } else if (name === 'error' && data.about === 'name') {
      showNameError(data.message);
    } else if (name === 'error') {
      addLine(`Error: ${data.message}`, 'error');
    }
  }

  function connectChat() {
    const id = attemptId();
    const started = performance.now();
    let opened = false;
    const path = chatToken ? `/chat?token=${encodeURIComponent(chatToken)}` : '/chat';
    setName(undefined);
    chat = new WebSocket(attemptTarget(path, id).url);
    setChatOpen(false);
    $('status').textContent = 'connecting to /chat…';
    $('status').className = '';
    chat.addEventListener('open', () => {
      opened = true;
      $('status').textContent = 'connected to /chat';
      $('status').className = 'ok';
      setChatOpen(true);
    });
    chat.addEventListener('message', (event) => {
      const { event: name, data } = JSON.parse(event.data);
      onChatEvent(name, data ?? {});
    });
    chat.addEventListener('close', (event) => {
      $('status').className = 'failed';
      setName(undefined);
      setChatOpen(false);
      showOnline([]);
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

  $('reconnect').addEventListener('click', () => connectChat());

  $('join-form').addEventListener('submit', (event) => {
    event.preventDefault();
    if (chat.readyState !== WebSocket.OPEN) return;
    $('name-error').hidden = true;
    const kind = myName === undefined ? 'join' : 'rename';
    chat.send(JSON.stringify({ event: kind, data: { name: $('name').value } }));
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

  /**
   * The URL of an attempt to `typed` (any text a person types), tagged with the attempt's id, and
   * the path and query as sent. Throws a TypeError for text no URL can hold.
   */
  function attemptTarget(typed, id) {
    const trimmed = typed.trim();
    // RFC 6455 §3: a WebSocket URL has no fragment (the constructor throws on one), so a typed
    // '#' is a character of the path or query. Spaces and the like are percent-encoded by URL.
    const path = (trimmed.startsWith('/') ? trimmed : `/${trimmed}`).replaceAll('#', '%23');
    const url = new URL(`${wsBase}${path}`);
    const shown = `${url.pathname}${url.search}`;
    url.search = `${url.search === '' ? '' : `${url.search}&`}wsgate_attempt=${id}`;
    return { url: url.href, shown };
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
    const typed = $('try-path').value;
    panelTurn++;
    const id = attemptId();
    let target;
    let attempt;
    try {
      target = attemptTarget(typed, id);
      attempt = new WebSocket(target.url);
    } catch (error) {
      showDiagnosis(
        `could not try ${JSON.stringify(typed)}: the browser refused the URL (${error.message})`,
        'none: no request was sent',
        'The path does not make a valid WebSocket URL.',
        'Type a path such as /echo, /chat or /chat?token=…',
      );
      return;
    }
    const path = target.shown;
    showDiagnosis(`connecting to ${path}…`, '', '', '');
    const started = performance.now();
    let opened = false;
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

  // One message to /echo and back, on a connection of its own.
  $('echo-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const text = $('echo-text').value;
    const id = attemptId();
    const started = performance.now();
    let opened = false;
    let answered = false;
    const echo = new WebSocket(attemptTarget('/echo', id).url);
    $('echo-result').textContent = 'sending to /echo…';
    const giveUp = setTimeout(() => echo.close(), ATTEMPT_TIMEOUT_MS);
    echo.addEventListener('open', () => {
      opened = true;
      echo.send(text);
    });
    echo.addEventListener('message', (message) => {
      answered = true;
      $('echo-result').textContent = `/echo sent back: ${message.data}`;
      echo.close(1000);
    });
    echo.addEventListener('close', (closeEvent) => {
      clearTimeout(giveUp);
      if (answered) return;
      $('echo-result').textContent = opened
        ? `/echo closed (close code ${closeEvent.code}) before sending it back`
        : `could not connect to /echo (close code ${closeEvent.code}): see "What went wrong?"`;
      if (!opened) void explainFailure('/echo', id, closeEvent.code, started);
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
