/* The agent console: a single page over the hub's console API (/api/console) and its websocket.

   Safety rules this file keeps: everything that came from the server or a customer is put into the page with
   textContent (never innerHTML), is never used as a URL (a conversation id only goes into an API path after it
   passed ID_PATTERN and encodeURIComponent), never as an attribute name and never as HTML. Links are not
   created from text. Every write sends the CSRF token (cookie hub_csrf) as X-CSRF-Token.

   What the inbox does the same way (words, the DOM builder h, Beijing times, the API call, toasts, the sign-in form,
   the websocket) is in staff.js (window.StaffPage), loaded before this file. */
"use strict";

(() => {
  const STRINGS = window.CONSOLE_I18N;
  const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
  const REQUEST_NUMBER_PATTERN = /^SR\d{10}$/;
  const REQUESTS_REFRESH_MS = 15000;
  const QUEUE_REFRESH_MS = 10000;
  const OVERVIEW_REFRESH_MS = 5000;
  const TYPING_SEND_MS = 1000;
  const TYPING_SHOW_MS = 5000;
  const CONSOLE_ROLES = new Set(["agent", "supervisor", "admin"]);

  // ---- state ---------------------------------------------------------------------------------------------

  const state = {
    lang: StaffPage.initialLanguage(),
    me: null,
    config: null,
    csrf: "",
    presence: "offline",
    presenceBusy: false,
    helloSeen: false,
    offers: new Map(), // conversation id -> offer
    chats: new Map(), // conversation id -> chat (mine)
    activeId: null,
    queue: [],
    queueAt: 0,
    canned: [],
    overview: null,
    overviewAt: 0,
    watch: null, // a chat followed read-only (supervisors)
    tab: "workspace",
    side: "packet",
    timers: [],
    signOutArmed: 0,
    cannedEditing: null,
    cannedDeleteArmed: null,
    lastQueueFetch: 0,
    lastOverviewFetch: 0,
    serviceRequests: null, // every service request (supervisors): GET /api/inbox/requests?scope=all
    serviceRequestsAt: null,
    serviceRequestsError: "",
    lastRequestsFetch: 0,
    requestsBusy: false,
    requestsAgain: false,
    outbox: null, // webhooks not delivered: GET /api/console/outbox?state=
    outboxState: "dead",
    outboxError: "",
    outboxBusy: new Set(), // ids being retried
    requestView: null, // the number shown read-only in the request dialog
    generation: 0, // bumped at every sign-in and sign-out: late answers of an old session are dropped
  };

  const $ = (id) => document.getElementById(id);

  const { h, parseTime, shanghai, hhmm, announce } = StaffPage;

  // ---- words ---------------------------------------------------------------------------------------------

  const words = StaffPage.words([STRINGS], () => state.lang);
  const { t, has, label, stageLabel, formatValue, humanWait, senderName, stateBadge, requestEventText } = words;

  function skillLabel(code) {
    const found = state.config && state.config.skills.find((s) => s.code === code);
    if (found) return state.lang === "en" ? found.en : found.zh;
    return code ? String(code) : "—";
  }

  function wrapupLabel(code) {
    const found = state.config && state.config.wrapup_codes.find((s) => s.code === code);
    if (found) return state.lang === "en" ? found.en : found.zh;
    return String(code);
  }

  function languageLabel(code) {
    return code === "en" || code === "zh" ? t("lang_" + code) : code ? String(code) : "—";
  }

  function applyStaticWords() {
    document.title = t("doc_title");
    StaffPage.applyWords(state.lang, t);
  }

  function setLanguage(lang) {
    state.lang = StaffPage.saveLanguage(lang);
    applyStaticWords();
    renderAll();
  }

  // ---- small helpers -------------------------------------------------------------------------------------

  function safeId(id) {
    return typeof id === "string" && ID_PATTERN.test(id);
  }

  function chatPath(id, tail) {
    if (!safeId(id)) throw new Error("bad conversation id");
    return "/api/console/chats/" + encodeURIComponent(id) + (tail || "");
  }

  function shortId(id) {
    return "#" + String(id || "").slice(0, 6);
  }

  function codePoints(text) {
    return Array.from(text).length;
  }

  function duration(seconds) {
    const total = Math.max(0, Math.floor(seconds || 0));
    const hours = Math.floor(total / 3600);
    const minutes = Math.floor((total % 3600) / 60);
    const secs = total % 60;
    if (hours) return `${hours}:${String(minutes).padStart(2, "0")}:${String(secs).padStart(2, "0")}`;
    return `${minutes}:${String(secs).padStart(2, "0")}`;
  }

  function newUuid() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
    const bytes = window.crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  function supervises() {
    return StaffPage.supervises(state.me);
  }

  /** Re-render a list wholesale but keep the keyboard focus on the element with the same data-key. */
  function keepFocus(container, render) {
    const active = document.activeElement;
    const key = active && container.contains(active) ? active.dataset.key : null;
    render();
    if (key) {
      for (const el of container.querySelectorAll("[data-key]")) {
        if (el.dataset.key === key) {
          el.focus();
          break;
        }
      }
    }
  }

  // ---- announcements and toasts -------------------------------------------------------------------------

  function toast(text, kind) {
    StaffPage.toast(text, kind, { keep: 4, closeLabel: "×" });
  }

  function errorText(error) {
    if (!error) return t("err_generic", { message: "?" });
    if (error.code === "network") return t("err_network");
    if (error.code === "csrf_failed") return t("err_csrf");
    if (String(error.code || "").startsWith("offer_") && has("offer_" + error.code))
      return t("offer_" + error.code);
    return t("err_generic", { message: error.message || error.code || "?" });
  }

  // ---- the API -------------------------------------------------------------------------------------------

  const api = StaffPage.apiClient({
    t,
    generation: () => state.generation,
    signedIn: () => Boolean(state.me),
    csrf: () => state.csrf,
    expired: () => signedOut(t("session_expired")),
  });

  // ---- views ---------------------------------------------------------------------------------------------

  const VIEWS = ["loading", "signin", "manager", "app"];
  const showView = (name) => StaffPage.showView(VIEWS, name);
  const showSignInError = StaffPage.showSignInError;

  // ---- sign-in and sign-out ------------------------------------------------------------------------------

  function onSignIn(event) {
    return StaffPage.submitSignIn(event, {
      api,
      t,
      humanWait,
      started: async (data) => {
        state.csrf = data.csrf_token;
        await start(data.user);
      },
    });
  }

  async function onSignOut(event) {
    const button = event.currentTarget;
    const open = state.chats.size;
    if (open > 0 && Date.now() > state.signOutArmed) {
      state.signOutArmed = Date.now() + 5000;
      button.textContent = t("sign_out_confirm", { count: open });
      window.setTimeout(() => {
        if (Date.now() >= state.signOutArmed) button.textContent = t("sign_out");
      }, 5100);
      return;
    }
    state.signOutArmed = 0;
    button.textContent = t("sign_out");
    try {
      await api("DELETE", "/api/console/session");
    } catch (error) {
      if (error.code !== "not_signed_in") toast(errorText(error), "error");
      if (error.code === "network") return;
    }
    signedOut("");
  }

  /** Forget everything of the session and show the sign-in form (with a reason, if any). */
  function signedOut(reason) {
    state.generation += 1;
    socket.stop();
    for (const timer of state.timers) window.clearInterval(timer);
    state.timers = [];
    state.me = null;
    state.helloSeen = false;
    state.config = null;
    state.offers.clear();
    state.chats.clear();
    state.activeId = null;
    state.queue = [];
    state.overview = null;
    state.watch = null;
    state.canned = [];
    state.cannedEditing = null;
    state.serviceRequests = null;
    state.serviceRequestsAt = null;
    state.outbox = null;
    state.outboxBusy.clear();
    state.requestView = null;
    state.csrf = "";
    for (const dialog of document.querySelectorAll("dialog[open]")) dialog.close();
    // Nothing of the last session's customers stays in the page.
    transcriptView.clear();
    watchView.clear();
    for (const id of ["offers", "my-chats", "queue", "side-packet", "side-suggestions", "side-canned", "watch-packet",
      "watch-sub", "ov-skills", "ov-agents", "ov-chats", "canned-table", "announcer", "toasts", "manager-text",
      "sr-table", "ob-table", "request-view", "dlg-request-h"])
      $(id).replaceChildren();
    for (const el of document.querySelectorAll("textarea, #canned-title")) el.value = "";
    $("chat-view").hidden = true;
    $("chat-empty").hidden = false;
    $("side").hidden = true;
    showView("signin");
    showSignInError(reason || "");
    document.title = t("doc_title");
  }

  async function boot() {
    applyStaticWords();
    bindEvents();
    try {
      const me = await api("GET", "/api/console/me");
      await start(me);
    } catch (error) {
      showView("signin");
      if (error.status !== 401) showSignInError(error.code === "network" ? t("err_network") : errorText(error));
    }
  }

  async function start(user) {
    state.generation += 1;
    state.me = user;
    if (!CONSOLE_ROLES.has(user.role)) {
      $("manager-text").textContent = t("manager_text", { name: user.display_name });
      showView("manager");
      return;
    }
    state.config = await api("GET", "/api/console/config");
    state.presence = user.presence || "offline";
    $("tab-supervisor").hidden = !supervises();
    $("tab-canned").hidden = !supervises();
    $("nav-analytics").hidden = !supervises();
    selectTab("workspace", false);
    showView("app");
    renderAll();
    await refreshMine();
    socket.connect();
    refreshQueue();
    loadCanned();
    if (supervises()) refreshOverview();
    state.timers.push(window.setInterval(tick, 1000));
    state.timers.push(window.setInterval(() => refreshQueue(), QUEUE_REFRESH_MS));
    state.timers.push(
      window.setInterval(() => {
        if (supervises()) refreshOverview();
      }, OVERVIEW_REFRESH_MS),
    );
    state.timers.push(
      window.setInterval(() => {
        if (supervises() && state.tab === "supervisor") refreshServiceRequests(true);
      }, REQUESTS_REFRESH_MS),
    );
  }

  // ---- the websocket -------------------------------------------------------------------------------------

  const socket = new StaffPage.Socket({
    signedIn: () => Boolean(state.me),
    onEvent: handleEvent,
    onExpired: () => signedOut(t("session_expired")),
    onRefused: () => toast(t("conn_refused"), "error"),
    onState: renderConn,
  });

  function renderConn() {
    socket.render(t);
  }

  function onHello(event) {
    socket.hello(event);
    // Back after an outage as "offline" though the agent was present: the hub let them go meanwhile.
    if (state.helloSeen && event.presence === "offline" && state.presence !== "offline") toast(t("presence_lost"), "warn");
    state.helloSeen = true;
    setPresence(event.presence);
    // Catch up on what happened while the socket was down: each open chat from its last seq, then the lists.
    for (const chat of state.chats.values()) {
      if (chat.detail) socket.send({ type: "resume", conversation_id: chat.id, last_seq: chat.lastSeq });
    }
    if (state.watch) {
      socket.send({ type: "watch", conversation_id: state.watch.id });
      if (state.watch.detail) socket.send({ type: "resume", conversation_id: state.watch.id, last_seq: state.watch.lastSeq });
    }
    refreshMine();
    refreshQueue(true);
    if (supervises()) refreshOverview(true);
    if (supervises()) refreshServiceRequests(true);
  }

  function handleEvent(event) {
    const id = event.conversation_id;
    switch (event.type) {
      case "hello":
        onHello(event);
        break;
      case "heartbeat":
        // "offline" here while the agent meant to be present: the hub let them go (no heartbeat for too long).
        if (event.presence === "offline" && state.presence !== "offline" && !state.presenceBusy)
          toast(t("presence_lost"), "warn");
        setPresence(event.presence);
        break;
      case "presence":
        setPresence(event.presence);
        break;
      case "offer":
        if (safeId(id)) onOffer(event);
        break;
      case "offer_withdrawn":
        if (safeId(id)) onOfferWithdrawn(id, event.reason);
        break;
      case "chat_assigned":
        if (safeId(id)) onChatAssigned(event);
        break;
      case "chat_removed":
        if (safeId(id)) onChatRemoved(id, event.reason);
        break;
      case "queue_changed":
        refreshQueue();
        if (supervises()) refreshOverview();
        break;
      case "message":
        if (safeId(id) && event.message && typeof event.message === "object") onPushedMessage(id, event.message);
        break;
      case "typing":
        if (safeId(id) && event.sender === "customer") onTyping(id);
        break;
      case "mode":
        for (const chat of chatsFor(id)) {
          if (chat.detail) chat.detail.mode = event.mode;
        }
        break;
      case "closed":
        for (const chat of chatsFor(id)) {
          chat.closed = true;
          if (chat.detail) chat.detail.state = "ended";
        }
        renderWatch();
        break;
      case "service_requests_changed":
        if (supervises()) refreshServiceRequests(false);
        break;
      default:
        break; // pong, satisfaction_request, service_request, error: nothing to show
    }
  }

  function chatsFor(id) {
    const found = [];
    if (state.chats.has(id)) found.push(state.chats.get(id));
    if (state.watch && state.watch.id === id && !found.includes(state.watch)) found.push(state.watch);
    return found;
  }

  // ---- presence ------------------------------------------------------------------------------------------

  function setPresence(presence) {
    if (presence !== "online" && presence !== "away" && presence !== "offline") return;
    state.presence = presence;
    $("presence").value = presence;
    $("presence").dataset.presence = presence;
  }

  async function onPresenceChange(event) {
    const wanted = event.target.value;
    const before = state.presence;
    state.presenceBusy = true;
    try {
      const me = await api("PUT", "/api/console/me/presence", { status: wanted });
      state.me = { ...state.me, ...me };
      setPresence(me.presence);
      renderHeader();
    } catch (error) {
      setPresence(before);
      toast(errorText(error), "error");
    } finally {
      state.presenceBusy = false;
    }
  }

  // ---- offers --------------------------------------------------------------------------------------------

  function offerFrom(id, handoff, expiresAt, lastMessage) {
    return {
      id,
      handoff: handoff || {},
      expiresAt: parseTime(expiresAt),
      receivedAt: performance.now(),
      lastMessage: lastMessage || null,
      busy: false,
    };
  }

  function onOffer(event) {
    const previous = state.offers.get(event.conversation_id);
    const offer = offerFrom(
      event.conversation_id,
      event.handoff,
      event.expires_at,
      event.last_message || (previous && previous.lastMessage),
    );
    state.offers.set(offer.id, offer);
    renderOffers();
    const handoff = offer.handoff;
    announce(
      t("offer_announce", {
        reason: label("reason_", handoff.reason),
        skill: skillLabel(handoff.skill),
        priority: label("priority_", handoff.priority),
      }),
    );
    const box = $("offers-section");
    box.classList.remove("flash");
    void box.offsetWidth; // restart the animation
    box.classList.add("flash");
  }

  function onOfferWithdrawn(id, reason) {
    if (!state.offers.delete(id)) return;
    renderOffers();
    const key = "offer_withdrawn_" + reason;
    let text = has(key) ? t(key) : t("offer_withdrawn_other", { reason: String(reason || "") });
    if (reason === "expired") text += " " + t("presence_changed_away");
    toast(text, "warn");
  }

  function offerSecondsLeft(offer) {
    const limit = (state.config && state.config.offer_timeout_seconds) || 30;
    if (!offer.expiresAt) return limit;
    const left = (offer.expiresAt.getTime() - Date.now()) / 1000;
    return Math.max(0, Math.min(limit, left));
  }

  function offerWaited(offer) {
    return (offer.handoff.waited_seconds || 0) + (performance.now() - offer.receivedAt) / 1000;
  }

  function renderOffers() {
    const list = $("offers");
    const offers = [...state.offers.values()];
    keepFocus(list, () => {
      list.replaceChildren(
        ...offers.map((offer) => {
          const handoff = offer.handoff;
          const priority = handoff.priority || "normal";
          const countdown = h("span", { class: "offer-countdown", "data-role": "countdown" });
          const waited = h("span", { class: "offer-waited", "data-role": "waited" });
          const bar = h("span", { class: "offer-bar-fill", "data-role": "bar" });
          const item = h(
            "li",
            { class: "offer offer-" + priority, "data-cid": offer.id },
            h(
              "div",
              { class: "offer-top" },
              h("span", { class: "badge priority-" + priority, text: label("priority_", priority) }),
              h("span", { class: "offer-skill", text: skillLabel(handoff.skill) }),
              h("span", { class: "offer-lang", text: languageLabel(handoff.language) }),
            ),
            h("div", { class: "offer-reason", text: label("reason_", handoff.reason) }),
            h("div", { class: "offer-stage muted", text: stageLabel(handoff.journey_stage) }),
            offer.lastMessage ? h("div", { class: "offer-last", text: offer.lastMessage }) : null,
            h("div", { class: "offer-times" }, waited, countdown),
            h("span", { class: "offer-bar", "aria-hidden": "true" }, bar),
            h(
              "div",
              { class: "offer-buttons" },
              h("button", {
                type: "button",
                class: "primary offer-accept",
                key: "accept:" + offer.id,
                text: t("accept"),
                disabled: offer.busy,
                onclick: () => acceptOffer(offer.id),
              }),
              h("button", {
                type: "button",
                class: "offer-decline",
                key: "decline:" + offer.id,
                text: t("decline"),
                disabled: offer.busy,
                onclick: () => declineOffer(offer.id),
              }),
            ),
          );
          item._refs = { countdown, waited, bar, offer };
          return item;
        }),
      );
    });
    $("offers-empty").hidden = offers.length > 0;
    $("offers-count").textContent = offers.length ? String(offers.length) : "";
    $("offers-section").classList.toggle("has-offers", offers.length > 0);
    if (!offers.length) $("offers-section").classList.remove("flash");
    const badge = $("tab-offer-badge");
    badge.hidden = offers.length === 0;
    badge.textContent = offers.length ? String(offers.length) : "";
    document.title = (offers.length ? `(${offers.length}) ` : "") + t("doc_title");
    tickOffers();
  }

  function tickOffers() {
    const limit = (state.config && state.config.offer_timeout_seconds) || 30;
    for (const item of $("offers").children) {
      const refs = item._refs;
      if (!refs) continue;
      const left = offerSecondsLeft(refs.offer);
      refs.countdown.textContent = left >= 1 ? t("offer_expires", { seconds: Math.ceil(left) }) : t("offer_expiring");
      refs.waited.textContent = t("waited", { time: duration(offerWaited(refs.offer)) });
      refs.bar.style.width = `${Math.round((left / limit) * 100)}%`;
      item.classList.toggle("offer-ending", left < 10);
    }
  }

  async function acceptOffer(id) {
    const offer = state.offers.get(id);
    if (!offer || offer.busy) return;
    offer.busy = true;
    renderOffers();
    try {
      await api("POST", chatPath(id, "/accept"));
      state.offers.delete(id);
      const chat = ensureChat(id, null);
      renderOffers();
      openChat(chat.id);
      loadChat(chat);
    } catch (error) {
      if (error.code === "stale") return;
      offer.busy = false;
      if (["offer_taken", "offer_expired", "offer_gone", "offer_not_offered"].includes(error.code))
        state.offers.delete(id);
      renderOffers();
      toast(errorText(error), "error");
    }
  }

  async function declineOffer(id) {
    const offer = state.offers.get(id);
    if (!offer || offer.busy) return;
    offer.busy = true;
    renderOffers();
    try {
      await api("POST", chatPath(id, "/decline"));
    } catch (error) {
      if (error.code === "stale") return;
      if (error.code !== "offer_not_offered") toast(errorText(error), "error");
    }
    state.offers.delete(id);
    renderOffers();
  }

  // ---- my chats ------------------------------------------------------------------------------------------

  function newChat(id, summary) {
    return {
      id,
      summary,
      detail: null,
      messages: new Map(),
      lastSeq: 0,
      seenSeq: 0,
      pending: [],
      sent: new Set(), // seqs of the replies sent from this page (shown as "sent")
      typingUntil: 0,
      typingSentAt: 0,
      suggestions: null,
      suggestionsFor: null,
      suggestionsBusy: false,
      loading: null,
      filling: false,
      closed: false,
      draft: "",
      addedAt: performance.now(),
    };
  }

  function ensureChat(id, summary) {
    let chat = state.chats.get(id);
    if (!chat) {
      chat = newChat(id, summary);
      state.chats.set(id, chat);
    } else if (summary) {
      chat.summary = summary;
    }
    return chat;
  }

  /** Offers (state offered) and chats (state assigned) from GET /chats?scope=mine: on load and reconnect. */
  async function refreshMine() {
    const started = performance.now();
    let data;
    try {
      data = await api("GET", "/api/console/chats?scope=mine");
    } catch (error) {
      if (error.code !== "stale" && error.status !== 401) toast(errorText(error), "error");
      return;
    }
    const offers = new Set();
    const chats = new Set();
    for (const summary of data.chats) {
      const id = summary.conversation_id;
      if (!safeId(id)) continue;
      if (summary.state === "offered") {
        offers.add(id);
        const existing = state.offers.get(id);
        const offer = offerFrom(id, summary.handoff, summary.offer_expires_at, summary.last_message);
        if (existing) offer.busy = existing.busy;
        state.offers.set(id, offer);
      } else if (summary.state === "assigned") {
        chats.add(id);
        const chat = ensureChat(id, summary);
        if (!chat.detail && !chat.loading) loadChat(chat);
      }
    }
    for (const [id, offer] of state.offers) if (!offers.has(id) && offer.receivedAt < started) state.offers.delete(id);
    for (const [id, chat] of state.chats) {
      if (!chats.has(id) && chat.addedAt < started) removeChat(id, "requeued", false);
    }
    renderOffers();
    renderMyChats();
  }

  async function loadChat(chat) {
    if (chat.loading) return chat.loading;
    chat.loading = (async () => {
      try {
        const detail = await api("GET", chatPath(chat.id));
        const first = !chat.detail;
        chat.detail = detail;
        addMessages(chat, detail.messages, false);
        if (first) chat.seenSeq = Math.max(chat.seenSeq, chat.lastSeq);
        if (chat === state.watch) renderWatch();
        else {
          renderMyChats();
          if (state.activeId === chat.id) {
            renderChat();
            loadSuggestions(chat, false);
          }
        }
      } catch (error) {
        if (error.code === "stale") return;
        if (error.status === 404 || error.status === 403) {
          if (chat !== state.watch) removeChat(chat.id, "requeued", true);
        }
        toast(errorText(error), "error");
      } finally {
        chat.loading = null;
      }
    })();
    return chat.loading;
  }

  function onChatAssigned(event) {
    const id = event.conversation_id;
    const hadOffer = state.offers.delete(id);
    const chat = ensureChat(id, null);
    renderOffers();
    renderMyChats();
    loadChat(chat);
    if (event.kind === "transferred") {
      toast(t("assigned_transferred", { id: shortId(id) }), "info");
      if (event.note) toast(t("assigned_note", { note: String(event.note) }), "info");
    }
    if (!hadOffer && !state.activeId && state.tab === "workspace") openChat(id);
    refreshQueue();
  }

  function onChatRemoved(id, reason) {
    if (state.offers.delete(id)) renderOffers();
    if (state.chats.has(id)) removeChat(id, reason, false);
  }

  function removeChat(id, reason, quiet) {
    if (!state.chats.delete(id)) return;
    if (state.activeId === id) state.activeId = null;
    if (dialogChat === id) {
      for (const dialogId of ["dlg-transfer", "dlg-handback", "dlg-close"]) if ($(dialogId).open) $(dialogId).close();
      dialogChat = null;
    }
    if (!quiet) {
      const key = "removed_" + reason;
      const text = has(key) ? t(key) : t("removed_other", { reason: String(reason || "") });
      toast(`${shortId(id)} · ${text}`, reason === "agent_lost" || reason === "agent_offline" ? "warn" : "info");
    }
    renderMyChats();
    renderChat();
  }

  function unreadOf(chat) {
    let count = 0;
    for (const [seq, message] of chat.messages) if (seq > chat.seenSeq && message.sender === "customer") count += 1;
    return count;
  }

  function lastCustomerText(chat) {
    let best = null;
    for (const message of chat.messages.values()) {
      if (message.sender === "customer" && (!best || message.seq > best.seq)) best = message;
    }
    if (best) return best.text;
    return chat.summary && chat.summary.last_message ? chat.summary.last_message : null;
  }

  function handoffOf(chat) {
    return (chat.detail && chat.detail.handoff) || (chat.summary && chat.summary.handoff) || {};
  }

  function renderMyChats() {
    const list = $("my-chats");
    const chats = [...state.chats.values()];
    keepFocus(list, () => {
      list.replaceChildren(
        ...chats.map((chat) => {
          const handoff = handoffOf(chat);
          const unread = unreadOf(chat);
          const typing = chat.typingUntil > Date.now();
          const last = lastCustomerText(chat);
          const priority = handoff.priority || "normal";
          return h(
            "li",
            { class: "chat-item" + (chat.id === state.activeId ? " active" : ""), "data-cid": chat.id },
            h(
              "button",
              {
                type: "button",
                class: "chat-item-button",
                key: "chat:" + chat.id,
                "aria-current": chat.id === state.activeId ? "true" : null,
                onclick: () => openChat(chat.id),
              },
              h(
                "span",
                { class: "chat-item-top" },
                h("span", { class: "chat-item-id", text: shortId(chat.id) }),
                priority !== "normal"
                  ? h("span", { class: "badge priority-" + priority, text: label("priority_", priority) })
                  : null,
                h("span", { class: "chat-item-skill muted", text: skillLabel(handoff.skill) }),
                unread
                  ? h("span", {
                      class: "unread",
                      text: String(unread),
                      "aria-label": t("unread", { count: unread }),
                      title: t("unread", { count: unread }),
                    })
                  : null,
              ),
              h("span", {
                class: "chat-item-last" + (typing ? " typing" : ""),
                text: typing ? t("typing") : last || t("no_message"),
              }),
            ),
          );
        }),
      );
    });
    $("mine-empty").hidden = chats.length > 0;
    const capacity = state.me ? state.me.max_chats : 0;
    $("mine-count").textContent = `${chats.length}/${capacity}`;
    renderHeader();
  }

  function openChat(id) {
    const chat = state.chats.get(id);
    if (!chat) return;
    const previous = state.activeId && state.chats.get(state.activeId);
    if (previous && previous !== chat) previous.draft = $("reply").value;
    state.activeId = id;
    if (state.tab !== "workspace") selectTab("workspace", false);
    markSeen(chat);
    renderMyChats();
    renderChat();
    $("reply").value = chat.draft || "";
    updateCounter();
    if (chat.detail) loadSuggestions(chat, false);
    else loadChat(chat);
  }

  function markSeen(chat) {
    if (chat.id === state.activeId && !document.hidden && state.tab === "workspace") chat.seenSeq = chat.lastSeq;
  }

  // ---- messages ------------------------------------------------------------------------------------------

  /** Merge messages by seq (each shown once); a hole in the seqs is filled from GET .../messages?after=. */
  function addMessages(chat, messages, live) {
    let customerArrived = false;
    for (const message of messages) {
      const seq = Number(message.seq);
      if (!Number.isInteger(seq) || seq < 1 || chat.messages.has(seq)) continue;
      chat.messages.set(seq, message);
      chat.lastSeq = Math.max(chat.lastSeq, seq);
      if (message.sender === "customer") {
        customerArrived = true;
        chat.typingUntil = 0;
      }
      if (message.sender === "agent" && chat.pending.length) {
        const index = chat.pending.findIndex((p) => p.status !== "failed" && p.text === message.text);
        if (index >= 0 && state.me && message.sender_name === state.me.display_name) {
          chat.pending.splice(index, 1);
          chat.sent.add(seq);
        }
      }
      if (live && message.sender === "customer" && chat !== state.watch) {
        announce(t("new_message", { chat: shortId(chat.id), text: message.text }));
      }
    }
    if (chat.detail) fillHoles(chat);
    if (chat === state.watch) {
      renderWatch();
      const row = customerArrived && state.overview && state.overview.chats.find((c) => c.conversation_id === chat.id);
      if (row) {
        row.last_message = lastCustomerText(chat);
        renderOverview();
      }
      return;
    }
    markSeen(chat);
    if (state.activeId === chat.id) {
      transcriptView.sync(false);
      renderTyping();
      if (customerArrived && live) scheduleSuggestions(chat);
    }
    renderMyChats();
  }

  function firstHole(chat) {
    for (let seq = 1; seq <= chat.lastSeq; seq += 1) if (!chat.messages.has(seq)) return seq;
    return 0;
  }

  async function fillHoles(chat) {
    const hole = firstHole(chat);
    if (!hole || chat.filling || chat.filledFrom === hole) return;
    chat.filling = true;
    chat.filledFrom = hole;
    try {
      const data = await api("GET", chatPath(chat.id, "/messages?after=" + String(hole - 1)));
      chat.filling = false;
      addMessages(chat, data.messages, false);
      if (data.has_more) await fillHoles(chat); // a page holds at most 500: the next hole starts after it
    } catch (error) {
      chat.filling = false;
    }
  }

  function onPushedMessage(id, message) {
    // A pushed message has the customer contract's shape: the FAQ entry is inside custom, not in faq_entry.
    const faq = message.custom && typeof message.custom === "object" ? message.custom.faq : null;
    if (!message.faq_entry && message.sender === "bot" && faq && typeof faq.entry_id === "string")
      message.faq_entry = faq.entry_id;
    for (const chat of chatsFor(id)) addMessages(chat, [message], true);
  }

  function onTyping(id) {
    for (const chat of chatsFor(id)) chat.typingUntil = Date.now() + TYPING_SHOW_MS;
    renderTyping();
    renderMyChats();
    renderWatchTyping();
  }

  function messageNode(message) {
    const sender = ["customer", "bot", "agent", "system"].includes(message.sender) ? message.sender : "system";
    const time = parseTime(message.created_at);
    const buttons = Array.isArray(message.buttons) ? message.buttons : [];
    return h(
      "li",
      { class: "msg msg-" + sender, "data-seq": String(message.seq) },
      h(
        "div",
        { class: "msg-meta" },
        h("span", { class: "msg-who", text: senderName(message) }),
        time ? h("time", { class: "msg-time", datetime: time.toISOString(), text: hhmm(time) }) : null,
      ),
      h("div", { class: "msg-text", text: String(message.text == null ? "" : message.text) }),
      buttons.length
        ? h(
            "div",
            { class: "msg-buttons" },
            h("span", { class: "muted", text: t("buttons_offered") }),
            ...buttons.map((b) => h("span", { class: "chip", text: String((b && b.title) || "") })),
          )
        : null,
      message.faq_entry ? h("div", { class: "msg-faq", text: t("faq_tag", { entry: String(message.faq_entry) }) }) : null,
    );
  }

  function pendingNode(chat, pending) {
    const status =
      pending.status === "failed"
        ? h(
            "span",
            { class: "msg-status failed" },
            h("span", { text: t("failed") + (pending.error ? ` · ${pending.error}` : "") }),
            " ",
            h("button", {
              type: "button",
              class: "small-button retry",
              text: t("retry"),
              onclick: () => postPending(chat, pending),
            }),
          )
        : h("span", { class: "msg-status", text: t("sending") });
    return h(
      "li",
      { class: "msg msg-agent msg-pending" + (pending.status === "failed" ? " msg-failed" : "") },
      h(
        "div",
        { class: "msg-meta" },
        h("span", { class: "msg-who", text: state.me ? state.me.display_name : t("sender_agent") }),
        h("span", { class: "msg-time", text: hhmm(pending.at) }),
      ),
      h("div", { class: "msg-text", text: pending.text }),
      status,
    );
  }

  /** A transcript list kept in step with a chat: new seqs are inserted in place, nothing is re-drawn. */
  class TranscriptView {
    constructor(list) {
      this.list = list;
      this.chat = null;
      this.nodes = new Map();
      this.sentSeqs = new Set();
    }

    show(chat) {
      this.chat = chat;
      this.nodes = new Map();
      this.sentSeqs = new Set();
      this.list.replaceChildren();
      this.sync(true);
    }

    clear() {
      this.chat = null;
      this.nodes = new Map();
      this.list.replaceChildren();
    }

    redraw() {
      if (this.chat) this.show(this.chat);
    }

    sync(toBottom) {
      const chat = this.chat;
      if (!chat) return;
      const list = this.list;
      const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 120;
      const seqs = [...chat.messages.keys()].sort((a, b) => a - b);
      let next = null;
      for (let i = seqs.length - 1; i >= 0; i -= 1) {
        const seq = seqs[i];
        let node = this.nodes.get(seq);
        if (!node) {
          node = messageNode(chat.messages.get(seq));
          this.nodes.set(seq, node);
          list.insertBefore(node, next || this.firstPending());
        }
        if (chat.sent.has(seq) && !node.querySelector(".msg-status"))
          node.append(h("span", { class: "msg-status sent", text: "✓ " + t("sent") }));
        next = node;
      }
      for (const node of list.querySelectorAll(".msg-pending")) node.remove();
      for (const pending of chat.pending) list.append(pendingNode(chat, pending));
      if (toBottom || nearBottom) list.scrollTop = list.scrollHeight;
    }

    firstPending() {
      return this.list.querySelector(".msg-pending");
    }
  }

  const transcriptView = new TranscriptView(document.getElementById("transcript"));
  const watchView = new TranscriptView(document.getElementById("watch-transcript"));

  // ---- the chat view -------------------------------------------------------------------------------------

  function activeChat() {
    return state.activeId ? state.chats.get(state.activeId) || null : null;
  }

  function renderChat() {
    const chat = activeChat();
    $("chat-empty").hidden = Boolean(chat);
    $("chat-view").hidden = !chat;
    $("side").hidden = !chat;
    if (!chat) {
      transcriptView.clear();
      return;
    }
    const handoff = handoffOf(chat);
    $("chat-title").textContent = t("chat_with", { id: shortId(chat.id) });
    const sub = $("chat-sub");
    const priority = handoff.priority || "normal";
    sub.replaceChildren(
      h("span", { class: "badge priority-" + priority, text: label("priority_", priority) }),
      h("span", { text: skillLabel(handoff.skill) }),
      h("span", { text: languageLabel((chat.detail && chat.detail.language) || handoff.language) }),
      h("span", { text: label("reason_", handoff.reason) }),
    );
    if (transcriptView.chat !== chat) transcriptView.show(chat);
    else transcriptView.sync(false);
    renderTyping();
    renderSide();
    updateCounter();
  }

  function renderTyping() {
    const chat = activeChat();
    $("chat-typing").hidden = !(chat && chat.typingUntil > Date.now());
  }

  // ---- the side panel: packet, suggestions, canned replies ----------------------------------------------

  function selectSide(name, focus) {
    state.side = name;
    for (const tab of document.querySelectorAll(".side-tab")) {
      const selected = tab.dataset.side === name;
      tab.setAttribute("aria-selected", String(selected));
      tab.tabIndex = selected ? 0 : -1;
      if (selected && focus) tab.focus();
    }
    $("side-packet").hidden = name !== "packet";
    $("side-suggestions").hidden = name !== "suggestions";
    $("side-canned").hidden = name !== "canned";
    const chat = activeChat();
    if (name === "suggestions" && chat) loadSuggestions(chat, false);
  }

  function renderSide() {
    const chat = activeChat();
    if (!chat) return;
    renderPacket($("side-packet"), chat);
    renderSuggestions();
    renderCannedPicker();
  }

  function definition(term, ...value) {
    return [h("dt", { text: term }), h("dd", null, ...value)];
  }

  function section(title, ...content) {
    return h("section", { class: "packet-section" }, h("h3", { text: title }), ...content);
  }

  function renderPacket(container, chat) {
    const detail = chat.detail;
    const handoff = handoffOf(chat);
    if (!detail) {
      container.replaceChildren(h("p", { class: "muted", text: t("loading") }));
      return;
    }
    const priority = handoff.priority || "normal";
    const verification = handoff.verified || detail.verified_by
      ? [
          h("span", {
            class: "badge verified",
            text: detail.verified_by ? t("verified_by", { method: String(detail.verified_by) }) : t("verified"),
          }),
          detail.customer_id ? h("span", { class: "muted", text: " " + t("customer_id", { id: String(detail.customer_id) }) }) : null,
        ]
      : [
          h("span", { class: "badge not-verified", text: t("not_verified") }),
          detail.customer_id ? h("span", { class: "muted", text: " " + t("customer_id", { id: String(detail.customer_id) }) }) : null,
        ];
    const summary = h(
      "dl",
      { class: "packet-summary", id: container.id === "side-packet" ? "packet-summary" : null },
      ...definition(t("packet_reason"), h("span", { class: "packet-reason", text: label("reason_", handoff.reason) })),
      ...definition(t("packet_skill"), skillLabel(handoff.skill)),
      ...definition(t("packet_priority"), h("span", { class: "badge priority-" + priority, text: label("priority_", priority) })),
      ...definition(t("packet_stage"), stageLabel(handoff.journey_stage)),
      ...definition(t("packet_language"), languageLabel(detail.language || handoff.language)),
      ...definition(t("packet_verification"), ...verification),
      ...definition(t("packet_channel"), label("channel_", detail.channel)),
    );

    const answers = Object.entries(detail.form_answers || {});
    const formTable = answers.length
      ? h(
          "table",
          { class: "grid form-answers" },
          h("thead", null, h("tr", null, h("th", { scope: "col", text: t("field") }), h("th", { scope: "col", text: t("value") }))),
          h(
            "tbody",
            null,
            ...answers.map(([key, value]) =>
              h(
                "tr",
                null,
                h("th", { scope: "row", text: label("slot_", key) }),
                h("td", { text: formatValue(value) }),
              ),
            ),
          ),
        )
      : h("p", { class: "muted", text: t("form_answers_empty") });

    const recent = (detail.recent_messages || []).length
      ? h("ol", { class: "recent" }, ...detail.recent_messages.map((text) => h("li", { text: String(text) })))
      : h("p", { class: "muted", text: t("none") });

    const faqs = (detail.faq_answers || []).length
      ? h(
          "ul",
          { class: "faq-given" },
          ...detail.faq_answers.map((faq) =>
            h(
              "li",
              null,
              h("code", { text: String(faq.entry_id) + (faq.version != null ? ` v${faq.version}` : "") }),
              faq.topic ? h("span", { class: "muted", text: " " + String(faq.topic) }) : null,
            ),
          ),
        )
      : h("p", { class: "muted", text: t("none") });

    const notes = (detail.notes || []).length
      ? h(
          "ul",
          { class: "notes" },
          ...detail.notes.map((note) =>
            h(
              "li",
              null,
              h("div", {
                class: "note-meta muted",
                text: t("note_by", {
                  kind: label("note_kind_", note.kind),
                  by: note.by || "—",
                  time: hhmm(note.created_at),
                }),
              }),
              h("div", { class: "note-text", text: String(note.note) }),
            ),
          ),
        )
      : h("p", { class: "muted", text: t("none") });

    container.replaceChildren(
      summary,
      section(t("notes"), notes),
      section(t("form_answers"), formTable),
      section(t("recent_messages"), recent),
      section(t("faq_answers"), faqs),
    );
  }

  function latestCustomerSeq(chat) {
    let seq = null;
    for (const message of chat.messages.values()) if (message.sender === "customer" && (seq === null || message.seq > seq)) seq = message.seq;
    return seq;
  }

  let suggestionsTimer = null;
  function scheduleSuggestions(chat) {
    window.clearTimeout(suggestionsTimer);
    suggestionsTimer = window.setTimeout(() => loadSuggestions(chat, false), 400);
  }

  async function loadSuggestions(chat, force) {
    if (!chat.detail || chat.suggestionsBusy) return;
    const seq = latestCustomerSeq(chat);
    if (!force && chat.suggestions && chat.suggestionsFor === seq) return;
    chat.suggestionsBusy = true;
    chat.suggestionsFor = seq;
    if (state.activeId === chat.id) renderSuggestions();
    try {
      chat.suggestions = await api("GET", chatPath(chat.id, "/suggestions"));
    } catch (error) {
      chat.suggestions = { error: errorText(error) };
    } finally {
      chat.suggestionsBusy = false;
    }
    if (state.activeId === chat.id) renderSuggestions();
    if (latestCustomerSeq(chat) !== chat.suggestionsFor) loadSuggestions(chat, false);
  }

  function renderSuggestions() {
    const chat = activeChat();
    const box = $("side-suggestions");
    if (!chat) return;
    const data = chat.suggestions;
    const body = [];
    if (!data) body.push(h("p", { class: "muted", text: chat.suggestionsBusy ? t("suggestions_loading") : "" }));
    else if (data.error) body.push(h("p", { class: "form-error", text: data.error }));
    else if (data.available === false) body.push(h("p", { class: "notice", text: t("suggestions_unavailable") }));
    else if (data.query_seq == null) body.push(h("p", { class: "muted", text: t("suggestions_none_yet") }));
    else if (!data.suggestions.length) body.push(h("p", { class: "muted", text: t("suggestions_empty") }));
    else {
      const query = data.query_seq != null && chat.messages.get(data.query_seq);
      if (query) body.push(h("p", { class: "muted small" }, t("suggestions_for") + " ", h("q", { text: query.text })));
      body.push(
        h(
          "ul",
          { class: "suggestions" },
          ...data.suggestions.map((s) =>
            h(
              "li",
              { class: "suggestion" },
              h(
                "div",
                { class: "suggestion-head" },
                h("code", { text: String(s.entry_id) }),
                h("span", { class: "muted small", text: String(s.topic || "") }),
              ),
              h("div", { class: "suggestion-q", text: String(s.question || "") }),
              h("div", { class: "suggestion-a", text: String(s.answer || "") }),
              h("button", {
                type: "button",
                class: "small-button insert",
                key: "suggest:" + String(s.entry_id),
                text: t("insert"),
                onclick: () => insertReply(String(s.answer || "")),
              }),
            ),
          ),
        ),
      );
    }
    keepFocus(box, () => box.replaceChildren(...body));
  }

  function renderCannedPicker() {
    const chat = activeChat();
    const box = $("side-canned");
    if (!chat) return;
    const handoff = handoffOf(chat);
    const language = (chat.detail && chat.detail.language) || handoff.language || "zh";
    const skill = handoff.skill;
    const rank = (c) => (c.skill === skill ? 0 : c.skill == null ? 1 : 2);
    const mine = state.canned.filter((c) => c.language === language).sort((a, b) => rank(a) - rank(b));
    const other = state.canned.filter((c) => c.language !== language).sort((a, b) => rank(a) - rank(b));
    const item = (c) =>
      h(
        "li",
        { class: "canned-item" },
        h(
          "button",
          {
            type: "button",
            class: "canned-insert",
            key: "canned:" + String(c.id),
            onclick: () => insertReply(String(c.text)),
          },
          h(
            "span",
            { class: "canned-title" },
            h("span", { text: String(c.title) }),
            h("span", { class: "muted small", text: c.skill ? skillLabel(c.skill) : t("canned_for_all") }),
          ),
          h("span", { class: "canned-text", text: String(c.text) }),
        ),
      );
    const body = [];
    if (!state.canned.length) body.push(h("p", { class: "muted", text: t("canned_empty") }));
    if (mine.length) body.push(h("ul", { class: "canned-list" }, ...mine.map(item)));
    if (other.length)
      body.push(
        h(
          "details",
          { class: "canned-other" },
          h("summary", { text: t("canned_other_language") + ` (${other.length})` }),
          h("ul", { class: "canned-list" }, ...other.map(item)),
        ),
      );
    keepFocus(box, () => box.replaceChildren(...body));
  }

  async function loadCanned() {
    try {
      const data = await api("GET", "/api/console/canned-replies");
      state.canned = data.canned_replies;
    } catch (error) {
      if (error.code !== "stale") toast(errorText(error), "error");
      return;
    }
    renderCannedPicker();
    renderCannedEditor();
  }

  /** Put text into the reply box at the caret (replacing a selection), then let the agent edit it. */
  function insertReply(text) {
    const box = $("reply");
    if ($("chat-view").hidden) return;
    const start = box.selectionStart ?? box.value.length;
    const end = box.selectionEnd ?? box.value.length;
    box.setRangeText(text, start, end, "end");
    box.focus();
    updateCounter();
  }

  // ---- replying ------------------------------------------------------------------------------------------

  function updateCounter() {
    const box = $("reply");
    const max = (state.config && state.config.max_message_chars) || 2000;
    const length = codePoints(box.value);
    const counter = $("reply-count");
    counter.textContent = `${length}/${max}` + (length > max ? ` · ${t("too_long")}` : "");
    counter.classList.toggle("over", length > max);
    box.setAttribute("aria-invalid", String(length > max));
    $("send").disabled = !box.value.trim() || length > max || !activeChat();
  }

  function onReplyKey(event) {
    if (event.key !== "Enter" || event.shiftKey || event.isComposing || event.keyCode === 229) return;
    event.preventDefault();
    sendReply();
  }

  function onReplyInput() {
    updateCounter();
    const chat = activeChat();
    if (!chat) return;
    chat.draft = $("reply").value;
    const now = Date.now();
    if (now - chat.typingSentAt >= TYPING_SEND_MS && $("reply").value) {
      if (socket.send({ type: "typing", conversation_id: chat.id })) chat.typingSentAt = now;
    }
  }

  function sendReply(event) {
    if (event) event.preventDefault();
    const chat = activeChat();
    const box = $("reply");
    const text = box.value;
    const max = (state.config && state.config.max_message_chars) || 2000;
    if (!chat || !text.trim() || codePoints(text) > max) return;
    const pending = { id: newUuid(), text, status: "sending", at: new Date(), error: "" };
    chat.pending.push(pending);
    box.value = "";
    chat.draft = "";
    updateCounter();
    transcriptView.sync(true);
    postPending(chat, pending);
  }

  async function postPending(chat, pending) {
    pending.status = "sending";
    pending.error = "";
    if (state.activeId === chat.id) transcriptView.sync(false);
    try {
      const message = await api("POST", chatPath(chat.id, "/messages"), { client_msg_id: pending.id, text: pending.text });
      const index = chat.pending.indexOf(pending);
      if (index >= 0) chat.pending.splice(index, 1);
      chat.sent.add(Number(message.seq));
      addMessages(chat, [message], false);
      announce(t("sent"));
    } catch (error) {
      if (error.code === "stale") return;
      pending.status = "failed";
      pending.error = errorText(error);
    }
    if (state.activeId === chat.id) transcriptView.sync(false);
  }

  // ---- chat actions: transfer, hand back, close --------------------------------------------------------

  function fillSelect(select, options, placeholder) {
    const nodes = [];
    if (placeholder) nodes.push(h("option", { value: "", text: placeholder }));
    for (const option of options) nodes.push(h("option", { value: option.value, text: option.text, disabled: option.disabled }));
    select.replaceChildren(...nodes);
  }

  function formError(id, text) {
    const el = $(id);
    el.textContent = text || "";
    el.hidden = !text;
  }

  function openDialog(dialog) {
    if (!dialog.open) dialog.showModal();
  }

  let dialogChat = null; // the chat a dialog acts on

  async function openTransfer() {
    const chat = activeChat();
    if (!chat) return;
    dialogChat = chat.id;
    formError("transfer-error", "");
    $("transfer-note").value = "";
    $("transfer-to-skill").checked = true;
    syncTransferTarget();
    fillSelect(
      $("transfer-skill"),
      state.config.transfer_skills.map((code) => ({ value: code, text: skillLabel(code) })),
    );
    fillSelect($("transfer-agent"), [{ value: "", text: t("loading"), disabled: true }]);
    openDialog($("dlg-transfer"));
    try {
      const data = await api("GET", "/api/console/agents");
      const others = data.agents.filter(
        (a) => a.id !== state.me.id && a.presence === "online" && a.load < a.capacity && safeId(a.id),
      );
      fillSelect(
        $("transfer-agent"),
        others.length
          ? others.map((a) => ({
              value: a.id,
              text: t("transfer_agent_option", { name: a.display_name, load: a.load, capacity: a.capacity }),
            }))
          : [{ value: "", text: t("transfer_no_agent"), disabled: true }],
      );
    } catch (error) {
      if (error.code !== "stale") formError("transfer-error", errorText(error));
    }
  }

  function syncTransferTarget() {
    const toAgent = $("transfer-to-agent").checked;
    $("transfer-skill-row").hidden = toAgent;
    $("transfer-agent-row").hidden = !toAgent;
  }

  async function submitTransfer(event) {
    event.preventDefault();
    const id = dialogChat;
    const note = $("transfer-note").value.trim();
    const body = { note };
    if ($("transfer-to-agent").checked) {
      const agent = $("transfer-agent").value;
      if (!agent) {
        formError("transfer-error", t("transfer_no_agent"));
        return;
      }
      body.to_agent_id = agent;
    } else {
      body.to_skill = $("transfer-skill").value;
    }
    await runAction("transfer", id, body, "dlg-transfer", "transfer-error", t("transfer_done"));
  }

  function openHandback() {
    const chat = activeChat();
    if (!chat) return;
    dialogChat = chat.id;
    formError("handback-error", "");
    $("handback-note").value = "";
    const form = chat.detail && chat.detail.resume_form;
    $("handback-resume-row").hidden = !form;
    $("handback-resume").checked = Boolean(form);
    $("handback-resume-label").textContent = form ? t("handback_resume", { form: label("form_", form) }) : "";
    openDialog($("dlg-handback"));
  }

  async function submitHandback(event) {
    event.preventDefault();
    const resume = !$("handback-resume-row").hidden && $("handback-resume").checked;
    const body = { note: $("handback-note").value.trim(), resume_form: resume };
    await runAction("handback", dialogChat, body, "dlg-handback", "handback-error", t("handback_done"));
  }

  function openClose() {
    const chat = activeChat();
    if (!chat) return;
    dialogChat = chat.id;
    formError("close-error", "");
    $("close-note").value = "";
    fillSelect(
      $("close-code"),
      state.config.wrapup_codes.map((w) => ({ value: w.code, text: wrapupLabel(w.code) })),
      t("close_code_choose"),
    );
    openDialog($("dlg-close"));
  }

  async function submitClose(event) {
    event.preventDefault();
    const code = $("close-code").value;
    if (!code) {
      formError("close-error", t("close_code_required"));
      $("close-code").focus();
      return;
    }
    const body = { wrapup_code: code, note: $("close-note").value.trim() };
    await runAction("close", dialogChat, body, "dlg-close", "close-error", t("close_done"));
  }

  async function runAction(action, id, body, dialogId, errorId, done) {
    if (!id) return;
    const dialog = $(dialogId);
    const buttons = dialog.querySelectorAll("button");
    for (const button of buttons) button.disabled = true;
    formError(errorId, "");
    try {
      await api("POST", chatPath(id, "/" + action), body);
      dialog.close();
      toast(done, "info");
      if (state.activeId === id) $("chat-main").focus();
      // The hub also says so (chat_removed); this keeps the list right if that event is late.
      if (!(action === "transfer" && body.to_agent_id === (state.me && state.me.id))) removeChat(id, "", true);
      refreshQueue(true);
    } catch (error) {
      if (error.code !== "stale") formError(errorId, errorText(error));
    } finally {
      for (const button of buttons) button.disabled = false;
    }
  }

  // ---- the queue -----------------------------------------------------------------------------------------

  async function refreshQueue(force) {
    if (!state.me) return;
    const now = performance.now();
    if (!force && now - state.lastQueueFetch < 800) return;
    state.lastQueueFetch = now;
    try {
      const data = await api("GET", "/api/console/chats?scope=waiting");
      state.queue = data.chats.filter((c) => safeId(c.conversation_id));
      state.queueAt = performance.now();
    } catch (error) {
      return;
    }
    renderQueue();
  }

  function renderQueue() {
    const list = $("queue");
    const positions = new Map();
    list.replaceChildren(
      ...state.queue.map((chat) => {
        const handoff = chat.handoff || {};
        // The hub's place in line; counted from the list's order only if an older hub does not send it.
        const counted = (positions.get(handoff.skill) || 0) + 1;
        positions.set(handoff.skill, counted);
        const position = Number.isInteger(chat.position) ? chat.position : counted;
        const priority = handoff.priority || "normal";
        const waited = h("span", { class: "queue-waited" });
        const item = h(
          "li",
          { class: "queue-item priority-edge-" + priority },
          h(
            "div",
            { class: "queue-top" },
            h("span", { class: "queue-pos", text: t("queue_position", { position }) }),
            h("span", { class: "badge priority-" + priority, text: label("priority_", priority) }),
            h("span", { class: "muted", text: skillLabel(handoff.skill) }),
            waited,
          ),
          h("div", { class: "queue-last", text: chat.last_message || t("no_message") }),
        );
        item._refs = { waited, chat };
        return item;
      }),
    );
    $("queue-empty").hidden = state.queue.length > 0;
    $("queue-count").textContent = state.queue.length ? String(state.queue.length) : "";
    tickQueue();
  }

  function tickQueue() {
    const extra = (performance.now() - state.queueAt) / 1000;
    for (const item of $("queue").children) {
      const refs = item._refs;
      if (refs) refs.waited.textContent = t("waited", { time: duration((refs.chat.handoff.waited_seconds || 0) + extra) });
    }
  }

  // ---- the header and tabs -------------------------------------------------------------------------------

  function renderHeader() {
    if (!state.me) return;
    $("me-name").textContent = state.me.display_name;
    $("me-role").textContent = label("role_", state.me.role);
    $("me-load").textContent = t("load", { load: state.chats.size, capacity: state.me.max_chats });
    $("presence").value = state.presence;
    $("presence").dataset.presence = state.presence;
    renderConn();
  }

  function selectTab(name, focus) {
    if (name !== "workspace" && !supervises()) name = "workspace";
    state.tab = name;
    for (const tab of document.querySelectorAll(".tab")) {
      const selected = tab.dataset.tab === name;
      tab.setAttribute("aria-selected", String(selected));
      tab.tabIndex = selected ? 0 : -1;
      if (selected && focus) tab.focus();
    }
    $("panel-workspace").hidden = name !== "workspace";
    $("panel-supervisor").hidden = name !== "supervisor";
    $("panel-canned").hidden = name !== "canned";
    if (name === "supervisor") {
      refreshOverview(true);
      refreshServiceRequests(true);
    }
    if (name === "canned") loadCanned();
    if (name === "workspace") {
      const chat = activeChat();
      if (chat) {
        markSeen(chat);
        renderMyChats();
      }
    }
  }

  function tabKeys(event, selector, select) {
    if (!["ArrowLeft", "ArrowRight", "Home", "End"].includes(event.key)) return;
    const tabs = [...document.querySelectorAll(selector)].filter((tab) => !tab.hidden);
    const index = tabs.indexOf(event.target.closest(selector));
    if (index < 0) return;
    event.preventDefault();
    let next = index;
    if (event.key === "ArrowLeft") next = (index - 1 + tabs.length) % tabs.length;
    if (event.key === "ArrowRight") next = (index + 1) % tabs.length;
    if (event.key === "Home") next = 0;
    if (event.key === "End") next = tabs.length - 1;
    select(tabs[next]);
  }

  // ---- supervisor: the overview --------------------------------------------------------------------------

  async function refreshOverview(force) {
    if (!supervises()) return;
    const now = performance.now();
    if (!force && (state.tab !== "supervisor" || now - state.lastOverviewFetch < 800)) return;
    state.lastOverviewFetch = now;
    try {
      state.overview = await api("GET", "/api/console/overview");
      state.overviewAt = performance.now();
    } catch (error) {
      return;
    }
    renderOverview();
  }

  function table(el, headers, rows) {
    el.replaceChildren(
      h("thead", null, h("tr", null, ...headers.map((text) => h("th", { scope: "col", text })))),
      h("tbody", null, ...rows),
    );
  }

  function renderOverview() {
    const data = state.overview;
    if (!data) return;
    $("ov-updated").textContent = t("ov_updated", { time: hhmm(new Date()) });
    table(
      $("ov-skills"),
      [t("ov_skill"), t("ov_waiting"), t("ov_oldest"), t("ov_online"), t("ov_load"), t("ov_aht")],
      data.skills.map((s) =>
        h(
          "tr",
          { class: s.waiting > 0 && s.online_agents === 0 ? "row-alert" : null },
          h("th", { scope: "row", text: skillLabel(s.skill) }),
          h("td", { class: "num", text: String(s.waiting) }),
          h("td", { class: "num", text: s.waiting ? duration(s.oldest_wait_seconds) : "—" }),
          h("td", { class: "num", text: String(s.online_agents) }),
          h("td", { class: "num", text: `${s.load}/${s.capacity}` }),
          h("td", { class: "num", text: duration(s.average_handle_seconds) }),
        ),
      ),
    );
    table(
      $("ov-agents"),
      [t("ov_name"), t("ov_role"), t("ov_presence"), t("ov_load"), t("ov_skills_col")],
      data.agents.map((a) =>
        h(
          "tr",
          { "data-agent": safeId(a.id) ? a.id : null },
          h("th", { scope: "row", text: a.display_name }),
          h("td", { text: label("role_", a.role) }),
          h("td", null, h("span", { class: "presence-dot presence-" + a.presence, text: label("presence_", a.presence) })),
          h("td", { class: "num", text: `${a.load}/${a.capacity}` }),
          h("td", { text: (a.skills || []).map(skillLabel).join("、") || "—" }),
        ),
      ),
    );
    const chatsTable = $("ov-chats");
    keepFocus(chatsTable, () =>
      table(
        chatsTable,
        [t("ov_chat"), t("ov_state"), t("ov_skill"), t("packet_priority"), t("ov_agent"), t("ov_since"), t("ov_last"), t("ov_actions")],
        data.chats
          .filter((c) => safeId(c.conversation_id))
          .map((c) => {
            const handoff = c.handoff || {};
            const priority = handoff.priority || "normal";
            return h(
              "tr",
              { "data-cid": c.conversation_id, class: state.watch && state.watch.id === c.conversation_id ? "row-selected" : null },
              h("th", { scope: "row", text: shortId(c.conversation_id) }),
              h("td", { text: label("state_", c.state) }),
              h("td", { text: skillLabel(handoff.skill) }),
              h("td", null, h("span", { class: "badge priority-" + priority, text: label("priority_", priority) })),
              h("td", { class: "ov-agent-name", text: c.agent_name || "—" }),
              h("td", { class: "num", text: duration(handoff.waited_seconds) }),
              h("td", { class: "ov-last", text: c.last_message || "—" }),
              h(
                "td",
                { class: "ov-actions" },
                h("button", {
                  type: "button",
                  class: "small-button ov-open",
                  key: "open:" + c.conversation_id,
                  text: t("ov_open"),
                  onclick: () => watchChat(c.conversation_id),
                }),
                h("button", {
                  type: "button",
                  class: "small-button ov-reassign",
                  key: "reassign:" + c.conversation_id,
                  text: t("ov_reassign"),
                  onclick: () => openReassign(c.conversation_id),
                }),
              ),
            );
          }),
      ),
    );
    $("ov-chats-empty").hidden = data.chats.length > 0;
  }

  // ---- supervisor: a chat read-only ---------------------------------------------------------------------

  function watchChat(id) {
    if (!safeId(id)) return;
    if (state.watch && state.watch.id === id) {
      loadChat(state.watch);
      return;
    }
    stopWatching();
    state.watch = newChat(id, null);
    socket.send({ type: "watch", conversation_id: id });
    watchView.show(state.watch);
    renderWatch();
    loadChat(state.watch);
    renderOverview();
  }

  function stopWatching() {
    if (!state.watch) return;
    socket.send({ type: "unwatch", conversation_id: state.watch.id });
    state.watch = null;
    watchView.clear();
    renderWatch();
    renderOverview();
  }

  function renderWatch() {
    const chat = state.watch;
    $("watch-empty").hidden = Boolean(chat);
    $("watch-body").hidden = !chat;
    $("watch-stop").hidden = !chat;
    $("watch-reassign").hidden = !chat || chat.closed;
    if (!chat) return;
    const detail = chat.detail;
    const handoff = handoffOf(chat);
    const holder = detail && detail.holder ? detail.holder.display_name : null;
    const priority = handoff.priority || "normal";
    $("watch-sub").replaceChildren(
      h("strong", { text: shortId(chat.id) }),
      h("span", { class: "badge priority-" + priority, text: label("priority_", priority) }),
      h("span", { text: skillLabel(handoff.skill) }),
      h("span", { text: detail ? label("state_", chat.closed ? "ended" : detail.state) : t("loading") }),
      h("span", { class: "muted", text: holder ? t("read_only", { agent: holder }) : t("read_only_nobody") }),
    );
    if (watchView.chat !== chat) watchView.show(chat);
    else watchView.sync(false);
    renderPacket($("watch-packet"), chat);
    renderWatchTyping();
  }

  function renderWatchTyping() {
    $("watch-typing").hidden = !(state.watch && state.watch.typingUntil > Date.now());
  }

  let reassignChat = null;

  async function openReassign(id) {
    if (!safeId(id)) return;
    reassignChat = id;
    formError("reassign-error", "");
    $("reassign-note").value = "";
    $("reassign-chat").textContent = t("chat_with", { id: shortId(id) });
    openDialog($("dlg-reassign"));
    await refreshOverview(true);
    const current = state.overview && state.overview.chats.find((c) => c.conversation_id === id);
    const agents = ((state.overview && state.overview.agents) || []).filter(
      (a) => safeId(a.id) && a.presence === "online" && a.load < a.capacity && (!current || a.id !== current.agent_id),
    );
    fillSelect(
      $("reassign-agent"),
      agents.length
        ? agents.map((a) => ({
            value: a.id,
            text: t("transfer_agent_option", { name: a.display_name, load: a.load, capacity: a.capacity }),
          }))
        : [{ value: "", text: t("transfer_no_agent"), disabled: true }],
    );
  }

  async function submitReassign(event) {
    event.preventDefault();
    const agent = $("reassign-agent").value;
    if (!agent) {
      formError("reassign-error", t("transfer_no_agent"));
      return;
    }
    const dialog = $("dlg-reassign");
    const buttons = dialog.querySelectorAll("button");
    for (const button of buttons) button.disabled = true;
    try {
      await api("POST", chatPath(reassignChat, "/reassign"), { agent_id: agent, note: $("reassign-note").value.trim() });
      dialog.close();
      toast(t("reassign_done"), "info");
      refreshOverview(true);
      if (state.watch && state.watch.id === reassignChat) loadChat(state.watch);
    } catch (error) {
      if (error.code !== "stale") formError("reassign-error", errorText(error));
    } finally {
      for (const button of buttons) button.disabled = false;
    }
  }

  // ---- supervisor: service requests and undelivered webhooks ----------------------------------------------

  /** "12月2日 10:00" / "2 Dec 10:00", Beijing time. */
  function dateTime(value) {
    const date = value instanceof Date ? value : parseTime(value);
    if (!date) return "—";
    const p = shanghai(date);
    return `${t("sr_date", { m: p.m, d: p.d, month: StaffPage.MONTHS[p.m - 1] })} ${p.hh}:${p.mm}`;
  }

  function requestWindow(window_) {
    const start = window_ ? parseTime(window_.start) : null;
    const end = window_ ? parseTime(window_.end) : null;
    if (!start || !end) return "—";
    return `${dateTime(start)}-${hhmm(end)}`;
  }

  function validRequestNumber(number) {
    return typeof number === "string" && REQUEST_NUMBER_PATTERN.test(number);
  }

  /** Every service request with its account manager, and the webhooks the platform did not take. */
  async function refreshServiceRequests(force) {
    if (!supervises()) return;
    const now = performance.now();
    if (!force && (state.tab !== "supervisor" || now - state.lastRequestsFetch < 800)) return;
    if (state.requestsBusy) {
      state.requestsAgain = true;
      return;
    }
    state.requestsBusy = true;
    state.lastRequestsFetch = now;
    try {
      const [listing, outbox] = await Promise.allSettled([
        api("GET", "/api/inbox/requests?scope=all"),
        api("GET", "/api/console/outbox?state=" + (state.outboxState === "pending" ? "pending" : "dead")),
      ]);
      if (listing.status === "fulfilled") {
        state.serviceRequests = (listing.value.requests || []).filter((r) => r && validRequestNumber(r.number));
        state.serviceRequestsAt = new Date();
        state.serviceRequestsError = "";
      } else if (listing.reason.code !== "stale") {
        state.serviceRequestsError = errorText(listing.reason);
      }
      if (outbox.status === "fulfilled") {
        state.outbox = (outbox.value.messages || []).filter((m) => m && safeId(m.id));
        state.outboxError = "";
      } else if (outbox.reason.code !== "stale") {
        state.outboxError = errorText(outbox.reason);
      }
    } finally {
      state.requestsBusy = false;
    }
    if (!supervises()) return;
    renderServiceRequests();
    renderOutbox();
    if (state.requestsAgain) {
      state.requestsAgain = false;
      window.setTimeout(() => refreshServiceRequests(true), 300);
    }
  }

  function requestRank(r) {
    if (r.overdue) return 0;
    if (!r.account_manager && ["submitted", "accepted", "scheduled"].includes(r.state)) return 1;
    if (["submitted", "accepted", "scheduled"].includes(r.state)) return 2;
    return 3;
  }

  function renderServiceRequests() {
    const el = $("sr-table");
    const requests = state.serviceRequests;
    const error = $("sr-error");
    error.textContent = state.serviceRequestsError;
    error.hidden = !state.serviceRequestsError;
    if (!requests) return;
    const sorted = [...requests].sort(
      (a, b) => requestRank(a) - requestRank(b) || (parseTime(b.created_at) || 0) - (parseTime(a.created_at) || 0),
    );
    keepFocus(el, () =>
      table(
        el,
        [t("sr_field_number"), t("sr_field_kind"), t("sr_field_state"), t("sr_field_manager"), t("sr_field_window"), t("sr_field_created"), t("actions")],
        sorted.map((r) =>
          h(
            "tr",
            { "data-number": r.number, class: r.overdue ? "row-alert" : state.requestView === r.number ? "row-selected" : null },
            h("th", { scope: "row", class: "sr-number", text: r.number }),
            h("td", { text: label("sr_kind_", r.kind) }),
            h(
              "td",
              { class: "sr-state-cell" },
              stateBadge(r.state),
              r.overdue ? h("span", { class: "badge badge-overdue", text: t("sr_overdue") }) : null,
            ),
            h(
              "td",
              { class: "sr-manager" },
              r.account_manager ? String(r.account_manager) : h("span", { class: "badge badge-unassigned", text: t("sr_unassigned") }),
            ),
            h("td", { class: "num", text: requestWindow(r.contact_window) }),
            h("td", { class: "num", text: dateTime(r.created_at) }),
            h(
              "td",
              { class: "ov-actions" },
              h("button", {
                type: "button",
                class: "small-button sr-open",
                key: "sr:" + r.number,
                text: t("sr_open"),
                "aria-label": `${t("sr_open")} ${r.number}`,
                onclick: () => openRequestView(r.number),
              }),
            ),
          ),
        ),
      ),
    );
    $("sr-empty").hidden = requests.length > 0;
    $("sr-count").textContent = String(requests.length);
    $("sr-updated").textContent = state.serviceRequestsAt ? t("ov_updated", { time: hhmm(state.serviceRequestsAt) }) : "";
  }

  function setOutboxState(which) {
    if (which !== "dead" && which !== "pending") return;
    state.outboxState = which;
    state.outbox = null;
    for (const button of document.querySelectorAll(".ob-scope-button"))
      button.setAttribute("aria-pressed", String(button.dataset.ob === which));
    renderOutbox();
    refreshServiceRequests(true);
  }

  function outboxEventLabel(type) {
    const text = String(type || "");
    const short = text.startsWith("service_request.") ? text.slice("service_request.".length) : text;
    return has("ob_event_" + short) ? `${t("ob_event_" + short)} (${text})` : text;
  }

  function renderOutbox() {
    const el = $("ob-table");
    const error = $("ob-error");
    error.textContent = state.outboxError;
    error.hidden = !state.outboxError;
    for (const button of document.querySelectorAll(".ob-scope-button"))
      button.setAttribute("aria-pressed", String(button.dataset.ob === state.outboxState));
    const messages = state.outbox;
    if (!messages) {
      el.replaceChildren();
      $("ob-empty").hidden = true;
      $("ob-count").textContent = "";
      return;
    }
    keepFocus(el, () =>
      table(
        el,
        [t("ob_col_number"), t("ob_col_event"), t("ob_col_attempts"), t("ob_col_error"), t("ob_col_time"), t("actions")],
        messages.map((m) =>
          h(
            "tr",
            { "data-id": m.id, "data-number": validRequestNumber(m.number) ? m.number : null },
            h("th", { scope: "row", class: "sr-number", text: m.number ? String(m.number) : t("ob_none") }),
            h("td", { text: outboxEventLabel(m.event_type) }),
            h("td", { class: "num ob-attempts", text: String(m.attempts) }),
            h("td", { class: "ob-error-cell", text: m.last_error ? String(m.last_error) : t("ob_none") }),
            h("td", { class: "num", text: dateTime(m.dead_at || m.created_at) }),
            h(
              "td",
              { class: "ov-actions" },
              h("button", {
                type: "button",
                class: "small-button ob-retry",
                key: "retry:" + m.id,
                text: t("ob_retry"),
                disabled: state.outboxBusy.has(m.id),
                "aria-label": `${t("ob_retry")} ${m.number ? String(m.number) : ""}`.trim(),
                onclick: () => retryOutbox(m),
              }),
            ),
          ),
        ),
      ),
    );
    $("ob-empty").hidden = messages.length > 0;
    $("ob-empty").textContent = t(state.outboxState === "pending" ? "ob_empty_pending" : "ob_empty_dead");
    $("ob-count").textContent = String(messages.length);
  }

  async function retryOutbox(message) {
    if (!safeId(message.id) || state.outboxBusy.has(message.id)) return;
    state.outboxBusy.add(message.id);
    renderOutbox();
    try {
      await api("POST", "/api/console/outbox/" + encodeURIComponent(message.id) + "/retry");
      toast(t("ob_retry_done", { what: message.number ? String(message.number) : outboxEventLabel(message.event_type) }), "info");
    } catch (error) {
      if (error.code === "stale") return;
      toast(errorText(error), "error");
    } finally {
      state.outboxBusy.delete(message.id);
    }
    // The relay sends it at once; the list follows when the platform took it (or it failed again).
    await refreshServiceRequests(true);
    window.setTimeout(() => refreshServiceRequests(true), 1500);
    window.setTimeout(() => refreshServiceRequests(true), 5000);
  }

  /** One request, read-only and masked (the API masks it for supervisors). */
  async function openRequestView(number) {
    if (!validRequestNumber(number)) return;
    const dialog = $("dlg-request");
    const fresh = state.requestView !== number || !dialog.open;
    state.requestView = number;
    $("dlg-request-h").textContent = t("sr_view_title", { number });
    formError("request-error", "");
    if (fresh) $("request-view").replaceChildren(h("p", { class: "muted", text: t("sr_loading") }));
    openDialog(dialog);
    renderServiceRequests();
    let detail;
    try {
      detail = await api("GET", "/api/inbox/requests/" + encodeURIComponent(number));
    } catch (error) {
      if (error.code === "stale" || state.requestView !== number) return;
      $("request-view").replaceChildren();
      formError("request-error", errorText(error));
      return;
    }
    if (state.requestView !== number) return;
    renderRequestView(detail);
  }

  function renderRequestView(detail) {
    const events = Array.isArray(detail.events) ? detail.events : [];
    const messages = Array.isArray(detail.transcript) ? detail.transcript : [];
    const slots = detail.details && typeof detail.details.slots === "object" && detail.details.slots ? detail.details.slots : {};
    const answers = Object.entries(slots).filter(([, value]) => value != null && value !== "");
    const parts = [
      h(
        "dl",
        { class: "packet-summary" },
        definition(t("sr_field_state"), stateBadge(detail.state), detail.overdue ? h("span", { class: "badge badge-overdue", text: t("sr_overdue") }) : null),
        definition(t("sr_field_kind"), label("sr_kind_", detail.kind)),
        definition(
          t("sr_field_manager"),
          detail.account_manager ? String(detail.account_manager) : h("span", { class: "badge badge-unassigned", text: t("sr_unassigned") }),
        ),
        definition(t("sr_field_window"), requestWindow(detail.contact_window)),
        definition(t("sr_field_method"), label("sr_method_", detail.contact_method)),
        definition(t("sr_field_mobile"), h("span", { class: "sr-mobile", text: String(detail.contact_mobile || "—") }), ` (${t("sr_masked")})`),
        definition(t("sr_field_customer"), detail.customer_id ? String(detail.customer_id) : "—"),
        definition(t("sr_field_branch"), detail.branch ? String(detail.branch) : "—"),
        definition(t("sr_field_reason"), label("sr_reason_", detail.reason)),
        definition(t("sr_field_stage"), stageLabel(detail.journey_stage)),
        definition(t("sr_field_accept_by"), dateTime(detail.accept_by)),
        detail.scheduled_for ? definition(t("sr_field_scheduled"), dateTime(detail.scheduled_for)) : null,
        definition(t("sr_field_created"), dateTime(detail.created_at)),
        definition(t("sr_field_delivered"), detail.delivered ? t("sr_delivered_yes") : t("sr_delivered_no")),
      ),
      section(t("sr_field_summary"), h("p", { class: "sr-summary", text: String(detail.summary || "") })),
      answers.length
        ? section(
            t("sr_field_form"),
            h(
              "table",
              { class: "grid form-answers" },
              h("tbody", null, ...answers.map(([key, value]) => h("tr", null, h("th", { scope: "row", text: label("slot_", key) }), h("td", { text: formatValue(value) })))),
            ),
          )
        : null,
      section(
        t("sr_field_events"),
        events.length
          ? h(
              "ul",
              { class: "notes sr-events" },
              ...events.map((event) =>
                h(
                  "li",
                  null,
                  h("div", { class: "note-meta muted", text: dateTime(event.created_at) }),
                  h("div", { class: "note-text", text: requestEventText(event, dateTime) }),
                  event.detail && event.detail.note ? h("div", { class: "note-text muted", text: String(event.detail.note) }) : null,
                ),
              ),
            )
          : h("p", { class: "empty", text: t("sr_events_empty") }),
      ),
      section(
        t("sr_field_transcript"),
        messages.length
          ? h("ol", { class: "transcript transcript-compact sr-transcript", "aria-label": t("sr_field_transcript") }, ...messages.map(messageNode))
          : h("p", { class: "empty", text: t("sr_transcript_empty") }),
      ),
    ];
    $("request-view").replaceChildren(...parts.filter(Boolean));
  }

  // ---- supervisor: canned replies editor -----------------------------------------------------------------

  function renderCannedEditor() {
    if (!state.config) return;
    const tableEl = $("canned-table");
    const skillSelect = $("canned-skill");
    const chosen = skillSelect.value;
    fillSelect(
      skillSelect,
      [{ value: "", text: t("canned_skill_any") }, ...state.config.skills.map((s) => ({ value: s.code, text: skillLabel(s.code) }))],
    );
    skillSelect.value = chosen;
    keepFocus(tableEl, () =>
      table(
        tableEl,
        [t("canned_field_title"), t("canned_field_language"), t("canned_field_skill"), t("canned_field_text"), t("actions")],
        state.canned.map((c) => {
          const armed = state.cannedDeleteArmed === c.id;
          return h(
            "tr",
            { class: state.cannedEditing === c.id ? "row-selected" : null },
            h("th", { scope: "row", text: String(c.title) }),
            h("td", { text: languageLabel(c.language) }),
            h("td", { text: c.skill ? skillLabel(c.skill) : t("canned_for_all") }),
            h("td", { class: "canned-cell-text", text: String(c.text) }),
            h(
              "td",
              { class: "ov-actions" },
              h("button", {
                type: "button",
                class: "small-button",
                key: "edit:" + String(c.id),
                text: t("canned_edit_button"),
                onclick: () => editCanned(c.id),
              }),
              h("button", {
                type: "button",
                class: "small-button" + (armed ? " danger" : ""),
                key: "delete:" + String(c.id),
                text: armed ? t("canned_delete_confirm") : t("canned_delete"),
                onclick: () => deleteCanned(c.id),
              }),
            ),
          );
        }),
      ),
    );
    $("canned-form-h").textContent = state.cannedEditing ? t("canned_edit") : t("canned_new");
  }

  function editCanned(id) {
    const reply = state.canned.find((c) => c.id === id);
    if (!reply) return;
    state.cannedEditing = id;
    $("canned-title").value = reply.title;
    $("canned-language").value = reply.language;
    $("canned-skill").value = reply.skill || "";
    $("canned-text").value = reply.text;
    formError("canned-error", "");
    renderCannedEditor();
    $("canned-title").focus();
  }

  function resetCannedForm() {
    state.cannedEditing = null;
    $("canned-title").value = "";
    $("canned-language").value = state.lang;
    $("canned-skill").value = "";
    $("canned-text").value = "";
    formError("canned-error", "");
    renderCannedEditor();
  }

  async function saveCanned(event) {
    event.preventDefault();
    const body = {
      title: $("canned-title").value.trim(),
      language: $("canned-language").value,
      text: $("canned-text").value.trim(),
      skill: $("canned-skill").value || null,
    };
    if (!body.title || !body.text) {
      formError("canned-error", t("canned_missing"));
      return;
    }
    try {
      if (state.cannedEditing) await api("PUT", "/api/console/canned-replies/" + encodeURIComponent(String(state.cannedEditing)), body);
      else await api("POST", "/api/console/canned-replies", body);
    } catch (error) {
      if (error.code !== "stale") formError("canned-error", errorText(error));
      return;
    }
    toast(t("canned_saved"), "info");
    resetCannedForm();
    await loadCanned();
  }

  async function deleteCanned(id) {
    if (state.cannedDeleteArmed !== id) {
      state.cannedDeleteArmed = id;
      renderCannedEditor();
      window.setTimeout(() => {
        if (state.cannedDeleteArmed === id) {
          state.cannedDeleteArmed = null;
          renderCannedEditor();
        }
      }, 5000);
      return;
    }
    state.cannedDeleteArmed = null;
    try {
      await api("DELETE", "/api/console/canned-replies/" + encodeURIComponent(String(id)));
      toast(t("canned_deleted"), "info");
      if (state.cannedEditing === id) resetCannedForm();
    } catch (error) {
      if (error.code !== "stale") toast(errorText(error), "error");
    }
    await loadCanned();
  }

  // ---- the clock -----------------------------------------------------------------------------------------

  function tick() {
    tickOffers();
    tickQueue();
    if (socket.conn === "reconnecting") renderConn();
    const now = Date.now();
    let typingChanged = false;
    for (const chat of state.chats.values()) {
      if (chat.typingUntil && chat.typingUntil <= now) {
        chat.typingUntil = 0;
        typingChanged = true;
      }
    }
    if (typingChanged) {
      renderMyChats();
      renderTyping();
    }
    if (state.watch && state.watch.typingUntil && state.watch.typingUntil <= now) {
      state.watch.typingUntil = 0;
      renderWatchTyping();
    }
  }

  // ---- everything ----------------------------------------------------------------------------------------

  function renderAll() {
    if (!state.me) return;
    if (!CONSOLE_ROLES.has(state.me.role)) {
      $("manager-text").textContent = t("manager_text", { name: state.me.display_name });
      return;
    }
    renderHeader();
    renderOffers();
    renderMyChats();
    renderQueue();
    transcriptView.redraw();
    renderChat();
    if (state.watch) watchView.redraw();
    renderWatch();
    renderOverview();
    renderServiceRequests();
    renderOutbox();
    if (state.requestView && $("dlg-request").open) openRequestView(state.requestView);
    renderCannedEditor();
    if (state.side) selectSide(state.side, false);
  }

  function bindEvents() {
    $("signin-form").addEventListener("submit", onSignIn);
    for (const button of document.querySelectorAll(".lang-switch"))
      button.addEventListener("click", () => setLanguage(state.lang === "zh" ? "en" : "zh"));
    for (const button of document.querySelectorAll(".sign-out")) button.addEventListener("click", onSignOut);
    $("presence").addEventListener("change", onPresenceChange);
    for (const tab of document.querySelectorAll(".tab")) tab.addEventListener("click", () => selectTab(tab.dataset.tab, false));
    document.querySelector(".tabs").addEventListener("keydown", (event) =>
      tabKeys(event, ".tab", (tab) => selectTab(tab.dataset.tab, true)),
    );
    for (const tab of document.querySelectorAll(".side-tab")) tab.addEventListener("click", () => selectSide(tab.dataset.side, false));
    document.querySelector(".side-tabs").addEventListener("keydown", (event) =>
      tabKeys(event, ".side-tab", (tab) => selectSide(tab.dataset.side, true)),
    );
    $("composer").addEventListener("submit", sendReply);
    $("reply").addEventListener("keydown", onReplyKey);
    $("reply").addEventListener("input", onReplyInput);
    $("act-transfer").addEventListener("click", openTransfer);
    $("act-handback").addEventListener("click", openHandback);
    $("act-close").addEventListener("click", openClose);
    $("transfer-form").addEventListener("submit", submitTransfer);
    $("transfer-to-skill").addEventListener("change", syncTransferTarget);
    $("transfer-to-agent").addEventListener("change", syncTransferTarget);
    $("handback-form").addEventListener("submit", submitHandback);
    $("close-form").addEventListener("submit", submitClose);
    $("reassign-form").addEventListener("submit", submitReassign);
    for (const button of document.querySelectorAll(".dialog-cancel"))
      button.addEventListener("click", () => button.closest("dialog").close());
    $("watch-stop").addEventListener("click", stopWatching);
    $("watch-reassign").addEventListener("click", () => state.watch && openReassign(state.watch.id));
    for (const button of document.querySelectorAll(".ob-scope-button"))
      button.addEventListener("click", () => setOutboxState(button.dataset.ob));
    $("dlg-request").addEventListener("close", () => {
      state.requestView = null;
      renderServiceRequests();
    });
    $("canned-form").addEventListener("submit", saveCanned);
    $("canned-cancel").addEventListener("click", resetCannedForm);
    $("canned-new").addEventListener("click", () => {
      resetCannedForm();
      $("canned-title").focus();
    });
    document.addEventListener("visibilitychange", () => {
      const chat = activeChat();
      if (chat && !document.hidden) {
        markSeen(chat);
        renderMyChats();
      }
    });
    window.addEventListener("online", () => socket.retryNow());
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
  else boot();
})();
