// The demo's web chat: shows a persona's chat as the Bot API sandbox holds it and turns what
// the person does into Telegram updates. No framework, no build step.
"use strict";

const state = { personas: [], current: null, seenAlerts: {}, refreshing: false, again: false };
const $ = (id) => document.getElementById(id);

function esc(text) {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

function openTag(e, text) {
  switch (e.type) {
    case "bold": return "<b>";
    case "italic": return "<i>";
    case "underline": return "<u>";
    case "strikethrough": return "<s>";
    case "code": return "<code>";
    case "pre": return "<pre>";
    case "spoiler": return '<span class="spoiler">';
    case "blockquote": return "<blockquote>";
    case "text_link": return `<a href="${esc(e.url)}" target="_blank" rel="noopener">`;
    case "url": return `<a href="${esc(text.substr(e.offset, e.length))}" target="_blank" rel="noopener">`;
    default: return "<span>";
  }
}

function closeTag(e) {
  return { bold: "</b>", italic: "</i>", underline: "</u>", strikethrough: "</s>", code: "</code>",
           pre: "</pre>", blockquote: "</blockquote>", text_link: "</a>", url: "</a>" }[e.type] || "</span>";
}

// Telegram's entities count UTF-16 code units, as JavaScript strings do.
function formatted(text, entities) {
  const starts = {};
  for (const e of entities || []) (starts[e.offset] = starts[e.offset] || []).push(e);
  const open = [];
  let html = "";
  for (let i = 0; i <= text.length; i++) {
    while (open.length && open[open.length - 1].offset + open[open.length - 1].length === i) {
      html += closeTag(open.pop());
    }
    for (const e of (starts[i] || []).sort((a, b) => b.length - a.length)) {
      html += openTag(e, text);
      open.push(e);
    }
    if (i < text.length) html += esc(text[i]);
  }
  return html;
}

async function api(path, body) {
  const options = body === undefined ? {} : { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
  const response = await fetch(`/demo/api/${path}`, options);
  if (!response.ok) throw new Error(await response.text());
  return response.json();
}

function persona() { return state.personas.find((p) => p.id === state.current); }

function renderPersonas() {
  const box = $("personas");
  box.innerHTML = "";
  for (const p of state.personas) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "persona";
    button.setAttribute("role", "tab");
    button.setAttribute("aria-selected", String(p.id === state.current));
    button.dataset.persona = p.name;
    button.innerHTML = `${esc(p.name)}<small>${esc(p.role)}</small>`;
    button.addEventListener("click", () => use(p.id));
    box.appendChild(button);
  }
  $("chat-title").textContent = `casebot · ${persona() ? persona().name : ""}`;
}

async function use(id) {
  state.current = id;
  renderPersonas();
  await refresh();
}

function renderMessages(chat) {
  const list = $("messages");
  const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  list.innerHTML = "";
  for (const m of chat.messages) {
    const item = document.createElement("div");
    item.className = "message" + (m.from_bot ? "" : " mine");
    item.dataset.id = m.id;
    const bubble = document.createElement("div");
    bubble.className = "bubble";
    if (m.photo) bubble.innerHTML += `<img src="${m.photo}" alt="photo">`;
    if (m.voice) bubble.innerHTML += `<div class="voice">🎤 voice note · ${m.voice.duration}s<audio controls preload="none" src="${m.voice.url}"></audio></div>`;
    if (m.document) bubble.innerHTML += `<a class="document" href="${m.document.url}" download="${esc(m.document.name)}">⤓ ${esc(m.document.name)}</a>`;
    bubble.innerHTML += formatted(m.text || "", m.entities);
    if (m.edited) bubble.innerHTML += '<span class="edited">edited</span>';
    item.appendChild(bubble);
    if (m.buttons.length) {
      const keyboard = document.createElement("div");
      keyboard.className = "keyboard";
      m.buttons.forEach((row, r) => {
        const line = document.createElement("div");
        line.className = "row";
        row.forEach((b, c) => {
          const url = (m.urls[r] || [])[c];
          if (url) {
            const link = document.createElement("a");
            link.className = "button";
            link.href = url;
            link.textContent = b.text;
            line.appendChild(link);
            return;
          }
          const button = document.createElement("button");
          button.type = "button";
          button.textContent = b.text;
          button.addEventListener("click", () => press(m.id, b.data));
          line.appendChild(button);
        });
        keyboard.appendChild(line);
      });
      item.appendChild(keyboard);
    }
    list.appendChild(item);
  }
  if (nearBottom || state.scrollDown) list.scrollTop = list.scrollHeight;
  state.scrollDown = false;
}

function renderReplyKeyboard(rows) {
  const box = $("reply-keyboard");
  box.innerHTML = "";
  for (const row of rows) {
    const line = document.createElement("div");
    line.className = "row";
    for (const label of row) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = label;
      button.addEventListener("click", () => send(label));
      line.appendChild(button);
    }
    box.appendChild(line);
  }
}

