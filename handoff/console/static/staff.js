/* What the staff pages share: the agent console (console.js, /console/) and the account managers' inbox (inbox.js,
   /inbox/) both load this file after i18n.js and before their own script, and take from window.StaffPage their
   words, the DOM builder, Beijing times, the API call, toasts, the sign-in form and the websocket. One copy, so a
   fix (a CSRF detail, a reconnect rule, a safety rule) reaches both pages at once.

   Nothing here keeps a page's state: each page passes what its part needs (its word tables, its session, its
   callbacks), so the two can still differ where they really do (their views, their events, what signing out
   forgets).

   Safety rules this file keeps (the pages'): text from the server or a customer goes into the page with
   textContent (h's "text" and its text children), never innerHTML, never as an attribute name and never as HTML.
   Every write sends the CSRF token (cookie hub_csrf) as X-CSRF-Token. */
"use strict";

window.StaffPage = (() => {
  const LANG_KEY = "hub-console.language"; // one choice for the console and the inbox
  const SUPERVISING = new Set(["supervisor", "admin"]);
  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const has = (object, key) => Object.prototype.hasOwnProperty.call(object, key);

  // ---- words ---------------------------------------------------------------------------------------------

  /** The language chosen before on either page, else the browser's first (Chinese unless it asks for another). */
  function initialLanguage() {
    let saved = null;
    try {
      saved = window.localStorage.getItem(LANG_KEY);
    } catch (e) {
      saved = null;
    }
    if (saved === "zh" || saved === "en") return saved;
    const preferred = (navigator.languages && navigator.languages[0]) || navigator.language || "zh";
    return /^zh\b/i.test(preferred) ? "zh" : "en";
  }

  /** Remember a language for both pages; returns it as the pages spell it ("zh" or "en"). */
  function saveLanguage(lang) {
    const chosen = lang === "en" ? "en" : "zh";
    try {
      window.localStorage.setItem(LANG_KEY, chosen);
    } catch (e) {
      /* private mode: the choice lasts for this page only */
    }
    return chosen;
  }

  /** A page's words: its tables ({zh, en}, the first wins) in the page's language (lang()), then in Chinese. The
      helpers that turn codes and records into words are here too, since both pages say them the same way. */
  function words(tables, lang) {
    function lookup(key) {
      const current = lang();
      for (const table of [...tables.map((set) => set[current]), ...tables.map((set) => set.zh)]) {
        if (table && has(table, key)) return table[key];
      }
      return null;
    }

    function known(key) {
      return lookup(key) != null;
    }

    /** A text with {name} filled from vars (a name without a value stays as it is); an unknown key is itself. */
    function t(key, vars) {
      let text = lookup(key);
      if (text == null) text = key;
      if (vars) {
        text = text.replace(/\{(\w+)\}/g, (whole, name) => (has(vars, name) && vars[name] != null ? String(vars[name]) : whole));
      }
      return text;
    }

    /** A code's human label (reason_x, slot_x, sr_kind_x...), or the code itself. */
    function label(prefix, code) {
      if (code == null || code === "") return "—";
      const text = lookup(prefix + String(code));
      return text == null ? String(code) : text;
    }

    /** Where the customer was with the assistant ("intent:x", "form:slot", "form:start", "form:submit"). */
    function stageLabel(stage) {
      if (!stage) return "—";
      const text = String(stage);
      const colon = text.indexOf(":");
      if (colon < 0) return text;
      const head = text.slice(0, colon);
      const tail = text.slice(colon + 1);
      if (head === "intent") return t("stage_intent", { intent: label("intent_", tail) });
      const form = label("form_", head);
      if (tail === "submit") return t("stage_submitted", { form });
      if (tail === "start") return t("stage_form", { form, slot: t("stage_start") });
      return t("stage_form", { form, slot: label("slot_", tail) });
    }

    /** A form answer as text: yes/no for booleans, JSON for anything structured. */
    function formatValue(value) {
      if (value == null) return "—";
      if (typeof value === "boolean") return value ? t("yes") : t("no");
      if (typeof value === "object") return JSON.stringify(value);
      return String(value);
    }

    function humanWait(seconds) {
      const total = Math.max(1, Math.ceil(seconds || 0));
      if (total < 60) return t("seconds", { s: total });
      return t("minutes_seconds", { m: Math.floor(total / 60), s: total % 60 });
    }

    function senderName(message) {
      if (message.sender === "agent") return message.sender_name ? String(message.sender_name) : t("sender_agent");
      return t("sender_" + message.sender);
    }

    /** A service request's state as a badge; the class names only the states the page knows. */
    function stateBadge(code) {
      return h("span", { class: "badge sr-state sr-state-" + (known("sr_state_" + code) ? code : "other"), text: label("sr_state_", code) });
    }

    /** One entry of a service request's history; at(value) writes its times (each page has its own format). */
    function requestEventText(event, at) {
      const by = event.by ? String(event.by) : t("sr_someone");
      const detail = event.detail && typeof event.detail === "object" ? event.detail : {};
      switch (event.kind) {
        case "created":
          return event.by ? t("sr_event_created", { by }) : t("sr_event_created_nobody");
        case "accepted":
          return t("sr_event_accepted", { by });
        case "scheduled":
          return t("sr_event_scheduled", { by, method: label("sr_method_", detail.method), at: at(detail.at) });
        case "note":
          return t("sr_event_note", { by });
        case "done":
          return t("sr_event_done", { by });
        case "reassigned":
        case "unassigned": {
          const nobody = event.kind === "unassigned" ? "_nobody" : "";
          return detail.why === "declined" ? t("sr_event_declined" + nobody, { by }) : t("sr_event_lapsed" + nobody);
        }
        default:
          return t("sr_event_other", { kind: String(event.kind) });
      }
    }

    return { lookup, has: known, t, label, stageLabel, formatValue, humanWait, senderName, stateBadge, requestEventText };
  }

  /** The words written into the page's HTML: data-i18n (text), data-i18n-placeholder, data-i18n-aria (aria-label). */
  function applyWords(lang, t) {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
    for (const el of document.querySelectorAll("[data-i18n-placeholder]")) el.setAttribute("placeholder", t(el.dataset.i18nPlaceholder));
    for (const el of document.querySelectorAll("[data-i18n-aria]")) el.setAttribute("aria-label", t(el.dataset.i18nAria));
  }

  // ---- the DOM -------------------------------------------------------------------------------------------

  /** An element: attributes are the pages' own names ("key" becomes data-key, for keeping the focus across a
      re-render); children are nodes or plain text (text nodes). */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    if (attrs) {
      for (const [name, value] of Object.entries(attrs)) {
        if (value == null || value === false) continue;
        if (name === "class") el.className = value;
        else if (name === "text") el.textContent = value;
        else if (name === "key") el.dataset.key = value;
        else if (name.startsWith("on") && typeof value === "function") el.addEventListener(name.slice(2), value);
        else el.setAttribute(name, value === true ? "" : String(value));
      }
    }
    for (const child of children.flat()) {
      if (child == null || child === false) continue;
      el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return el;
  }

  /** Replace an element's children with the nodes given, leaving out the absent ones (never the text "null"). */
  function fill(el, ...nodes) {
    el.replaceChildren(...nodes.filter((node) => node != null && node !== false));
  }

  function readCookie(name) {
    for (const part of document.cookie.split(";")) {
      const [key, ...rest] = part.trim().split("=");
      if (key === name) return decodeURIComponent(rest.join("="));
    }
    return "";
  }

  function supervises(user) {
    return Boolean(user && SUPERVISING.has(user.role));
  }

  // ---- times: always Asia/Shanghai -----------------------------------------------------------------------

  /** Server times: ISO 8601; a time without a zone is UTC (the hub stores UTC). */
  function parseTime(value) {
    if (!value) return null;
    let text = String(value).replace(/(\.\d{3})\d+/, "$1");
    if (!/(Z|[+-]\d\d:?\d\d)$/i.test(text)) text += "Z";
    const date = new Date(text);
    return Number.isNaN(date.getTime()) ? null : date;
  }

  const shanghaiFormat = new Intl.DateTimeFormat("en-US", {
    timeZone: "Asia/Shanghai",
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    weekday: "short",
    hourCycle: "h23",
  });

  /** The wall clock in Shanghai: {y, m, d, hh, mm, weekday}. */
  function shanghai(date) {
    const parts = {};
    for (const part of shanghaiFormat.formatToParts(date)) parts[part.type] = part.value;
    return {
      y: Number(parts.year),
      m: Number(parts.month),
      d: Number(parts.day),
      hh: String(parts.hour).padStart(2, "0"),
      mm: String(parts.minute).padStart(2, "0"),
      weekday: parts.weekday,
    };
  }

  /** The Shanghai date as a day count: two moments are on the same day when their numbers are equal. */
  function dayNumber(p) {
    return Math.round(Date.UTC(p.y, p.m - 1, p.d) / 86400000);
  }

  /** "09:30", Beijing time, of a Date or a server time; "" for no time. */
  function hhmm(value) {
    const date = value instanceof Date ? value : parseTime(value);
    if (!date) return "";
    const p = shanghai(date);
    return `${p.hh}:${p.mm}`;
  }

  // ---- announcements and toasts -------------------------------------------------------------------------

  /** Said by the screen reader (#announcer is a live region); the last five stay. */
  function announce(text) {
    const region = document.getElementById("announcer");
    region.append(h("p", { text }));
    while (region.childElementCount > 5) region.firstElementChild.remove();
  }

  /** A toast in #toasts: errors stay 10 s, the rest 6 s; the newest `keep` stay. options: keep, closeLabel (the
      close button's aria-label), attrs (the toast's own attributes). */
  function toast(text, kind, options) {
    const { keep, closeLabel, attrs } = options;
    const box = document.getElementById("toasts");
    const node = h(
      "div",
      { class: "toast toast-" + (kind || "info"), ...attrs },
      h("span", { text }),
      h("button", { type: "button", class: "toast-close", "aria-label": closeLabel, text: "×", onclick: () => node.remove() }),
    );
    box.append(node);
    while (box.childElementCount > keep) box.firstElementChild.remove();
    window.setTimeout(() => node.remove(), kind === "error" ? 10000 : 6000);
  }

  // ---- the API -------------------------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, code, message, details) {
      super(message);
      this.status = status;
      this.code = code;
      this.details = details || {};
    }
  }

  /** A page's API call: JSON both ways, the CSRF header on every write, the hub's error body as an ApiError
      (code "network" when the hub could not be reached). The session is the page's: options.generation() is
      bumped at every sign-in and sign-out, so an answer that arrives in a later session is dropped (code
      "stale"); a 401 not_signed_in for the session still shown calls options.expired(). options.csrf() is the
      token of the sign-in answer, for when the cookie cannot be read; options.t writes the network error. */
  function apiClient(options) {
    const { t, generation: current, signedIn, csrf, expired } = options;
    return async function api(method, path, body) {
      const generation = current();
      const headers = { Accept: "application/json" };
      const init = { method, headers, credentials: "same-origin", cache: "no-store" };
      if (body !== undefined) {
        headers["Content-Type"] = "application/json";
        init.body = JSON.stringify(body);
      }
      if (method !== "GET") headers["X-CSRF-Token"] = readCookie("hub_csrf") || csrf();
      let response;
      try {
        response = await fetch(path, init);
      } catch (e) {
        throw new ApiError(0, "network", t("err_network"));
      }
      let data = null;
      if (response.status !== 204) {
        try {
          data = await response.json();
        } catch (e) {
          data = null;
        }
      }
      if (!response.ok) {
        const err = (data && data.error) || {};
        const error = new ApiError(response.status, err.code || "http_" + response.status, err.message || response.statusText, err.details);
        if (response.status === 401 && error.code === "not_signed_in" && signedIn() && generation === current()) expired();
        throw error;
      }
      if (generation !== current()) throw new ApiError(0, "stale", "signed out meanwhile");
      return data;
    };
  }

  // ---- views and the sign-in form (the console's session, the same for both pages) ------------------------

  /** Show #view-<name>, hide the page's other views; the sign-in form gets the focus. */
  function showView(views, name) {
    for (const view of views) document.getElementById("view-" + view).hidden = view !== name;
    if (name === "signin") window.setTimeout(() => document.getElementById("signin-username").focus(), 0);
  }

  function showSignInError(text) {
    const el = document.getElementById("signin-error");
    el.textContent = text;
    el.hidden = !text;
  }

  /** The sign-in form's submit: POST /api/console/session, then options.started(answer) ({user, csrf_token});
      what went wrong is said under the form. options: api, t, humanWait, started. */
  async function submitSignIn(event, options) {
    const { api, t, humanWait, started } = options;
    event.preventDefault();
    const $ = (id) => document.getElementById(id);
    const username = $("signin-username").value.trim();
    const password = $("signin-password").value;
    if (!username || !password) {
      showSignInError(t("signin_missing"));
      return;
    }
    const button = $("signin-submit");
    button.disabled = true;
    button.textContent = t("signing_in");
    showSignInError("");
    try {
      const data = await api("POST", "/api/console/session", { username, password });
      $("signin-password").value = "";
      await started(data);
    } catch (error) {
      if (error.code === "invalid_credentials") showSignInError(t("signin_wrong"));
      else if (error.code === "sign_in_locked") {
        const wait = Number(error.details.retry_after_seconds) || 60;
        showSignInError(t("signin_locked", { wait: humanWait(wait), at: hhmm(new Date(Date.now() + wait * 1000)) }));
      } else if (error.code === "network") showSignInError(t("err_network"));
      else if (error.status === 422) showSignInError(t("signin_missing"));
      else showSignInError(t("signin_failed", { message: error.message || error.code }));
      $("signin-password").select();
    } finally {
      button.disabled = false;
      button.textContent = t("sign_in");
    }
  }

  // ---- the websocket -------------------------------------------------------------------------------------

  /** The console's websocket (/api/console/ws) for a signed-in page. While wanted it reconnects with backoff (1 s
      doubling to 30 s, ±25 % so that pages do not return together) and, after the hub's hello, sends heartbeats
      as often as the hello asks. It tells the page through options: onEvent(event) for each frame with a type,
      onExpired() when the hub closed it because the session ended (4401), onRefused() when the hub refused it
      (4403), onState(conn) when it becomes connecting, online, reconnecting or offline; signedIn() says whether
      there is a session to connect for. */
  class Socket {
    constructor(options) {
      this.options = options;
      this.ws = null;
      this.wanted = false;
      this.timer = null;
      this.retryAt = 0;
      this.backoff = 0;
      this.heartbeatTimer = null;
      this.conn = "offline";
    }

    connect() {
      if (this.ws || !this.options.signedIn()) return;
      this.wanted = true;
      this.setConn("connecting");
      const url = (window.location.protocol === "https:" ? "wss://" : "ws://") + window.location.host + "/api/console/ws";
      let socket;
      try {
        socket = new WebSocket(url);
      } catch (e) {
        this.scheduleReconnect();
        return;
      }
      this.ws = socket;
      socket.addEventListener("message", (event) => {
        if (this.ws !== socket) return;
        let data;
        try {
          data = JSON.parse(event.data);
        } catch (e) {
          return;
        }
        if (data && typeof data === "object" && typeof data.type === "string") this.options.onEvent(data);
      });
      socket.addEventListener("close", (event) => {
        if (this.ws !== socket) return;
        this.ws = null;
        this.stopHeartbeat();
        if (event.code === 4401) {
          this.options.onExpired();
          return;
        }
        if (event.code === 4403) this.options.onRefused();
        if (this.wanted) this.scheduleReconnect();
        else this.setConn("offline");
      });
    }

    scheduleReconnect() {
      const base = Math.min(30000, 1000 * 2 ** this.backoff);
      const delay = Math.round(base * (0.75 + Math.random() * 0.5));
      this.backoff = Math.min(this.backoff + 1, 5);
      this.retryAt = Date.now() + delay;
      this.setConn("reconnecting");
      window.clearTimeout(this.timer);
      this.timer = window.setTimeout(() => {
        this.timer = null;
        this.connect();
      }, delay);
    }

    /** Close for good (sign-out): no reconnect. */
    stop() {
      this.wanted = false;
      window.clearTimeout(this.timer);
      this.timer = null;
      this.stopHeartbeat();
      const socket = this.ws;
      this.ws = null;
      if (socket) socket.close(1000);
      this.setConn("offline");
    }

    /** Send a frame if the socket is open; whether it was sent. */
    send(frame) {
      if (this.ws && this.ws.readyState === WebSocket.OPEN) {
        this.ws.send(JSON.stringify(frame));
        return true;
      }
      return false;
    }

    /** The hub's hello: the connection works (the next outage starts the backoff again); heartbeats at its rate. */
    hello(event) {
      this.backoff = 0;
      this.setConn("online");
      this.stopHeartbeat();
      const every = Math.max(1, Number(event.heartbeat_seconds) || 5) * 1000;
      this.heartbeatTimer = window.setInterval(() => this.send({ type: "heartbeat" }), every);
    }

    /** The browser is online again: try now rather than at the end of the backoff. */
    retryNow() {
      if (this.options.signedIn() && !this.ws && this.wanted) {
        window.clearTimeout(this.timer);
        this.connect();
      }
    }

    stopHeartbeat() {
      window.clearInterval(this.heartbeatTimer);
      this.heartbeatTimer = null;
    }

    setConn(conn) {
      this.conn = conn;
      this.options.onState(conn);
    }

    /** The connection's state in #conn (data-state for its colour), with the seconds to the next try. */
    render(t) {
      const el = document.getElementById("conn");
      el.dataset.state = this.conn;
      const seconds = Math.max(0, Math.ceil((this.retryAt - Date.now()) / 1000));
      el.textContent = t("conn_" + this.conn, { seconds });
    }
  }

  return {
    MONTHS,
    initialLanguage,
    saveLanguage,
    words,
    applyWords,
    h,
    fill,
    readCookie,
    supervises,
    parseTime,
    shanghai,
    dayNumber,
    hhmm,
    announce,
    toast,
    ApiError,
    apiClient,
    showView,
    showSignInError,
    submitSignIn,
    Socket,
  };
})();
