// The coach's web chat: socket.io to Rasa with a signed token, buttons, and clip recording.
// Tokens arrive in the link's #fragment (never sent to a server log) and stay on this phone.
(() => {
  "use strict";
  const TOKEN_KEY = "coach.webchat.token";
  const body = document.body;
  const mode = body.dataset.mode;
  const rasaUrl = body.dataset.rasaUrl;
  const countdownS = Number(body.dataset.countdown || 3);
  const $ = (id) => document.getElementById(id);
  const fragment = new URLSearchParams(location.hash.slice(1));
  if (location.hash) history.replaceState(null, "", location.pathname);
  const uploadToken = fragment.get("u");
  let joinCode = fragment.get("code");
  let token = fragment.get("t") || localStorage.getItem(TOKEN_KEY);
  let socket = null;

  function setStatus(text) { $("connection").textContent = text; }

  function addMessage(who, text) {
    const item = document.createElement("li");
    item.className = who;
    const label = document.createElement("span");
    label.className = "visually-hidden";
    label.textContent = who === "you" ? "You said: " : who === "coach" ? "Coach: " : "";
    item.append(label, document.createTextNode(text));
    $("messages").append(item);
    item.scrollIntoView({ block: "end", behavior: "smooth" });
  }

  function clearChoices() { $("choices").replaceChildren(); }

  function showChoices(buttons) {
    clearChoices();
    for (const button of buttons) {
      const choice = document.createElement("button");
      choice.type = "button";
      choice.className = "choice";
      choice.textContent = button.title;
      choice.addEventListener("click", () => send(button.payload, button.title));
      $("choices").append(choice);
    }
  }

  function setReady(ready) {
    for (const id of ["text", "send", "open-camera"]) $(id).disabled = !ready;
  }

  function send(text, shown) {
    if (!socket || !socket.connected || !text.trim()) return;
    addMessage("you", shown || text);
    clearChoices();
    socket.emit("user_uttered", { message: text });
  }

  async function postJson(path) {
    const reply = await fetch(path, {
      method: "POST",
      headers: token ? { Authorization: `Bearer ${token}` } : {},
    });
    return { ok: reply.ok, status: reply.status, body: await reply.json().catch(() => ({})) };
  }

  async function startChat() {
    if (!token) {
      const session = await postJson("/chat/api/session");
      if (!session.ok) {
        setStatus(session.body.message || "The chat could not start. Please try again later.");
        return;
      }
      token = session.body.token;
    }
    localStorage.setItem(TOKEN_KEY, token);
    socket = io(rasaUrl, {
      path: "/socket.io",
      transports: ["websocket"],
      auth: { token },
      reconnectionAttempts: 10,
    });
    socket.on("connect", async () => {
      setStatus("Connected");
      setReady(true);
      if (joinCode) {
        const code = joinCode;
        joinCode = null;
        send(`START ${code}`);
      }
      await postJson("/chat/api/inbox");
    });
    socket.on("disconnect", () => { setStatus("Reconnecting…"); setReady(false); });
    socket.on("connect_error", () => {
      setReady(false);
      if (!socket.active) {
        localStorage.removeItem(TOKEN_KEY);
        setStatus("This chat link is no longer valid.");
        addMessage("notice", "This chat link is no longer valid. Please open the invite link from your therapist again.");
      } else {
        setStatus("Reconnecting…");
      }
    });
    socket.on("bot_uttered", (message) => {
      if (message.text) addMessage("coach", message.text);
      if (message.buttons && message.buttons.length) showChoices(message.buttons);
    });
  }

  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("text").value;
    $("text").value = "";
    send(text);
  });

  // ---- the clip: camera preview, cue card, MediaRecorder, upload --------------------------
  let stream = null;
  let recorder = null;
  let timers = [];

  function cameraStatus(text) { $("camera-status").textContent = text; }

  async function openCamera() {
    $("chat").hidden = true;
    $("camera").hidden = false;
    $("record").focus();
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: "user", width: { ideal: 1280 }, height: { ideal: 720 } },
        audio: false,
      });
      $("preview").srcObject = stream;
      cameraStatus("Camera ready. Press Start recording when you are.");
    } catch (error) {
      cameraStatus("The camera could not be opened. You can send a video from your phone instead.");
    }
  }

  function closeCamera() {
    stopRecording(false);
    if (stream) stream.getTracks().forEach((track) => track.stop());
    stream = null;
    $("camera").hidden = true;
    $("chat").hidden = false;
    $("open-camera").focus();
  }

  function highlight(index) {
    const steps = [...$("cue-card").children];
    steps.forEach((step, i) => step.classList.toggle("now", i === index));
    $("cue-now").textContent = index >= 0 && steps[index] ? steps[index].textContent : "";
  }

  function pickType() {
    for (const type of ["video/webm;codecs=vp8", "video/webm", "video/mp4"]) {
      if (window.MediaRecorder && MediaRecorder.isTypeSupported(type)) return type;
    }
    return "";
  }

  function startRecording() {
    if (!stream) { cameraStatus("The camera is not open."); return; }
    $("record").hidden = true;
    $("stop").hidden = false;
    $("stop").focus();
    const chunks = [];
    const type = pickType();
    recorder = new MediaRecorder(stream, type ? { mimeType: type } : {});
    recorder.ondataavailable = (event) => { if (event.data.size) chunks.push(event.data); };
    recorder.onstop = () => {
      if (recorder && recorder.keep) upload(new Blob(chunks, { type: recorder.mimeType || type }));
    };
    let at = 0;
    for (let n = countdownS; n > 0; n -= 1) {
      timers.push(setTimeout(() => { $("cue-now").textContent = `Get ready… ${n}`; }, at * 1000));
      at += 1;
    }
    timers.push(setTimeout(() => { recorder.start(); cameraStatus("Recording…"); }, at * 1000));
    [...$("cue-card").children].forEach((step, index) => {
      timers.push(setTimeout(() => highlight(index), at * 1000));
      at += Number(step.dataset.seconds);
    });
    timers.push(setTimeout(() => stopRecording(true), at * 1000));
  }

  function stopRecording(keep) {
    timers.forEach(clearTimeout);
    timers = [];
    highlight(-1);
    $("record").hidden = false;
    $("stop").hidden = true;
    if (recorder && recorder.state !== "inactive") {
      recorder.keep = keep;
      recorder.stop();
    }
  }

  async function upload(blob) {
    cameraStatus("Sending your clip…");
    const path = mode === "upload" ? "/chat/api/upload-link-clip" : "/chat/api/clip";
    const reply = await fetch(path, {
      method: "POST",
      headers: {
        Authorization: `Bearer ${mode === "upload" ? uploadToken : token}`,
        "Content-Type": blob.type || "application/octet-stream",
      },
      body: blob,
    }).catch(() => null);
    const answer = reply ? await reply.json().catch(() => ({})) : {};
    if (reply && reply.status === 202) {
      if (mode === "upload") {
        cameraStatus("Thank you! Your clip was sent. The result will come by text message.");
        $("record").disabled = true;
        return;
      }
      closeCamera();
      addMessage("you", "(exercise clip sent)");
      addMessage("notice", "Thank you — the coach is looking at your clip. This takes a moment.");
    } else {
      cameraStatus(answer.message || "Sorry, the clip could not be sent. Please try again.");
      if (mode !== "upload") addMessage("coach", answer.message || "Sorry, the clip could not be sent.");
    }
  }

  $("open-camera").addEventListener("click", openCamera);
  $("close-camera").addEventListener("click", closeCamera);
  $("record").addEventListener("click", startRecording);
  $("stop").addEventListener("click", () => stopRecording(true));
  $("file-pick").addEventListener("change", (event) => {
    const file = event.target.files && event.target.files[0];
    if (file) upload(file);
  });

  if (mode === "upload") {
    setStatus(uploadToken ? "Ready" : "This upload link is not valid.");
    if (uploadToken) openCamera();
  } else {
    startChat();
  }
})();