function showAlerts(chat) {
  const seen = state.seenAlerts[state.current];
  state.seenAlerts[state.current] = chat.alerts.length;
  if (seen === undefined || chat.alerts.length <= seen) return;
  const toast = $("toast");
  toast.textContent = chat.alerts[chat.alerts.length - 1].text;
  toast.hidden = false;
  clearTimeout(state.toastTimer);
  state.toastTimer = setTimeout(() => { toast.hidden = true; }, 3500);
}

async function refresh() {
  if (state.current === null) return;
  if (state.refreshing) { state.again = true; return; }
  state.refreshing = true;
  try {
    const chat = await api(`chat/${state.current}`);
    state.chat = chat;
    renderMessages(chat);
    renderReplyKeyboard(chat.reply_keyboard);
    showAlerts(chat);
  } finally {
    state.refreshing = false;
    if (state.again) { state.again = false; refresh(); }
  }
}

async function send(text) {
  state.scrollDown = true;
  await api(`chat/${state.current}/send`, { text });
}

async function press(messageId, data) {
  await api(`chat/${state.current}/press`, { message_id: messageId, data });
}

// A survey link opens the bot for the guest, as a customer's phone would.
document.addEventListener("click", async (event) => {
  const link = event.target.closest("a");
  if (!link) return;
  const match = /^https:\/\/t\.me\/[A-Za-z0-9_]+\?start=([A-Za-z0-9_-]+)$/.exec(link.href);
  if (!match) return;
  event.preventDefault();
  const guest = state.personas.find((p) => p.name === "Guest");
  if (!guest) return;
  await use(guest.id);
  await send(`/start ${match[1]}`);
});

$("composer").addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = $("text");
  const text = input.value.trim();
  if (!text) return;
  input.value = "";
  await send(text);
});

$("photo").addEventListener("change", async (event) => {
  const file = event.target.files[0];
  if (!file) return;
  const form = new FormData();
  form.append("photo", file);
  const caption = $("text").value.trim();
  if (caption) form.append("caption", caption);
  $("text").value = "";
  event.target.value = "";
  await fetch(`/demo/api/chat/${state.current}/photo`, { method: "POST", body: form });
});

// The guided tour: the story of the README, step by step, in the real bot.
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check, what) {
  for (let i = 0; i < 100; i++) {
    await refresh();
    const found = check(state.chat || { messages: [] });
    if (found) return found;
    await pause(200);
  }
  throw new Error(`the tour waited in vain for ${what}`);
}

const lastWith = (chat, text) => [...chat.messages].reverse().find((m) => m.from_bot && (m.text || "").includes(text));
const withButton = (chat, label) => [...chat.messages].reverse().find((m) => m.buttons.some((row) => row.some((b) => b.text === label)));

async function tap(label) {
  const message = await until((chat) => withButton(chat, label), `the button ${label}`);
  const button = message.buttons.flat().find((b) => b.text === label);
  await press(message.id, button.data);
}

async function see(text) { await until((chat) => lastWith(chat, text), text); }

const PERSONA = (name) => state.personas.find((p) => p.name === name).id;
const TOUR = [
  ["Olena, at the front desk, taps New case for a guest's complaint", async () => { await use(PERSONA("Olena")); await send("Нове звернення"); }],
  ["One tap for the category", async () => { await tap("Шум"); }],
  ["One message describes it", async () => { await see("Опишіть проблему"); await send("Гості з 415 шумлять після опівночі"); }],
  ["The guest's room", async () => { await see("Хто клієнт?"); await send("412"); }],
  ["Create the case", async () => { await see("Слова самого клієнта"); await tap("Створити"); }],
  ["She may give up to $2,000 a guest a day on her own", async () => { await see("Звернення K-"); await tap("Компенсувати"); }],
  ["A refund of $2,600: more than her authority", async () => { await tap("Повернення коштів"); await see("Скільки"); await send("2600"); }],
  ["She asks approval for all of it", async () => { await tap("Запросити погодження"); await see("Запит на погодження"); }],
  ["Dmytro, the shift supervisor, gets the card in Russian", async () => { await use(PERSONA("Dmytro")); await see("Нужно одобрение"); }],
  ["A large amount: one tap, and one more to be sure", async () => { await tap("Одобрить"); await see("Одобрить 2"); await tap("Одобрить"); await see("Решение принято"); }],
  ["Olena gets the answer in Ukrainian and gives the refund", async () => { await use(PERSONA("Olena")); await tap("Дати зараз"); await see("Записано"); }],
  ["Sarah, the manager, reads the Monday digest", async () => { await use(PERSONA("Sarah")); await see("Weekly digest"); }],
];

$("tour").addEventListener("click", async () => {
  const banner = $("banner");
  $("tour").disabled = true;
  try {
    for (const [index, [caption, step]] of TOUR.entries()) {
      banner.hidden = false;
      banner.textContent = `Tour ${index + 1}/${TOUR.length}: ${caption}`;
      await step();
      await pause(1200);
    }
    banner.textContent = "That was the tour. Everything you saw is the real bot: try it yourself.";
  } catch (error) {
    banner.textContent = `The tour stopped: ${error.message}`;
  } finally {
    $("tour").disabled = false;
  }
});

async function start() {
  state.personas = await api("personas");
  await use(state.personas[0].id);
  const events = new EventSource("/demo/api/events");
  events.onmessage = () => refresh();
}

start();
