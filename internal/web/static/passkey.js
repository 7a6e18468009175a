// Tillit passkeys: #passkey-login signs in, #passkey-add adds one. Without
// this script or WebAuthn the buttons stay hidden; passwords always work.
(() => {
  'use strict';
  const d = document, $ = s => d.querySelector(s), cr = navigator.credentials;
  if (!window.PublicKeyCredential || !cr) return;
  d.querySelectorAll('.passkey-only').forEach(e => { e.hidden = false; });
  if ($('#passkey-no')) $('#passkey-no').hidden = true;
  // base64url <-> ArrayBuffer
  const buf = s => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), c => c.charCodeAt(0)).buffer;
  const b64 = a => a ? btoa(String.fromCharCode(...new Uint8Array(a))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '') : undefined;
  const ids = l => (l || []).forEach(c => { c.id = buf(c.id); });
  // post sends JSON to this site; it throws the server's {error, message}.
  const post = async (url, body) => {
    const r = await fetch(url, {method: 'POST', credentials: 'same-origin',
      headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body || {})});
    const j = await r.json();
    if (!r.ok) throw j;
    return j;
  };
  const run = (btn, msg, url, ask, fin, done) => btn.addEventListener('click', async () => {
    let fail = btn.dataset.fail || '';
    btn.disabled = true;
    if (msg) msg.textContent = '';
    try {
      const o = await post(url + 'begin');
      fail = o.message || fail;
      const pk = o.publicKey;
      pk.challenge = buf(pk.challenge);
      const c = await ask(pk), r = c.response;
      const j = await post(url + 'finish' + (fin.q || ''), {id: c.id, rawId: b64(c.rawId), type: c.type,
        response: Object.assign({clientDataJSON: b64(r.clientDataJSON)}, fin(r)),
        authenticatorAttachment: c.authenticatorAttachment || undefined,
        clientExtensionResults: c.getClientExtensionResults()});
      location.assign(j.redirect || done);
    } catch (e) {
      btn.disabled = false;
      if (!msg) {
        msg = d.createElement('p');
        msg.className = 'err';
        msg.setAttribute('role', 'alert');
        btn.parentNode.after(msg);
      }
      msg.textContent = (e && e.error && e.message) || fail;
    }
  });
  let b = $('#passkey-login');
  if (b) {
    const f = r => ({authenticatorData: b64(r.authenticatorData), signature: b64(r.signature), userHandle: b64(r.userHandle)});
    const next = $('input[name=next]');
    if (next && next.value) f.q = '?next=' + encodeURIComponent(next.value);
    run(b, null, '/login/passkey/', pk => { ids(pk.allowCredentials); return cr.get({publicKey: pk}); }, f, '/');
  }
  b = $('#passkey-add');
  if (b) run(b, $('#passkey-msg'), '/profile/passkeys/', pk => {
    pk.user.id = buf(pk.user.id);
    ids(pk.excludeCredentials);
    return cr.create({publicKey: pk});
  }, r => ({attestationObject: b64(r.attestationObject), transports: r.getTransports ? r.getTransports() : undefined}),
  '/profile?saved=passkey_added');
})();
