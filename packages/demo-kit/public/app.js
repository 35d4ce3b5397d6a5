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

  $('try-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const path = $('try-path').value.startsWith('/')
      ? $('try-path').value
      : `/${$('try-path').value}`;
    showDiagnosis(`connecting to ${path}…`, '', '', '');
    const started = performance.now();
    let opened = false;
    const attempt = new WebSocket(`${wsBase}${path}`);
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
    attempt.addEventListener('close', (closeEvent) => {
      if (opened) return;
      const ms = Math.round(performance.now() - started);
      // Browsers hide the HTTP status of a failed handshake from pages: all they show is 1006.
      showDiagnosis(
        `connection to ${path} failed after ${ms} ms (close code ${closeEvent.code})`,
        closeEvent.code === 1006
          ? 'handshake refused (status hidden by the browser)'
          : String(closeEvent.code),
        'The server refused the handshake. The browser does not tell the page which HTTP status it answered.',
        `Run: npx wsgate doctor ${wsBase}${path}`,
      );
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
