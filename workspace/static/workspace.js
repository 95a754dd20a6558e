// The local workspace's page: actions go to the server as JSON, live changes come back over
// a WebSocket and replace the fragments of the page they concern. No build step.
(function () {
  "use strict";
  const body = document.body;
  const me = body.dataset.as;
  const pane = body.dataset.pane;
  const channel = body.dataset.channel;

  function notice(text) {
    const box = document.getElementById("notice");
    keepLatestInView(function () {
      box.textContent = text;
      box.hidden = !text;
    });
    if (text) {
      setTimeout(function () {
        if (box.textContent === text) keepLatestInView(function () { box.hidden = true; });
      }, 6000);
    }
  }

  // The notice takes room from the messages: one that showed the newest still shows it.
  function keepLatestInView(change) {
    const list = document.querySelector(".messages");
    const atEnd = list && list.scrollHeight - list.scrollTop - list.clientHeight < 16;
    change();
    if (atEnd) list.scrollTop = list.scrollHeight;
  }

  async function act(what, data) {
    const answer = await fetch("/act/" + what, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(Object.assign({ as: me }, data || {})),
    });
    if (!answer.ok) {
      let text = "Something went wrong (" + answer.status + ")";
      try { text = (await answer.json()).error || text; } catch (e) { /* not JSON */ }
      notice(text);
      return false;
    }
    return true;
  }

  // --- live updates -------------------------------------------------------------------------
  const pending = new Set();
  let timer = null;

  async function refresh(what) {
    const target = document.querySelector('[data-fragment="' + what + '"]') ||
      (what === "status" ? document.getElementById("status") : null);
    if (!target) return;
    const query = new URLSearchParams({ as: me });
    if (what === "messages") query.set("channel", channel);
    const answer = await fetch("/fragment/" + what + "?" + query.toString());
    if (!answer.ok) return;
    const html = await answer.text();
    // Keep the keyboard where it was: remember the focused button by what it does.
    const focused = document.activeElement;
    const key = focused && target.contains(focused) ? focusKey(focused) : null;
    target.innerHTML = html;
    if (key) {
      const again = target.querySelector(key);
      if (again) again.focus();
    } else if (what === "messages") {
      toLatest();
    }
  }

  // The newest message is at the bottom, above the message box, as in Slack.
  function toLatest() {
    const list = document.querySelector(".messages");
    const all = document.querySelectorAll(".messages article");
    if (!list || !all.length) return;
    if (getComputedStyle(list).overflowY === "auto") list.scrollTop = list.scrollHeight;
    else all[all.length - 1].scrollIntoView({ block: "end" });  // a narrow window: the page scrolls
  }
  if (pane === "channel") toLatest();

  function focusKey(element) {
    const article = element.closest("[data-ts]");
    const scope = article ? '[data-ts="' + article.dataset.ts + '"] ' : "";
    if (element.dataset.react) return scope + '[data-react="' + element.dataset.react + '"]';
    if (element.dataset.actionId) return scope + '[data-action-id="' + element.dataset.actionId + '"][data-value="' + (element.dataset.value || "") + '"]';
    if (element.id) return "#" + element.id;
    return null;
  }

  function schedule(what) {
    pending.add(what);
    if (timer) return;
    timer = setTimeout(function () {
      timer = null;
      const all = Array.from(pending);
      pending.clear();
      all.forEach(refresh);
    }, 40);
  }

  function connect() {
    const socket = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/live");
    socket.onmessage = function (message) {
      const change = JSON.parse(message.data);
      if (change.kind === "reset") { location.reload(); return; }
      if (change.kind === "channel" && pane === "channel" && change.id === channel) schedule("messages");
      if (change.kind === "channel" && pane === "home" && change.id === "D" + me.replace(/^U/, "")) schedule("home");
      if (change.kind === "home" && pane === "home" && change.user === me) schedule("home");
      if (change.kind === "log" && pane === "developer") schedule("log");
      if (change.kind === "clock" || change.kind === "app") schedule("status");
    };
    socket.onopen = function () {
      // Whatever changed between the page's render and now is fetched once the socket listens.
      body.dataset.live = "on";
      if (pane === "channel") schedule("messages");
      if (pane === "home") { schedule("home"); if (!homeOpened) { homeOpened = true; act("open-home"); } }
      if (pane === "developer") schedule("log");
      schedule("status");
    };
    socket.onclose = function () { body.dataset.live = "off"; setTimeout(connect, 1000); };
  }
  let homeOpened = false;
  connect();
  // The workspace's clock runs on between changes: its line in the top bar too.
  setInterval(function () { schedule("status"); }, 30000);

  // --- buttons: reactions, Block Kit actions, the clock, start over ---------------------------
  document.addEventListener("click", async function (event) {
    const button = event.target.closest("button");
    if (!button || button.disabled) return;
    const article = button.closest("[data-ts]");
    if (button.dataset.react && article) {
      await act("react", { channel: article.dataset.channel, ts: article.dataset.ts, name: button.dataset.react });
    } else if (button.dataset.actionId) {
      const data = {
        action_id: button.dataset.actionId,
        block_id: button.dataset.blockId || "",
        value: button.dataset.value || "",
        text: button.textContent.trim(),
      };
      if (article) { data.channel = article.dataset.channel; data.ts = article.dataset.ts; }
      button.disabled = true;
      await act("click", data);
      button.disabled = false;
    } else if (button.dataset.control) {
      button.disabled = true;
      await act(button.dataset.control);
    } else if (button.id === "suggest") {
      const box = document.getElementById("message-box");
      box.value = "/progression ";
      box.focus();
      showSuggestion(box);
    }
  });

  // --- the message box ----------------------------------------------------------------------
  const composer = document.getElementById("composer");
  const box = document.getElementById("message-box");
  function showSuggestion(input) {
    const suggestion = document.getElementById("suggestion");
    const text = input.value;
    suggestion.hidden = !(text.startsWith("/") && "/progression ".startsWith(text.split(" ")[0] + (text.includes(" ") ? " " : "")));
  }
  if (composer && box) {
    box.addEventListener("input", function () { showSuggestion(box); });
    box.addEventListener("keydown", function (event) {
      const suggestion = document.getElementById("suggestion");
      if (event.key === "Tab" && !suggestion.hidden && !box.value.startsWith("/progression ")) {
        event.preventDefault();
        box.value = "/progression ";
        showSuggestion(box);
      }
    });
    composer.addEventListener("submit", async function (event) {
      event.preventDefault();
      const text = box.value.trim();
      if (!text) return;
      if (!text.startsWith("/")) {
        notice("This local workspace only sends slash commands: try /progression help");
        return;
      }
      box.value = "";
      showSuggestion(box);
      await act("command", { channel: channel, text: text });
    });
  }

  // --- who you are: choosing a person switches to them ---------------------------------------
  // Picked with the pointer, at once; going through the list by keyboard, on Enter or on
  // leaving the list, so that the arrow keys do not load a page at every step. Without
  // JavaScript, the Switch button does it.
  const who = document.getElementById("as");
  if (who) {
    let byKeyboard = false;
    const switchTo = function () { if (who.value !== me) who.form.requestSubmit(); };
    who.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); switchTo(); } else if (event.key !== "Tab") byKeyboard = true;
    });
    who.addEventListener("pointerdown", function () { byKeyboard = false; });
    who.addEventListener("change", function () { if (!byKeyboard) switchTo(); });
    who.addEventListener("blur", switchTo);
  }

  // Opening the App Home is an app_home_opened event, as in Slack: sent once the live socket
  // listens (above), so the view the app publishes in answer is not missed.
})();
