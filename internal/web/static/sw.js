// Tillit's service worker: shows "something new" pushes and opens Tillit.
'use strict';
self.addEventListener('push', e => {
  let d = {};
  try { d = e.data ? e.data.json() : {}; } catch (_) { d = {}; }
  e.waitUntil(self.registration.showNotification(d.title || 'Tillit', {
    body: d.body || '', tag: 'tillit', data: {url: d.url || '/'}
  }));
});
self.addEventListener('notificationclick', e => {
  e.notification.close();
  const o = self.location.origin;
  let u;
  try { u = new URL((e.notification.data || {}).url || '/', o); } catch (_) { u = new URL('/', o); }
  if (u.origin !== o) u = new URL('/', o);
  e.waitUntil(self.clients.matchAll({type: 'window'}).then(ws => {
    const w = ws.find(w => w.url === u.href);
    return w ? w.focus() : self.clients.openWindow(u.href);
  }));
});
