// "Show password" under each password field: a progressive enhancement. Without this script
// (or with JavaScript off) every field works as it is, hidden. The field is hidden again when
// its form is sent, so a browser never keeps the password as ordinary form text.
for (const field of document.querySelectorAll('input[type="password"][id]')) {
  const label = document.querySelector(`label[for="${field.id}"]`);
  const box = document.createElement('input');
  box.type = 'checkbox';
  box.id = `${field.id}-show`;
  box.setAttribute('aria-controls', field.id);
  const boxLabel = document.createElement('label');
  boxLabel.htmlFor = box.id;
  boxLabel.className = 'label--inline';
  boxLabel.append('Show password');
  if (label) {
    // Two of these on one page (current and new password) each say which field they show.
    const which = document.createElement('span');
    which.className = 'visually-hidden';
    which.textContent = ` (${label.textContent.trim()})`;
    boxLabel.append(which);
  }
  const toggle = document.createElement('div');
  toggle.className = 'show-password';
  toggle.append(box, boxLabel);
  field.after(toggle);
  // Shown as text, a password must not go to a spelling service or be capitalised.
  field.spellcheck = false;
  field.setAttribute('autocapitalize', 'none');
  field.setAttribute('autocorrect', 'off');
  box.addEventListener('change', () => {
    field.type = box.checked ? 'text' : 'password';
  });
  field.form?.addEventListener('submit', () => {
    field.type = 'password';
    box.checked = false;
  });
}
