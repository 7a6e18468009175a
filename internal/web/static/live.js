// Tillit live updates: when a new message arrives, reload the message
// pages (unless something is being typed) or show a banner. Without
// JavaScript or EventSource nothing changes: the pages work as before.
(() => {
  'use strict';
  if (!window.EventSource) return;
  const p = location.pathname;
  const here = p === '/inbox' || p.startsWith('/threads/') || /^\/groups\/\d+\/messages$/.test(p);
  const typing = () => document.documentElement.dataset.recording ||
    [...document.querySelectorAll('textarea')].some(t => t.value.trim()) ||
    [...document.querySelectorAll('input[type=file]')].some(f => f.files.length);
  const show = href => {
    const b = document.getElementById('live');
    if (!b || !b.hidden) return;
    const a = document.createElement('a');
    a.href = href;
    a.textContent = b.dataset.text;
    if (href === location.href) a.addEventListener('click', e => { e.preventDefault(); location.reload(); });
    b.append(a);
    b.hidden = false;
  };
  new EventSource('/events').addEventListener('message', () => {
    if (!here) show('/inbox');
    else if (typing()) show(location.href);
    else location.reload();
  });
})();
