// The web phone: sends what is typed to the simulator API and shows the replies as bubbles.
// Every piece of text goes in with textContent (never innerHTML), so nothing a person or the
// bot writes can become markup; the page's Content-Security-Policy allows only this script.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const phone = $("phone");
  const conversation = $("conversation");
  const country = $("country");
  const number = $("number");
  const message = $("message");
  const send = $("send");
  const resetButton = $("reset");
  const channelName = $("channel-name");
  const addressLabel = $("address");
  const messagesUrl = phone.dataset.messagesUrl;
  const resetUrl = phone.dataset.resetUrl;
  const E164 = /^\+[1-9][0-9]{6,14}$/;
  const CHANNEL_NAMES = { sms: "SMS", whatsapp: "WhatsApp" };
  const URL_PATTERN = /https?:\/\/[^\s<>"]*[^\s<>".,;:!?)'"]/g;
  const BOLD_PATTERN = /\*(\S(?:[^*\n]*\S)?)\*/g;

  let shownFor = null; // the channel and number of the last message shown
  let busy = false;

  const channel = () => document.querySelector('input[name="channel"]:checked').value;
  const address = () => country.value + number.value.replace(/\D/g, "");

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function clock() {
    return new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  function scrollDown() {
    conversation.scrollTop = conversation.scrollHeight;
  }

  // Plain text, with web addresses made into links as a phone would.
  function appendLinked(parent, text) {
    let last = 0;
    for (const match of text.matchAll(URL_PATTERN)) {
      parent.append(document.createTextNode(text.slice(last, match.index)));
      let url = null;
      try {
        url = new URL(match[0]);
      } catch {
        url = null;
      }
      if (url && (url.protocol === "https:" || url.protocol === "http:")) {
        const link = element("a", "", match[0]);
        link.href = url.href;
        link.target = "_blank";
        link.rel = "noopener noreferrer";
        parent.append(link);
      } else {
        parent.append(document.createTextNode(match[0]));
      }
      last = match.index + match[0].length;
    }
    parent.append(document.createTextNode(text.slice(last)));
  }

  // WhatsApp shows *words* in bold; an SMS phone shows the asterisks as they are.
  function appendBody(parent, text, channelId) {
    if (channelId !== "whatsapp") {
      appendLinked(parent, text);
      return;
    }
    let last = 0;
    for (const match of text.matchAll(BOLD_PATTERN)) {
      appendLinked(parent, text.slice(last, match.index));
      const strong = element("strong");
      appendLinked(strong, match[1]);
      parent.append(strong);
      last = match.index + match[0].length;
    }
    appendLinked(parent, text.slice(last));
  }

  function note(text, kind) {
    const line = element("p", "note" + (kind ? " " + kind : ""), text);
    line.setAttribute("dir", "auto");
    conversation.append(line);
    scrollDown();
    return line;
  }

  function bubble(side, text, channelId) {
    const row = element("div", "bubble " + side);
    const body = element("div", "body");
    body.setAttribute("dir", "auto");
    appendBody(body, text, channelId);
    row.append(body);
    const footer = element("div", "footer");
    footer.append(element("span", "badges"), element("time", "time", clock()));
    row.append(footer);
    conversation.append(row);
    scrollDown();
    return row;
  }

  function badge(row, kind, text, title) {
    const node = element("span", "badge " + kind, text);
    if (title) node.title = title;
    row.querySelector(".badges").append(node);
  }

  // A divider when the channel or number changes, as the conversation is a different one.
  function markConversation(channelId, from) {
    const key = channelId + " " + from;
    if (shownFor !== key) {
      if (shownFor !== null) note(CHANNEL_NAMES[channelId] + " · " + from, "divider");
      shownFor = key;
    }
  }

  function showReplies(data, channelId) {
    const replies = Array.isArray(data.replies) ? data.replies : [];
    const route = data.topic || data.intent || "";
    if (replies.length === 0) {
      const line = note("No reply (" + route + (data.language ? ", " + data.language : "") + ")", "quiet");
      line.dataset.topic = route;
      return;
    }
    for (const reply of replies) {
      const replyChannel = reply.channel || channelId;
      const row = bubble("in", String(reply.body ?? ""), replyChannel);
      row.dataset.topic = route;
      row.dataset.intent = data.intent || "";
      row.dataset.language = data.language || "";
      if (data.language) row.lang = data.language;
      if (replyChannel === "sms") {
        const segments = Number(reply.segments);
        badge(row, "segments", segments + (segments === 1 ? " segment" : " segments"), "SMS segments billed");
        badge(row, "encoding", String(reply.encoding), "SMS encoding");
      }
      badge(row, "topic", route, "routed topic or intent");
      if (data.intent && data.intent !== route) badge(row, "intent", data.intent, "intent");
      if (data.language) badge(row, "language", data.language, "reply language");
    }
  }

  function setBusy(value) {
    busy = value;
    send.disabled = value;
    resetButton.disabled = value;
    phone.setAttribute("aria-busy", value ? "true" : "false");
  }

  async function post(url, payload) {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(payload),
      credentials: "same-origin",
    });
    let data = {};
    try {
      data = await response.json();
    } catch {
      data = {};
    }
    if (!response.ok) throw new Error(data.error || "HTTP " + response.status);
    return data;
  }

  function checkedAddress() {
    const from = address();
    if (E164.test(from)) return from;
    note("Enter a phone number: the digits after the country code.", "error");
    number.focus();
    return null;
  }

  async function submit() {
    const text = message.value;
    if (busy || text.trim() === "") return;
    const from = checkedAddress();
    if (from === null) return;
    const channelId = channel();
    markConversation(channelId, from);
    bubble("out", text, channelId);
    message.value = "";
    grow();
    setBusy(true);
    const typing = element("div", "bubble in typing");
    typing.setAttribute("aria-label", "The bot is answering");
    typing.append(element("span"), element("span"), element("span"));
    conversation.append(typing);
    scrollDown();
    try {
      const data = await post(messagesUrl, { from: from, body: text, channel: channelId });
      typing.remove();
      showReplies(data, channelId);
    } catch (error) {
      typing.remove();
      note("Not delivered: " + error.message, "error");
    } finally {
      setBusy(false);
      message.focus();
    }
  }

  async function reset() {
    if (busy) return;
    const from = checkedAddress();
    if (from === null) return;
    setBusy(true);
    try {
      await post(resetUrl, { from: from, channel: channel() });
      conversation.replaceChildren();
      shownFor = null;
      note("Conversation reset: the bot has forgotten " + from + ".", "quiet");
    } catch (error) {
      note("Reset failed: " + error.message, "error");
    } finally {
      setBusy(false);
      message.focus();
    }
  }

  function showAddress() {
    const channelId = channel();
    phone.dataset.channel = channelId;
    channelName.textContent = CHANNEL_NAMES[channelId];
    addressLabel.textContent = address();
    message.placeholder = channelId === "whatsapp" ? "Message" : "Text message";
  }

  function grow() {
    message.style.height = "auto";
    message.style.height = Math.min(message.scrollHeight, 120) + "px";
  }

  let example = country.selectedOptions[0].dataset.example;
  number.value = example;
  country.addEventListener("change", () => {
    const next = country.selectedOptions[0].dataset.example;
    if (number.value === "" || number.value === example) number.value = next;
    example = next;
    showAddress();
  });
  number.addEventListener("input", showAddress);
  for (const radio of document.querySelectorAll('input[name="channel"]')) {
    radio.addEventListener("change", showAddress);
  }
  $("sender").addEventListener("submit", (event) => event.preventDefault());
  $("compose").addEventListener("submit", (event) => {
    event.preventDefault();
    submit();
  });
  message.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submit();
    }
  });
  message.addEventListener("input", grow);
  resetButton.addEventListener("click", reset);
  showAddress();
  phone.dataset.ready = "true";
})();
