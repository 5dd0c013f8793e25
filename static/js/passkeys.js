// Passkeys: the WebAuthn ceremony runs in the browser (the vendored @simplewebauthn/browser,
// loaded before this). Each form carries the server's options; its answer goes back as JSON in
// a hidden field, in an ordinary form post. Without script the form says what is missing.
const webauthn = window.SimpleWebAuthnBrowser;
for (const form of document.querySelectorAll('form[data-passkey]')) {
  const status = form.querySelector('.passkey-status');
  const answer = form.elements.namedItem('response');
  const say = (text) => {
    status.textContent = text;
    status.hidden = false;
  };
  if (!webauthn || !webauthn.browserSupportsWebAuthn()) {
    say('This browser cannot use passkeys. Use another way to confirm it is you, or another browser.');
    continue;
  }
  form.addEventListener('submit', async (event) => {
    if (answer.value !== '') return;
    event.preventDefault();
    status.hidden = true;
    try {
      const optionsJSON = JSON.parse(form.dataset.options);
      const result = form.dataset.passkey === 'register' ? await webauthn.startRegistration({ optionsJSON }) : await webauthn.startAuthentication({ optionsJSON });
      answer.value = JSON.stringify(result);
      form.submit();
    } catch {
      say('The passkey was not used: it was cancelled, timed out or is not one this site knows. Try again.');
    }
  });
}
