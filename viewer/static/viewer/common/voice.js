// Push-to-talk: hold a button to record a short voice message (MediaRecorder, Opus in WebM),
// release to hand it over. Shared by the field app and the console. The recording stops by
// itself at the length limit; the server checks size and length again.

const MIME = ["audio/webm;codecs=opus", "audio/webm", "audio/ogg;codecs=opus"];

export function voiceSupported() {
  return Boolean(window.MediaRecorder && navigator.mediaDevices?.getUserMedia);
}

/**
 * Make `button` a push-to-talk button. `onRecorded(blob, seconds)` gets each message;
 * `onState(state, detail)` hears "recording", "idle", "too_long", "unsupported" or "error".
 */
export function pushToTalk(button, { maxSeconds = 60, onRecorded, onState = () => {} }) {
  let recorder = null;
  let stream = null;
  let chunks = [];
  let startedAt = 0;
  let limitTimer = null;
  let held = false; // the button is still held (getUserMedia may answer after it was let go)

  const stop = () => {
    held = false;
    clearTimeout(limitTimer);
    if (recorder && recorder.state === "recording") recorder.stop();
  };

  const start = async (event) => {
    event.preventDefault();
    if (recorder || held) return;
    held = true;
    if (!voiceSupported()) { onState("unsupported"); return; }
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch (error) {
      held = false;
      onState("error", error);
      return;
    }
    if (!held) { stream.getTracks().forEach((t) => t.stop()); return; }
    const mimeType = MIME.find((m) => MediaRecorder.isTypeSupported(m)) || "";
    recorder = new MediaRecorder(stream, mimeType ? { mimeType } : {});
    chunks = [];
    recorder.addEventListener("dataavailable", (e) => { if (e.data.size) chunks.push(e.data); });
    recorder.addEventListener("stop", () => {
      const seconds = (performance.now() - startedAt) / 1000;
      stream.getTracks().forEach((t) => t.stop());
      const blob = new Blob(chunks, { type: recorder.mimeType || "audio/webm" });
      recorder = null;
      button.classList.remove("recording");
      onState("idle");
      if (blob.size && seconds >= 0.3) onRecorded(blob, seconds);
    });
    startedAt = performance.now();
    recorder.start(250);
    button.classList.add("recording");
    onState("recording");
    limitTimer = setTimeout(() => { onState("too_long"); stop(); }, maxSeconds * 1000 - 200);
  };

  button.addEventListener("pointerdown", start);
  for (const name of ["pointerup", "pointerleave", "pointercancel"]) button.addEventListener(name, stop);
  button.addEventListener("keydown", (e) => { if ((e.key === " " || e.key === "Enter") && !e.repeat) start(e); });
  button.addEventListener("keyup", (e) => { if (e.key === " " || e.key === "Enter") stop(); });
}
