// Tillit Web Push: #push-on turns notifications on for this device,
// #push-off turns them off. Without JavaScript, service workers or Push
// the buttons stay hidden; every message is still in the inbox.
(() => {
  'use strict';
  const $ = i => document.getElementById(i), on = $('push-on'), off = $('push-off'), st = $('push-status');
  if (!on || !on.dataset.key || !('serviceWorker' in navigator) || !('PushManager' in window)) return;
  on.hidden = false;
  const say = t => { if (st) st.textContent = t || ''; };
  const key = Uint8Array.from(atob(on.dataset.key.replace(/-/g, '+').replace(/_/g, '/')), c => c.charCodeAt(0));
  const post = (u, b) => fetch(u, {method: 'POST', credentials: 'same-origin',
    headers: {'Content-Type': 'application/json'}, body: JSON.stringify(b)}).then(r => { if (!r.ok) throw r; });
  const act = (b, f) => b && b.addEventListener('click', async () => {
    b.disabled = true;
    say('');
    try { say(await f()); } catch (_) { say(b.dataset.fail); }
    b.disabled = false;
  });
  act(on, async () => {
    const reg = await navigator.serviceWorker.register('/sw.js');
    if (await Notification.requestPermission() !== 'granted') throw 0;
    const pm = (await navigator.serviceWorker.ready).pushManager, o = {userVisibleOnly: true, applicationServerKey: key};
    let s;
    try { s = await pm.subscribe(o); } catch (_) {
      // Subscribed with another key before: start again.
      const old = await pm.getSubscription();
      if (old) await old.unsubscribe();
      s = await pm.subscribe(o);
    }
    await post('/push/subscriptions', s.toJSON());
    if (off) off.hidden = false;
    return on.dataset.ok;
  });
  if (off) {
    navigator.serviceWorker.getRegistration('/').then(r => r && r.pushManager.getSubscription()).then(s => { if (s) off.hidden = false; });
    act(off, async () => {
      const r = await navigator.serviceWorker.getRegistration('/'), s = r && await r.pushManager.getSubscription();
      if (s) {
        await post('/push/subscriptions/delete', {endpoint: s.endpoint});
        await s.unsubscribe();
      }
      off.hidden = true;
      return off.dataset.ok;
    });
  }
})();
