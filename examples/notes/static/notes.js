// The notes page: lists notes from the API, adds them with the user's token, and shows the
// ones anyone adds as they arrive on the WebSocket feed. Text goes in with textContent only.
// Every URL is relative to the page's, so that the app works served under a path prefix
// (uvicorn --root-path /notes behind a proxy, or mounted on another app) as at the root.
"use strict";

const $ = (id) => document.getElementById(id);
const shown = new Map(); // note id -> <li>

function tokenHeader() {
  const token = localStorage.getItem("notes-token");
  return token ? { Authorization: `Bearer ${token}` } : {};
}

// A 422's first error ("title: String should have at least 1 character"), or the detail.
function problem(body) {
  if (Array.isArray(body.detail) && body.detail.length) {
    const first = body.detail[0];
    const field = first.loc ? first.loc[first.loc.length - 1] : "";
    return `${field}: ${first.msg}`;
  }
  return typeof body.detail === "string" ? body.detail : "something went wrong";
}

function render(note) {
  let item = shown.get(note.id);
  if (!item) {
    item = document.createElement("li");
    item.dataset.id = String(note.id);
    shown.set(note.id, item);
    $("notes").prepend(item);
  }
  item.replaceChildren();
  const title = document.createElement("h3");
  title.textContent = note.title;
  const body = document.createElement("p");
  body.textContent = note.body;
  const meta = document.createElement("span");
  meta.className = "meta";
  meta.textContent = `${note.author}, ${new Date(note.created_at).toLocaleString()}`;
  item.append(title, body, meta);
}

function forget(note) {
  const item = shown.get(note.id);
  if (item) item.remove();
  shown.delete(note.id);
}

function apply(event) {
  if (event.kind === "deleted") forget(event.note); else render(event.note);
}

// The list as the API has it now, in place of what the page showed (after a reconnect, the
// notes written or deleted while the feed was away).
async function load() {
  const response = await fetch("api/notes?limit=100");
  if (!response.ok) throw new Error(`GET api/notes: ${response.status}`);
  const page = await response.json();
  for (const item of shown.values()) item.remove();
  shown.clear();
  for (const note of page.items.slice().reverse()) render(note);
}

// The feed first, then the list: the server says "subscribed" once a note written from then
// on is sure to come on the feed, and the page loads the list after that, so a note written
// in between is in one or the other. What the feed brings while the list loads waits, and is
// applied after it, in order (an event the list already shows changes nothing). Each time
// the feed comes back, the same again.
function listen() {
  const feed = new URL("ws/notes", document.baseURI);
  feed.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  const socket = new WebSocket(feed);
  let waiting = []; // events that came before the list was shown; null once it is
  async function catchUp() {
    try {
      await load();
    } catch {
      socket.close(); // and try again, as when the feed goes away
      return;
    }
    if (socket.readyState !== WebSocket.OPEN) return; // gone meanwhile: onclose tries again
    for (const event of waiting) apply(event);
    waiting = null;
    $("status").textContent = "live";
  }
  socket.onmessage = (message) => {
    const event = JSON.parse(message.data);
    if (event.kind === "subscribed") catchUp();
    else if (waiting) waiting.push(event);
    else apply(event);
  };
  socket.onclose = () => {
    $("status").textContent = "reconnecting";
    setTimeout(listen, 1000);
  };
}

function showUser() {
  const name = localStorage.getItem("notes-name");
  if (name) {
    $("signed-in").textContent = `signed in as ${name}`;
    $("signed-in").hidden = false;
  }
}

$("signup").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("signup-error").textContent = "";
  const response = await fetch("api/users", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ name: $("name").value }),
  });
  const body = await response.json();
  if (!response.ok) {
    $("signup-error").textContent = problem(body);
    return;
  }
  localStorage.setItem("notes-token", body.token);
  localStorage.setItem("notes-name", body.name);
  showUser();
});

$("new-note").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("note-error").textContent = "";
  const response = await fetch("api/notes", {
    method: "POST",
    headers: { "Content-Type": "application/json", ...tokenHeader() },
    body: JSON.stringify({ title: $("title").value, body: $("body").value }),
  });
  const body = await response.json();
  if (!response.ok) {
    $("note-error").textContent =
      response.status === 401 ? "sign up first: your name above" : problem(body);
    return;
  }
  render(body);
  $("title").value = "";
  $("body").value = "";
});

showUser();
listen();
