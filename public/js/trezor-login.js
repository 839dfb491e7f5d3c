// Sign in with Trezor (SLIP-0013) through Trezor Connect; see templates/trezor.mustache.
'use strict';
(function () {
  var root = document.getElementById('trezor-login');
  if (!root) return;
  var button = document.getElementById('trezor-start');
  var statusLine = document.getElementById('trezor-status');
  var errorBox = document.getElementById('trezor-error');
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.getAttribute('content') : '';
  var initialized = null;
  var challenge = null;

  // Codes Trezor Connect answers with, and what they mean to the person at the keyboard.
  var CANCELLED = ['Failure_ActionCancelled', 'Method_Cancel', 'Method_Interrupted', 'Failure_PinCancelled',
    'Method_PermissionsNotGranted'];
  var MESSAGES = {
    cancelled: 'You cancelled the sign-in, on the Trezor or in its window. Press the button to try again.',
    Device_NotFound: 'No Trezor found. Connect it with its cable and unlock it, then try again.',
    Transport_Missing: 'No way to reach a Trezor: install Trezor Suite or Trezor Bridge, or use a browser with WebUSB (Chrome, Edge, Brave).',
    Device_Disconnected: 'The Trezor was disconnected. Reconnect it and try again.',
    Device_UsedElsewhere: 'Your Trezor is in use in another window or app. Close it there, then try again.',
    Device_CallInProgress: 'Your Trezor is busy with another request. Finish it, then try again.',
    Init_IframeBlocked: 'Trezor Connect was blocked by the browser or an extension. Allow connect.trezor.io, then reload.',
    Init_IframeTimeout: 'Trezor Connect did not answer. Check your connection, then reload the page.',
    Failure_PinInvalid: 'The PIN was wrong. Try again.'
  };
  var DEVICE_CODES = Object.keys(MESSAGES).concat(CANCELLED);

  function show(element, text) {
    element.textContent = text || '';
    element.hidden = !text;
  }

  function progress(text) { show(statusLine, text); }

  function fail(text) {
    progress('');
    show(errorBox, text);
    button.disabled = false;
  }

  function post(path, body) {
    return fetch(path, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'Accept': 'application/json', 'X-CSRF-Token': csrf },
      body: JSON.stringify(body || {})
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          throw new Error(data.message || 'The server refused the request (' + response.status + '). Reload the page and try again.');
        }
        return data;
      });
    });
  }

  // A fresh challenge from the server, bound to this browser's session.
  function fetchChallenge() {
    return post('/login/trezor/challenge').then(function (fresh) {
      challenge = fresh;
      progress('Confirm on your Trezor: it shows the time ' + fresh.challengeVisual + '.');
      return fresh;
    });
  }

  function connect() {
    if (!window.TrezorConnect) {
      return Promise.reject(new Error('Trezor Connect could not be loaded. Check your connection, or allow connect.trezor.io in your content blocker.'));
    }
    if (!initialized) {
      initialized = Promise.resolve(window.TrezorConnect.init({
        lazyLoad: true,
        manifest: { email: root.dataset.manifestEmail, appUrl: root.dataset.manifestAppUrl, appName: root.dataset.manifestAppName }
      })).catch(function (error) {
        if (error && error.code === 'Init_AlreadyInitialized') return;
        initialized = null;
        throw new Error(MESSAGES[error && error.code] || 'Trezor Connect could not start: ' + ((error && error.message) || error));
      });
    }
    return initialized;
  }

  // The async form first: Connect asks for the challenge once the device is ready, so it is fresh.
  // Connect 9.7 and later dropped that form; if it refuses it before asking for a challenge, fetch
  // the challenge ourselves and pass it in (the form every version accepts).
  function requestLogin() {
    return Promise.resolve()
      .then(function () { return window.TrezorConnect.requestLogin({ callback: fetchChallenge }); })
      .catch(function (error) { return { success: false, payload: { error: String((error && error.message) || error) } }; })
      .then(function (result) {
        var code = result.payload && result.payload.code;
        if (result.success || challenge !== null || DEVICE_CODES.indexOf(code) >= 0) return result;
        return fetchChallenge().then(function (fresh) {
          return window.TrezorConnect.requestLogin({ challengeHidden: fresh.challengeHidden, challengeVisual: fresh.challengeVisual });
        });
      });
  }

  function connectError(payload) {
    var code = payload && payload.code;
    if (CANCELLED.indexOf(code) >= 0) return new Error(MESSAGES.cancelled);
    return new Error(MESSAGES[code] || 'Trezor could not sign in: ' + ((payload && payload.error) || 'unknown error') + '.');
  }

  function signIn() {
    button.disabled = true;
    show(errorBox, '');
    challenge = null;
    progress('Opening Trezor Connect…');
    connect()
      .then(requestLogin)
      .then(function (result) {
        if (!result.success) throw connectError(result.payload);
        progress('Checking the signature…');
        return post('/login/trezor/verify', {
          challengeHidden: challenge.challengeHidden,
          challengeVisual: challenge.challengeVisual,
          publicKey: result.payload.publicKey,
          signature: result.payload.signature,
          address: result.payload.address,
          next: root.dataset.next || undefined
        });
      })
      .then(function (outcome) {
        progress(outcome.created ? 'Welcome: your account is ready.' : 'Signed in.');
        window.location.assign(outcome.redirect);
      })
      .catch(function (error) { fail((error && error.message) || String(error)); });
  }

  button.addEventListener('click', signIn);
}());
