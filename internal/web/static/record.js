// Tillit voice recorder. A file field marked data-record gets a button
// that records from the microphone in the browser (MediaRecorder) and
// puts the recording into the field, so that the form sends it just like
// a chosen file; the recording can be heard before sending. Without
// JavaScript, MediaRecorder or a microphone the field stays a plain file
// field, which on phones offers the voice recorder.
(() => {
  'use strict';
  const t = document.getElementById('rec-labels');
  if (!t || !window.MediaRecorder || !navigator.mediaDevices || !window.DataTransfer) return;
  const L = t.dataset;
  const root = document.documentElement;
  document.querySelectorAll('input[type=file][data-record]').forEach(input => {
    const box = document.createElement('p');
    const btn = document.createElement('button');
    const status = document.createElement('span');
    const audio = document.createElement('audio');
    btn.type = 'button';
    btn.className = 'secondary';
    btn.textContent = L.record;
    status.setAttribute('role', 'status');
    audio.controls = true;
    audio.hidden = true;
    box.className = 'recorder';
    box.append(btn, ' ', status, audio);
    input.after(box);
    let rec = null;
    let timer = 0;
    btn.addEventListener('click', async () => {
      if (rec && rec.state === 'recording') {
        rec.stop();
        return;
      }
      let stream;
      try {
        stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      } catch (e) {
        status.textContent = L.denied;
        return;
      }
      const chunks = [];
      rec = new MediaRecorder(stream);
      rec.ondataavailable = e => { if (e.data.size) chunks.push(e.data); };
      rec.onstop = () => {
        clearTimeout(timer);
        stream.getTracks().forEach(track => track.stop());
        delete root.dataset.recording;
        const type = (rec.mimeType || chunks[0]?.type || 'audio/webm').split(';')[0];
        const ext = type.includes('mp4') ? 'm4a' : type.includes('ogg') ? 'ogg' : 'webm';
        const file = new File(chunks, 'voice.' + ext, { type });
        const dt = new DataTransfer();
        dt.items.add(file);
        input.files = dt.files;
        audio.src = URL.createObjectURL(file);
        audio.hidden = false;
        btn.textContent = L.again;
        btn.setAttribute('aria-pressed', 'false');
        status.textContent = L.done;
      };
      rec.start();
      root.dataset.recording = '1';
      btn.textContent = L.stop;
      btn.setAttribute('aria-pressed', 'true');
      status.textContent = L.recording;
      timer = setTimeout(() => rec.state === 'recording' && rec.stop(), 180000);
    });
  });
})();
