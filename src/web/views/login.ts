/** Sign-in, and the one-time password change the first admin must make. */
import { api, ApiError, login, type Me } from '../api.js';
import { h } from '../dom.js';

export function loginView(done: (me: Me) => void, mustChange?: Me): HTMLElement {
  const msg = h('p', { class: 'error', role: 'alert', id: 'login-msg' });
  if (mustChange) return changeView(mustChange, msg, done);
  const name = h('input', { id: 'login-name', name: 'name', autocomplete: 'username', required: true });
  const password = h('input', { id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const form = h('form', { class: 'card login', 'aria-labelledby': 'login-title' },
    h('h1', { id: 'login-title' }, 'Sign in to minewatch'),
    h('label', { for: 'login-name' }, 'User name'), name,
    h('label', { for: 'login-password' }, 'Password'), password,
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'),
    msg);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    msg.textContent = '';
    login(name.value, password.value).then((me) => {
      if (me.must_change_password) form.replaceWith(changeView(me, msg, done, password.value));
      else done(me);
    }).catch((err: unknown) => {
      msg.textContent = err instanceof ApiError && err.status === 401 ? 'Wrong user name or password.' : (err as Error).message;
    });
  });
  return h('main', { id: 'main', class: 'center' }, form);
}

function changeView(me: Me, msg: HTMLElement, done: (me: Me) => void, current = ''): HTMLElement {
  const cur = h('input', { id: 'pw-current', type: 'password', autocomplete: 'current-password', required: true, value: current });
  const next = h('input', { id: 'pw-new', type: 'password', autocomplete: 'new-password', minlength: 12, required: true });
  const form = h('form', { class: 'card login', 'aria-labelledby': 'pw-title' },
    h('h1', { id: 'pw-title' }, `Choose a new password, ${me.name}`),
    h('p', {}, 'The one-time password must be changed before anything else (at least 12 characters).'),
    h('label', { for: 'pw-current' }, 'One-time password'), cur,
    h('label', { for: 'pw-new' }, 'New password'), next,
    h('button', { type: 'submit', class: 'primary' }, 'Change password'),
    msg);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    api('POST', '/api/v1/auth/password', { current: cur.value, password: next.value })
      .then(() => login(me.name, next.value))
      .then(done)
      .catch((err: unknown) => {
        msg.textContent = (err as Error).message;
      });
  });
  return h('main', { id: 'main', class: 'center' }, form);
}
