// Sign-in with the Trustee wallet app: starts an attempt once the page is visible (so visitors
// without script, and bots, cause no call to Trustee), shows the QR code and the "Open in Trustee"
// link, polls at the interval the server gives (slower while the tab is hidden, backing off after
// errors), says each state in words, and moves on when the app approves. No inline script: the
// page's CSP stays default-src 'self'.
(function () {
  'use strict';

  var root = document.getElementById('trustee-login');
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (!root || !meta) return;

  var el = {
    qr: document.getElementById('trustee-qr'),
    placeholder: document.getElementById('trustee-placeholder'),
    open: document.getElementById('trustee-open'),
    countdown: document.getElementById('trustee-countdown'),
    status: document.getElementById('trustee-status'),
    retry: document.getElementById('trustee-retry')
  };
  var next = root.getAttribute('data-next') || '';

  var attempt = null;      // the open attempt's id
  var expiresAt = 0;       // its end, in ms since 1970
  var interval = 2000;     // the server's pollInterval
  var failures = 0;        // errors in a row, for the backoff
  var pollTimer = null;
  var clockTimer = null;
  var busy = false;        // a start or a poll is on its way
  var started = false;

  // The status line; `waiting` shows the spinner (something is still to happen).
  function say(text, waiting) {
    if (el.status.textContent !== text) el.status.textContent = text;
    el.status.classList.toggle('progress', waiting !== false);
  }

  function show(node, visible) {
    node.hidden = !visible;
  }

  function post(path, body) {
    return fetch(path, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'Accept': 'application/json', 'X-CSRF-Token': meta.content },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (json) {
        return { status: response.status, body: json, retryAfter: Number(response.headers.get('Retry-After')) || 0 };
      });
    });
  }

  // The wait before the next poll or start: the interval while visible, at least 10 s while the
  // tab is hidden, doubled after each error in a row (at most 30 s).
  function delay(extra) {
    var wait = document.hidden ? Math.max(interval * 5, 10000) : interval;
    if (failures > 0) wait = Math.min(wait * Math.pow(2, failures), 30000);
    return Math.max(wait, (extra || 0) * 1000);
  }

  function stopTimers() {
    clearTimeout(pollTimer);
    clearInterval(clockTimer);
    pollTimer = null;
    clockTimer = null;
  }

  // Expiry or denial: the code is no use any more; offer a new one.
  function end(text) {
    stopTimers();
    attempt = null;
    show(el.qr, false);
    show(el.open, false);
    show(el.countdown, false);
    el.placeholder.textContent = 'This QR code is no longer valid.';
    show(el.placeholder, true);
    show(el.retry, true);
    say(text, false);
  }

  function tick() {
    var left = Math.round((expiresAt - Date.now()) / 1000);
    if (left <= 0) {
      end('This QR code has expired. Press “Try again” for a new one.');
      return;
    }
    var minutes = Math.floor(left / 60);
    var seconds = left % 60;
    el.countdown.textContent = 'Expires in ' + minutes + ':' + (seconds < 10 ? '0' : '') + seconds;
  }

  function start() {
    if (busy) return;
    busy = true;
    started = true;
    stopTimers();
    show(el.retry, false);
    show(el.qr, false);
    show(el.open, false);
    el.placeholder.textContent = 'Preparing a QR code…';
    show(el.placeholder, true);
    say('Preparing a QR code…');
    post('/login/trustee/start', {}).then(function (answer) {
      busy = false;
      if (answer.status !== 200 || !answer.body.attempt) {
        failures += 1;
        say((answer.body && answer.body.message) || 'Trustee cannot be reached right now. Trying again…');
        pollTimer = setTimeout(start, delay(answer.retryAfter));
        return;
      }
      failures = 0;
      attempt = answer.body.attempt;
      interval = Math.max(500, Number(answer.body.pollInterval) || 2000);
      expiresAt = Date.parse(answer.body.expiresAt) || (Date.now() + 120000);
      el.qr.src = answer.body.qr;
      el.open.href = answer.body.link;
      show(el.placeholder, false);
      show(el.qr, true);
      show(el.open, true);
      show(el.countdown, true);
      tick();
      clockTimer = setInterval(tick, 1000);
      say('Scan the QR code with the Trustee app, then approve the sign-in.');
      pollTimer = setTimeout(poll, delay());
    }, function () {
      busy = false;
      failures += 1;
      say('The connection to this site failed. Trying again…');
      pollTimer = setTimeout(start, delay());
    });
  }

  function poll() {
    if (!attempt || busy) return;
    busy = true;
    var asked = attempt;
    post('/login/trustee/poll', { attempt: asked, next: next }).then(function (answer) {
      busy = false;
      if (asked !== attempt) return;
      var body = answer.body || {};
      if (answer.status === 404 || answer.status === 400) {
        end('This sign-in request is no longer valid. Press “Try again” for a new one.');
        return;
      }
      if (answer.status !== 200) {
        failures += 1;
        say(body.message || 'Something went wrong. Trying again…');
        pollTimer = setTimeout(poll, delay(answer.retryAfter));
        return;
      }
      switch (body.status) {
        case 'approved':
          stopTimers();
          say(body.created ? 'Approved. Your new account is ready…' : 'Approved. Signing you in…');
          window.location.assign(body.redirect || '/account');
          return;
        case 'denied':
          end(body.message || 'The sign-in was declined in the Trustee app.');
          return;
        case 'expired':
          end(body.message || 'This QR code has expired. Press “Try again” for a new one.');
          return;
        case 'error':
          failures += 1;
          say(body.message || 'Trustee cannot be reached right now. We will keep trying.');
          break;
        default:
          failures = 0;
          say('Waiting for you to approve in the Trustee app…');
      }
      pollTimer = setTimeout(poll, delay());
    }, function () {
      busy = false;
      failures += 1;
      say('The connection to this site failed. Trying again…');
      pollTimer = setTimeout(poll, delay());
    });
  }

  el.retry.addEventListener('click', function () {
    failures = 0;
    start();
  });

  // A hidden tab polls slowly; back in view, it asks at once (and starts, if it never did).
  document.addEventListener('visibilitychange', function () {
    if (document.hidden) return;
    if (!started) { start(); return; }
    if (attempt && !busy) {
      clearTimeout(pollTimer);
      poll();
    }
  });

  if (!document.hidden) start();
})();
