// Copy buttons: <button class="copy" data-copy="#element-id"> copies that element's text to the
// clipboard and says so on the button for a moment. No inline script: the CSP stays 'self'.
(function () {
  'use strict';
  document.addEventListener('click', function (event) {
    var button = event.target.closest('button.copy[data-copy]');
    if (!button) return;
    var source = document.querySelector(button.getAttribute('data-copy'));
    if (!source) return;
    var text = source.textContent.trim();
    var label = button.textContent;
    function say(words) {
      button.textContent = words;
      setTimeout(function () { button.textContent = label; }, 1500);
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { say('Copied'); }, function () { say('Select and copy'); });
    } else {
      // Plain http (a local install): select the text, so Ctrl-C copies it.
      var range = document.createRange();
      range.selectNodeContents(source);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      say(document.execCommand && document.execCommand('copy') ? 'Copied' : 'Selected: press Ctrl-C');
    }
  });
})();
