/* <sme-chat>: the bank's SME customer chat, one custom element over the hub's customer API v1 (REST + websocket).

   Embed: <script src="https://HUB/widget/widget.js" defer></script>
          <sme-chat hub="https://HUB" lang="zh" customer-token="..." theme-color="#b71c1c" title="..." position="bottom-right" open></sme-chat>

   Safety rules this file keeps: everything from the hub, an agent or the customer goes into the page with textContent
   (never innerHTML); links are made only for http(s) addresses, with rel=noopener; nothing from a message becomes an
   attribute name, a style or a script. The styles live in a constructed stylesheet inside the shadow root (CSSOM,
   so a strict Content-Security-Policy without 'unsafe-inline' allows them); nothing here uses eval. Personal
   numbers are masked by the hub; this file never logs message text. See web_widget/README.md. */
"use strict";

(() => {
  if (window.customElements && customElements.get("sme-chat")) return;

  const STRINGS = {
    zh: {
      title: "小微企业智能客服", open: "在线客服", close: "收起对话", placeholder: "请输入您的问题",
      send: "发送", human: "转人工", humanText: "转人工", back: "返回智能助手", end: "结束对话",
      endConfirm: "确认结束？", ended: "对话已结束，感谢您的咨询。", restart: "开始新对话", connecting: "连接中…",
      online: "在线", offline: "网络已断开，正在重连…", sending: "发送中", sent: "已发送", failed: "发送失败",
      retry: "重试", queued: (p, m) => `排队中：您排在第${p}位，${m}`, eta: (m) => (m <= 1 ? "预计很快接入" : `预计等待约${m}分钟`),
      agent: (n) => `人工客服 ${n} 正在为您服务`, agentNoName: "人工客服正在为您服务", botBack: "智能助手已继续为您服务",
      closed: "人工服务已结束", typingBot: "智能助手正在输入…", typingAgent: "客服正在输入…", you: "我",
      bot: "智能助手", system: "系统消息", rate: "请为本次服务打分", rated: (s) => `您的评分：${s}分`,
      stars: (s) => `${s}分`, request: "服务请求", requestState: "状态", lang: "English", langLabel: "Switch to English",
      newMessages: (n) => `${n}条新消息`, tooLong: "消息最多2000字", signinFailed: "登录信息已失效，已为您以访客身份接入。",
      states: { submitted: "已提交", accepted: "已受理", scheduled: "已预约", done: "已完成", cancelled: "已取消" },
      unavailable: "暂时无法连接客服，请稍后再试。",
    },
    en: {
      title: "SME Service Assistant", open: "Chat with us", close: "Minimise chat", placeholder: "Type your message",
      send: "Send", human: "Talk to a person", humanText: "talk to a person", back: "Back to the assistant",
      end: "End chat", endConfirm: "End the chat?", ended: "The chat has ended. Thank you.", restart: "New chat",
      connecting: "Connecting…", online: "Online", offline: "Connection lost, reconnecting…", sending: "Sending",
      sent: "Sent", failed: "Not sent", retry: "Retry",
      queued: (p, m) => `In the queue: number ${p}, ${m}`,
      eta: (m) => (m <= 1 ? "an agent should be with you shortly" : `about ${m} min wait`),
      agent: (n) => `${n} is helping you`, agentNoName: "An agent is helping you",
      botBack: "The assistant is back with you", closed: "The chat with the agent has ended",
      typingBot: "The assistant is typing…", typingAgent: "The agent is typing…", you: "Me", bot: "Assistant",
      system: "Notice", rate: "Please rate this chat", rated: (s) => `Your rating: ${s}`, stars: (s) => `${s} of 5`,
      request: "Service request", requestState: "Status", lang: "中文", langLabel: "切换到中文",
      newMessages: (n) => `${n} new messages`, tooLong: "At most 2000 characters",
      signinFailed: "Your sign-in has expired; you are chatting as a guest.",
      states: { submitted: "submitted", accepted: "accepted", scheduled: "scheduled", done: "done", cancelled: "cancelled" },
      unavailable: "The service cannot be reached right now; please try again later.",
    },
  };

  const STYLES = `
:host{all:initial;--accent:#b71c1c;--accent-ink:#fff;--ink:#1f2328;--muted:#595f66;--line:#d9dde3;--bg:#f4f6f9;
 font-family:-apple-system,"PingFang SC","Noto Sans CJK SC","Microsoft YaHei",system-ui,sans-serif;font-size:15px;color:var(--ink)}
*{box-sizing:border-box}
[hidden]{display:none!important}
button{font:inherit;cursor:pointer}
button:focus-visible,textarea:focus-visible,a:focus-visible{outline:3px solid #1a73e8;outline-offset:2px}
.launcher{position:fixed;bottom:calc(20px + env(safe-area-inset-bottom));right:20px;z-index:2147483000;border:0;border-radius:28px;
 background:var(--accent);color:var(--accent-ink);padding:14px 20px;box-shadow:0 4px 16px rgba(0,0,0,.25);font-weight:600}
:host([position=bottom-left]) .launcher{right:auto;left:20px}
.badge{display:inline-block;min-width:20px;margin-left:8px;padding:0 6px;border-radius:10px;background:#fff;color:var(--accent);font-size:12px}
.panel{position:fixed;bottom:calc(20px + env(safe-area-inset-bottom));right:20px;z-index:2147483001;width:380px;height:min(640px,calc(100vh - 40px));
 display:flex;flex-direction:column;background:#fff;border-radius:12px;overflow:hidden;box-shadow:0 8px 32px rgba(0,0,0,.28)}
:host([position=bottom-left]) .panel{right:auto;left:20px}
header{display:flex;align-items:center;gap:8px;padding:10px 12px;background:var(--accent);color:var(--accent-ink)}
header .t{flex:1;min-width:0}
header h2{margin:0;font-size:16px;font-weight:600;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
header .st{font-size:12px}
header button{background:transparent;color:inherit;border:1px solid rgba(255,255,255,.7);border-radius:6px;padding:4px 8px;font-size:13px;white-space:nowrap}
.bar{display:flex;flex-wrap:wrap;align-items:center;gap:8px;padding:8px 12px;background:#fff8e1;border-bottom:1px solid var(--line);font-size:13px}
.bar span{flex:1;min-width:0}
.bar button,.tools button,.qr button{border:1px solid var(--accent);color:var(--accent);background:#fff;border-radius:16px;padding:5px 12px;font-size:13px}
.log{flex:1;overflow-y:auto;overflow-x:hidden;padding:12px;background:var(--bg);overscroll-behavior:contain}
.m{display:flex;flex-direction:column;margin:8px 0;max-width:85%}
.m .b{padding:8px 12px;border-radius:12px;background:#fff;border:1px solid var(--line);white-space:pre-wrap;overflow-wrap:anywhere;line-height:1.45}
.m .meta{font-size:11px;color:var(--muted);margin-top:3px}
.m .who{font-size:12px;color:var(--muted);margin-bottom:3px}
.m.customer{margin-left:auto;align-items:flex-end}
.m.customer .b{background:#fde8e8;border-color:#f3c4c4}
.m.system{max-width:100%;align-items:center;text-align:center}
.m.system .b{background:#fff8e1;border-color:#f0dca0;font-size:13px}
.m.notice .b{background:transparent;border:0;color:var(--muted);font-size:12px}
.m.failed .meta{color:#b3261e}
.m .meta button{border:0;background:none;color:#b3261e;text-decoration:underline;padding:0 0 0 6px;font-size:11px}
.m a{color:#0b57d0}
.qr{display:flex;flex-wrap:wrap;gap:6px;margin-top:6px}
.qr button:disabled{opacity:.55;cursor:default}
.qr.rating button{min-width:40px}
.card{margin-top:6px;padding:8px 10px;border-radius:8px;background:#fff;border:1px solid var(--line);text-align:left;font-size:13px}
.card strong{display:block;font-size:14px}
.typing{padding:2px 14px 6px;font-size:12px;color:var(--muted);background:var(--bg);min-height:20px}
.tools{display:flex;gap:8px;padding:8px 12px 0;background:#fff;border-top:1px solid var(--line);flex-wrap:wrap}
form{display:flex;gap:8px;padding:8px 12px calc(10px + env(safe-area-inset-bottom));background:#fff}
textarea{flex:1;min-width:0;resize:none;font:inherit;font-size:16px;padding:8px 10px;border:1px solid #8a9099;border-radius:8px;max-height:120px;color:var(--ink)}
form button{border:0;border-radius:8px;background:var(--accent);color:var(--accent-ink);padding:0 16px;font-weight:600}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
:host([position=inline]){display:block;height:100%}
:host([position=inline]) .panel{position:relative;inset:auto;width:100%;height:100%;border-radius:0;box-shadow:none}
:host([position=inline]) .launcher,:host([position=inline]) .close{display:none}
@media (max-width:600px){
 :host(:not([position=inline])) .panel{inset:0;width:100%;height:var(--vvh,100%);max-height:none;border-radius:0;bottom:auto;right:auto;left:0;top:var(--vvt,0);
  padding-top:env(safe-area-inset-top);padding-left:env(safe-area-inset-left);padding-right:env(safe-area-inset-right)}
 :host([position=bottom-left]:not([position=inline])) .panel{left:0}
 .m{max-width:92%}
}`;

  const UUID = () =>
    crypto.randomUUID
      ? crypto.randomUUID()
      : "10000000-1000-4000-8000-100000000000".replace(/[018]/g, (c) =>
          (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16));
  const URL_RE = /https?:\/\/[^\s<>"'，。；！？、）)]+/g;
  const REQUEST_RE = /^SR\d{10}$/;
  const MAX_CHARS = 2000;
  const ACK_TIMEOUT_MS = 20000;
  const TYPING_SHOW_MS = 6000;

  function h(tag, props, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "text") el.textContent = v;
      else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children) if (c) el.append(c);
    return el;
  }

  // Text with its http(s) addresses as links; everything else stays text.
  function withLinks(text) {
    const frag = document.createDocumentFragment();
    let last = 0;
    for (const match of text.matchAll(URL_RE)) {
      let url = null;
      try { url = new URL(match[0]); } catch (e) { url = null; }
      if (!url || (url.protocol !== "https:" && url.protocol !== "http:")) continue;
      frag.append(text.slice(last, match.index));
      const a = h("a", { href: url.href, target: "_blank", rel: "noopener noreferrer nofollow" });
      a.textContent = match[0];
      frag.append(a);
      last = match.index + match[0].length;
    }
    frag.append(text.slice(last));
    return frag;
  }

  // Storage can be refused (private modes, some in-app browsers): the chat then lasts as long as the page.
  const store = {
    get(area, key) { try { return area.getItem(key); } catch (e) { return null; } },
    set(area, key, value) { try { area.setItem(key, value); } catch (e) { /* kept in memory only */ } },
    remove(area, key) { try { area.removeItem(key); } catch (e) { /* nothing stored */ } },
  };

  function subjectOf(token) {
    // Only to tell whether the signed-in customer changed (then a new conversation); the hub verifies the token.
    try {
      const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      return String(JSON.parse(atob(part)).sub || "");
    } catch (e) {
      return "";
    }
  }

  // Relative luminance (WCAG) of a #rgb / #rrggbb colour; null for any other notation.
  function luminance(color) {
    const hex = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(color.trim());
    if (!hex) return null;
    const digits = hex[1].length === 3 ? hex[1].replace(/./g, "$&$&") : hex[1];
    const [r, g, b] = [0, 2, 4].map((i) => {
      const c = parseInt(digits.slice(i, i + 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  }

  class SmeChat extends HTMLElement {
    static get observedAttributes() {
      return ["lang", "theme-color", "title", "open", "customer-token"];
    }

    constructor() {
      super();
      this.root = this.attachShadow({ mode: "open" });
      this.state = "idle";
      this.conv = null;
      this.socket = null;
      this.lastSeq = 0;
      this.seen = new Set();
      this.pending = new Map(); // client_msg_id -> {text, shown, el, timer, state}
      this.payloadTitles = new Map();
      this.sentTexts = new Map(); // client_msg_id -> text, for a retry after the assistant did not answer
      this.mode = null;
      this.agentName = "";
      this.attempt = 0;
      this.reconnectTimer = null;
      this.unread = 0;
      this.built = false;
      this.typingTimer = null;
      this.pingTimer = null;
      this.lastPong = 0;
    }

    get hub() {
      const attr = this.getAttribute("hub");
      return (attr || (SmeChat.scriptOrigin || location.origin)).replace(/\/+$/, "");
    }

    get lang() {
      const l = (this.uiLang || this.getAttribute("lang") || navigator.language || "zh").toLowerCase();
      return l.startsWith("en") ? "en" : "zh";
    }

    get t() {
      return STRINGS[this.lang];
    }

    get storageKey() {
      return "sme-chat/v1/" + this.hub;
    }

    connectedCallback() {
      if (!this.built) this.build();
      this.applyTheme();
      this.applyStrings();
      this.conv = this.loadStored();
      const wasOpen = store.get(sessionStorage, this.storageKey + "/open") === "1";
      if (this.hasAttribute("open") || wasOpen || this.getAttribute("position") === "inline") this.openPanel(false);
      else if (this.conv) this.start();
      this._onOnline = () => { if (this.conv && this.state !== "online") this.connect(true); };
      window.addEventListener("online", this._onOnline);
      if (window.visualViewport) {
        this._onViewport = () => this.fitViewport();
        visualViewport.addEventListener("resize", this._onViewport);
        visualViewport.addEventListener("scroll", this._onViewport);
        this.fitViewport();
      }
    }

    disconnectedCallback() {
      window.removeEventListener("online", this._onOnline);
      if (this._onViewport) {
        visualViewport.removeEventListener("resize", this._onViewport);
        visualViewport.removeEventListener("scroll", this._onViewport);
      }
      this.stopSocket();
    }

    attributeChangedCallback(name) {
      if (!this.built) return;
      if (name === "theme-color") this.applyTheme();
      else if (name === "lang" || name === "title") {
        if (name === "lang") this.uiLang = null; // the host page chose: its choice wins over the header toggle
        this.applyStrings();
      }
      else if (name === "open" && this.hasAttribute("open")) this.openPanel(false);
      else if (name === "customer-token" && this.isConnected) {
        // Another customer signed in on the host page (or signed out): their own conversation, not this one.
        const token = this.getAttribute("customer-token") || "";
        if (this.conv && (this.conv.sub || "") === (token ? subjectOf(token) : "")) return;
        const wasActive = Boolean(this.conv) || !this.$.panel.hidden;
        this.forget();
        this.readySent = false;
        if (wasActive) this.start();
      }
    }

    // ---- the DOM ---------------------------------------------------------------------------------------------

    build() {
      this.built = true;
      if (this.root.adoptedStyleSheets !== undefined && window.CSSStyleSheet && CSSStyleSheet.prototype.replaceSync) {
        const sheet = new CSSStyleSheet();
        sheet.replaceSync(STYLES);
        this.root.adoptedStyleSheets = [sheet];
      } else {
        this.root.append(h("style", { text: STYLES }));
      }
      const $ = {};
      this.$ = $;
      $.badge = h("span", { class: "badge", hidden: true });
      $.launcherText = h("span");
      $.launcher = h("button", { type: "button", class: "launcher", "aria-expanded": "false", "aria-controls": "panel",
        onclick: () => this.openPanel(true) }, $.launcherText, $.badge);
      $.heading = h("h2", { id: "title" });
      $.status = h("div", { class: "st", role: "status" });
      $.lang = h("button", { type: "button", class: "lang", onclick: () => this.toggleLanguage() });
      $.end = h("button", { type: "button", class: "end", onclick: () => this.askEnd() });
      $.close = h("button", { type: "button", class: "close", onclick: () => this.closePanel() });
      $.close.textContent = "✕";
      $.barText = h("span");
      $.barButton = h("button", { type: "button", hidden: true, onclick: () => this.send("/leave_queue", this.t.back) });
      $.bar = h("div", { class: "bar", role: "status", hidden: true }, $.barText, $.barButton);
      $.log = h("div", { class: "log", role: "log", "aria-live": "polite", "aria-relevant": "additions", tabindex: "0" });
      $.typing = h("div", { class: "typing", "aria-live": "polite" });
      $.human = h("button", { type: "button", class: "human", onclick: () => this.send(this.t.humanText) });
      $.restart = h("button", { type: "button", class: "restart", hidden: true, onclick: () => this.restart() });
      $.tools = h("div", { class: "tools" }, $.human, $.restart);
      $.input = h("textarea", { rows: "1", maxlength: String(MAX_CHARS), autocomplete: "off", enterkeyhint: "send" });
      $.input.addEventListener("keydown", (e) => {
        if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); this.submit(); }
      });
      $.input.addEventListener("input", () => this.sendTyping());
      $.sendButton = h("button", { type: "submit", class: "send" });
      $.form = h("form", { onsubmit: (e) => { e.preventDefault(); this.submit(); } }, $.input, $.sendButton);
      $.panel = h("section", { id: "panel", class: "panel", role: "dialog", "aria-labelledby": "title", hidden: true },
        h("header", {}, h("div", { class: "t" }, $.heading, $.status), $.lang, $.end, $.close),
        $.bar, $.log, $.typing, $.tools, $.form);
      $.panel.addEventListener("keydown", (e) => { if (e.key === "Escape") this.closePanel(); });
      this.root.append($.launcher, $.panel);
    }

    applyTheme() {
      const color = this.getAttribute("theme-color");
      if (!color || !window.CSS || !CSS.supports("color", color)) return;
      this.style.setProperty("--accent", color);
      // Text on the theme colour: white when it keeps WCAG AA contrast (4.5:1), else near-black.
      const lum = luminance(color);
      if (lum !== null) this.style.setProperty("--accent-ink", 1.05 / (lum + 0.05) >= 4.5 ? "#fff" : "#1f2328");
    }

    applyStrings() {
      const t = this.t, $ = this.$;
      $.launcherText.textContent = t.open;
      $.heading.textContent = this.getAttribute("title") || t.title;
      $.lang.textContent = t.lang;
      $.lang.setAttribute("aria-label", t.langLabel);
      $.lang.setAttribute("lang", this.lang === "zh" ? "en" : "zh");
      $.end.textContent = this.endArmed ? t.endConfirm : t.end;
      $.close.setAttribute("aria-label", t.close);
      $.human.textContent = t.human;
      $.restart.textContent = t.restart;
      $.input.setAttribute("placeholder", t.placeholder);
      $.input.setAttribute("aria-label", t.placeholder);
      $.sendButton.textContent = t.send;
      $.panel.setAttribute("lang", this.lang === "zh" ? "zh-CN" : "en");
      this.showStatus();
      this.showMode();
    }

    toggleLanguage() {
      this.uiLang = this.lang === "zh" ? "en" : "zh";
      this.applyStrings();
    }

    fitViewport() {
      // On a phone the keyboard shrinks the visual viewport: the panel follows it so the input stays in view.
      const vv = window.visualViewport;
      this.style.setProperty("--vvh", vv.height + "px");
      this.style.setProperty("--vvt", vv.offsetTop + "px");
    }

    openPanel(focus) {
      this.$.panel.hidden = false;
      this.$.launcher.hidden = true;
      this.$.launcher.setAttribute("aria-expanded", "true");
      this.unread = 0;
      this.showBadge();
      store.set(sessionStorage, this.storageKey + "/open", "1");
      this.start();
      if (focus) this.$.input.focus();
      this.scrollDown();
      this.emit("open", {});
    }

    closePanel() {
      if (this.getAttribute("position") === "inline") return;
      this.$.panel.hidden = true;
      this.$.launcher.hidden = false;
      this.$.launcher.setAttribute("aria-expanded", "false");
      store.remove(sessionStorage, this.storageKey + "/open");
      this.$.launcher.focus();
      this.emit("close", {});
    }

    emit(name, detail) {
      this.dispatchEvent(new CustomEvent("sme-chat:" + name, { detail, bubbles: true, composed: true }));
    }

    // ---- the conversation ------------------------------------------------------------------------------------

    loadStored() {
      try {
        const saved = JSON.parse(store.get(localStorage, this.storageKey) || "null");
        if (!saved || typeof saved.id !== "string" || typeof saved.token !== "string") return null;
        const token = this.getAttribute("customer-token") || "";
        if ((saved.sub || "") !== (token ? subjectOf(token) : "")) return null; // another customer signed in
        return saved;
      } catch (e) {
        return null;
      }
    }

    async start() {
      if (this.starting || this.socket) return;
      this.starting = true;
      try {
        if (!this.conv) this.conv = await this.create();
        if (this.conv) this.connect(false);
      } finally {
        this.starting = false;
      }
    }

    async create() {
      this.setState("connecting");
      const token = this.getAttribute("customer-token") || "";
      const body = { channel: "web", language: this.lang };
      if (token) body.customer_token = token;
      try {
        let response = await this.post("/api/v1/conversations", body);
        if (response.status === 401 && token) {
          this.notice(this.t.signinFailed);
          delete body.customer_token;
          response = await this.post("/api/v1/conversations", body);
        }
        if (!response.ok) throw new Error("status " + response.status);
        const made = await response.json();
        const conv = { id: String(made.conversation_id), token: String(made.resume_token),
          sub: token ? subjectOf(token) : "" };
        store.set(localStorage, this.storageKey, JSON.stringify(conv));
        return conv;
      } catch (e) {
        this.setState("offline");
        this.scheduleReconnect();
        return null;
      }
    }

    post(path, body) {
      return fetch(this.hub + path, { method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body), credentials: "omit" });
    }

    connect(now) {
      clearTimeout(this.reconnectTimer);
      if (!this.conv) { this.start(); return; }
      if (this.socket && this.socket.readyState <= 1) {
        if (!now) return;
        this.socket.onclose = null;
        this.socket.close();
      }
      this.setState(this.state === "offline" ? "offline" : "connecting");
      const base = this.hub.replace(/^http/, "ws");
      const url = `${base}/api/v1/conversations/${encodeURIComponent(this.conv.id)}/ws?token=` +
        `${encodeURIComponent(this.conv.token)}&last_seq=${this.lastSeq}`;
      let ws;
      try { ws = new WebSocket(url); } catch (e) { this.scheduleReconnect(); return; }
      this.socket = ws;
      ws.onopen = () => {
        this.attempt = 0;
        this.lastPong = Date.now();
        this.setState("online");
        clearInterval(this.pingTimer);
        this.pingTimer = setInterval(() => this.keepAlive(), 10000);
        for (const [id, p] of this.pending) if (p.state !== "failed") this.transmit(id);
      };
      ws.onmessage = (e) => {
        let ev;
        try { ev = JSON.parse(e.data); } catch (err) { return; }
        if (ev && typeof ev === "object") this.onEvent(ev);
      };
      ws.onclose = (e) => {
        if (this.socket !== ws) return;
        this.socket = null;
        clearInterval(this.pingTimer);
        if (e.code === 4401 || e.code === 4404) { this.forget(); this.start(); return; }
        this.setState("offline");
        this.scheduleReconnect();
      };
    }

    keepAlive() {
      const ws = this.socket;
      if (!ws || ws.readyState !== 1) return;
      if (Date.now() - this.lastPong > 25000) { ws.close(); return; } // a dead line: onclose reconnects
      ws.send(JSON.stringify({ type: "ping" }));
    }

    scheduleReconnect() {
      clearTimeout(this.reconnectTimer);
      const delay = Math.min(15000, 500 * 2 ** this.attempt) * (0.75 + Math.random() * 0.5);
      this.attempt = Math.min(this.attempt + 1, 6);
      this.reconnectTimer = setTimeout(() => this.connect(false), delay);
    }

    stopSocket() {
      clearTimeout(this.reconnectTimer);
      clearInterval(this.pingTimer);
      if (this.socket) {
        this.socket.onclose = null;
        this.socket.close();
        this.socket = null;
      }
    }

    forget() {
      this.stopSocket();
      store.remove(localStorage, this.storageKey);
      this.conv = null;
      this.lastSeq = 0;
      this.seen.clear();
      for (const p of this.pending.values()) clearTimeout(p.timer);
      this.pending.clear();
      this.mode = null;
      this.agentName = "";
      this.$.log.replaceChildren();
      this.showMode();
    }

    setState(state) {
      this.state = state;
      this.setAttribute("data-state", state);
      this.showStatus();
      if (state === "online" && !this.readySent) {
        this.readySent = true;
        this.emit("ready", { conversationId: this.conv && this.conv.id });
      }
    }

    showStatus() {
      const t = this.t;
      const text = { online: t.online, offline: t.offline, ended: t.ended }[this.state] || t.connecting;
      this.$.status.textContent = text;
    }

    // ---- events from the hub ---------------------------------------------------------------------------------

    onEvent(ev) {
      switch (ev.type) {
        case "message":
          if (ev.message && typeof ev.message === "object") this.onMessage(ev.message);
          break;
        case "ack":
          this.onAck(ev.client_msg_id, ev.seq);
          break;
        case "mode":
          this.onMode(ev);
          break;
        case "typing":
          if (ev.sender === "bot" || ev.sender === "agent") this.showTyping(ev.sender);
          break;
        case "error":
          this.onError(ev);
          break;
        case "pong":
          this.lastPong = Date.now();
          break;
        default:
          break; // closed, satisfaction_request: the stored system messages carry the same
      }
      this.lastPong = Date.now();
    }

    onAck(id, seq) {
      const p = this.pending.get(id);
      if (!p) return;
      clearTimeout(p.timer);
      p.state = "sent";
      this.markState(p.el, "sent");
      if (this.seen.has(seq)) this.pending.delete(id); // a retry of a message already shown
    }

    onError(ev) {
      const id = typeof ev.client_msg_id === "string" ? ev.client_msg_id : "";
      let p = id && this.pending.get(id);
      if (!p && id && this.sentTexts.has(id)) {
        // Stored, but the assistant did not answer: a retry with the same id asks it again.
        const el = [...this.$.log.children].find((c) => c.dataset.clientId === id);
        if (el) { p = { text: this.sentTexts.get(id), el, state: "failed", timer: null }; this.pending.set(id, p); }
      }
      if (p) {
        clearTimeout(p.timer);
        p.state = "failed";
        this.markState(p.el, "failed", ev.client_msg_id);
      }
      if (typeof ev.message === "string" && ev.code !== "validation_error") this.notice(ev.message);
    }

    onMode(ev) {
      const before = this.mode;
      const mode = String(ev.mode || "bot");
      if (ev.agent && typeof ev.agent.display_name === "string") this.agentName = ev.agent.display_name;
      this.queue = mode === "queued" && ev.queue ? ev.queue : null;
      this.mode = mode;
      if (before === "agent" && mode === "bot") this.notice(this.t.botBack);
      this.showMode();
      this.emit("mode", { mode });
    }

    showMode() {
      const t = this.t, $ = this.$;
      if (!$) return;
      let text = "", back = false;
      if (this.mode === "queued") {
        const q = this.queue;
        text = q ? t.queued(q.position, t.eta(Math.ceil((q.eta_seconds || 0) / 60))) : t.queued("…", "");
        back = true;
      } else if (this.mode === "agent") {
        text = this.agentName ? t.agent(this.agentName) : t.agentNoName;
      } else if (this.mode === "closed") {
        text = t.closed;
      }
      $.bar.hidden = !text;
      $.barText.textContent = text;
      $.barButton.hidden = !back;
      $.barButton.textContent = t.back;
      $.human.hidden = this.mode === "queued" || this.mode === "agent" || this.state === "ended";
    }

    onMessage(m) {
      const seq = Number(m.seq);
      if (!Number.isInteger(seq) || this.seen.has(seq)) return;
      this.seen.add(seq);
      for (const b of Array.isArray(m.buttons) ? m.buttons : []) {
        if (b && typeof b.payload === "string" && typeof b.title === "string") this.payloadTitles.set(b.payload, b.title);
      }
      const custom = m.custom && typeof m.custom === "object" ? m.custom : {};
      if (custom.agent_joined && typeof custom.agent_joined.display_name === "string") {
        this.agentName = custom.agent_joined.display_name;
        this.showMode();
      }
      const own = m.client_msg_id && this.pending.get(m.client_msg_id);
      const el = this.renderMessage(m, custom);
      if (own) {
        clearTimeout(own.timer);
        this.pending.delete(m.client_msg_id);
        el.dataset.clientId = m.client_msg_id;
        this.markState(el, "sent");
        own.el.remove();
      }
      this.insert(el, seq);
      if (m.sender !== "customer") this.hideTyping();
      if (seq > this.lastSeq) this.lastSeq = seq;
      if (m.sender === "customer") this.disableOldButtons(seq);
      if (custom.rating) this.disableRating();
      if (this.$.panel.hidden && m.sender !== "customer") { this.unread += 1; this.showBadge(); }
      this.scrollDown();
      this.emit("message", { seq, sender: String(m.sender) });
    }

    insert(el, seq) {
      // In sequence order, above the customer's messages still on their way (they stay at the bottom until stored).
      const log = this.$.log;
      let before = null;
      for (const child of log.children) {
        const stored = child.dataset.seq !== undefined;
        if ((stored && Number(child.dataset.seq) > seq) || (!stored && child.dataset.clientId)) {
          before = child;
          break;
        }
      }
      log.insertBefore(el, before);
    }

    renderMessage(m, custom) {
      const t = this.t;
      const sender = ["customer", "bot", "agent", "system"].includes(m.sender) ? m.sender : "system";
      const el = h("div", { class: "m " + sender, "data-seq": String(m.seq) });
      if (sender === "agent") el.append(h("div", { class: "who", text: typeof m.sender_name === "string" && m.sender_name ? m.sender_name : t.agentNoName }));
      let text = typeof m.text === "string" ? m.text : "";
      if (sender === "customer" && text.startsWith("/")) {
        text = text.startsWith("/rate") ? this.payloadLabel(text) : this.payloadTitles.get(text) || this.payloadLabel(text);
      }
      const bubble = h("div", { class: "b" });
      bubble.append(withLinks(text));
      el.append(bubble);
      const sr = custom.service_request;
      if (sender === "system" && sr && typeof sr.number === "string" && REQUEST_RE.test(sr.number)) {
        const state = t.states[sr.state] || String(sr.state || "");
        el.append(h("div", { class: "card sr-card" }, h("strong", { text: `${t.request} ${sr.number}` }),
          h("span", { class: "sr-state", text: `${t.requestState}: ${state}` })));
      }
      if (custom.rating && Number.isInteger(custom.rating.score)) {
        el.append(h("div", { class: "card", text: t.rated(custom.rating.score) }));
      }
      const buttons = Array.isArray(m.buttons) ? m.buttons.filter((b) => b && typeof b.payload === "string") : [];
      if (buttons.length && sender !== "customer") {
        const rating = Boolean(custom.satisfaction_request);
        const box = h("div", { class: rating ? "qr rating" : "qr", role: "group",
          "aria-label": rating ? t.rate : null });
        for (const b of buttons) {
          const title = typeof b.title === "string" ? b.title : b.payload;
          const btn = h("button", { type: "button", text: title,
            "aria-label": rating && /^\d$/.test(title) ? t.stars(title) : null,
            onclick: () => this.send(b.payload, title) });
          box.append(btn);
        }
        el.append(box);
      }
      el.append(h("div", { class: "meta" }, h("time", { datetime: String(m.created_at || ""), text: this.time(m.created_at) })));
      return el;
    }

    payloadLabel(text) {
      if (text.startsWith("/rate")) {
        const match = /"score":\s*(\d)/.exec(text);
        return match ? this.t.stars(match[1]) : text;
      }
      if (text === "/leave_queue") return this.t.back;
      return text;
    }

    time(iso) {
      const d = iso ? new Date(iso) : new Date();
      if (Number.isNaN(d.getTime())) return "";
      return d.toLocaleTimeString(this.lang === "zh" ? "zh-CN" : "en-GB", { hour: "2-digit", minute: "2-digit" });
    }

    disableOldButtons(seq) {
      for (const box of this.$.log.querySelectorAll(".m .qr:not(.rating)")) {
        const owner = box.parentElement;
        if (Number(owner.dataset.seq) < seq) box.querySelectorAll("button").forEach((b) => { b.disabled = true; });
      }
    }

    disableRating() {
      this.$.log.querySelectorAll(".qr.rating button").forEach((b) => { b.disabled = true; });
    }

    notice(text) {
      this.$.log.append(h("div", { class: "m system notice", role: "status" }, h("div", { class: "b", text })));
      this.scrollDown();
    }

    showTyping(sender) {
      this.$.typing.textContent = sender === "agent" ? this.t.typingAgent : this.t.typingBot;
      clearTimeout(this.typingTimer);
      this.typingTimer = setTimeout(() => this.hideTyping(), TYPING_SHOW_MS);
    }

    hideTyping() {
      clearTimeout(this.typingTimer);
      this.$.typing.textContent = "";
    }

    showBadge() {
      this.$.badge.hidden = this.unread === 0;
      this.$.badge.textContent = String(this.unread);
      this.$.badge.setAttribute("aria-label", this.t.newMessages(this.unread));
    }

    scrollDown() {
      const log = this.$.log;
      log.scrollTop = log.scrollHeight;
    }

    // ---- the customer's messages -----------------------------------------------------------------------------

    submit() {
      const text = this.$.input.value.trim();
      if (!text) return;
      if (text.length > MAX_CHARS) { this.notice(this.t.tooLong); return; }
      this.$.input.value = "";
      this.send(text);
    }

    send(text, shown) {
      if (this.state === "ended") this.restart();
      const id = UUID();
      const el = h("div", { class: "m customer", "data-client-id": id });
      const bubble = h("div", { class: "b" });
      bubble.append(withLinks(shown || text));
      el.append(bubble, h("div", { class: "meta" }));
      const p = { text, el, state: "sending", timer: null };
      this.pending.set(id, p);
      this.sentTexts.set(id, text);
      this.markState(el, "sending");
      this.$.log.append(el);
      this.scrollDown();
      this.transmit(id);
    }

    transmit(id) {
      const p = this.pending.get(id);
      if (!p) return;
      clearTimeout(p.timer);
      p.state = "sending";
      this.markState(p.el, "sending");
      const ws = this.socket;
      if (ws && ws.readyState === 1) {
        ws.send(JSON.stringify({ type: "message", client_msg_id: id, text: p.text }));
        p.timer = setTimeout(() => { p.state = "failed"; this.markState(p.el, "failed", id); }, ACK_TIMEOUT_MS);
      } else {
        this.start(); // sent when the socket opens
      }
    }

    retry(id, stored) {
      if (!this.pending.has(id) && stored) this.pending.set(id, stored);
      if (this.pending.has(id)) this.transmit(id);
    }

    markState(el, state, id, stored) {
      el.classList.toggle("failed", state === "failed");
      el.dataset.state = state;
      const meta = el.querySelector(".meta");
      const t = this.t;
      const time = meta.querySelector("time");
      meta.replaceChildren();
      if (time) meta.append(time, " ");
      meta.append(h("span", { class: "state", text: t[state] }));
      if (state === "failed") {
        const pending = stored || this.pending.get(id);
        if (pending) pending.el = el;
        meta.append(h("button", { type: "button", class: "retry", text: t.retry, onclick: () => this.retry(id, pending) }));
      }
    }

    sendTyping() {
      const ws = this.socket;
      const now = Date.now();
      if (!ws || ws.readyState !== 1 || now - (this.typingSentAt || 0) < 1500) return;
      if (this.mode !== "agent" && this.mode !== "queued") return;
      this.typingSentAt = now;
      ws.send(JSON.stringify({ type: "typing" }));
    }

    askEnd() {
      if (!this.endArmed) {
        this.endArmed = true;
        this.$.end.textContent = this.t.endConfirm;
        setTimeout(() => { this.endArmed = false; this.$.end.textContent = this.t.end; }, 5000);
        return;
      }
      this.endArmed = false;
      this.endConversation();
    }

    // Ends the conversation on this device: leaves the queue if waiting, forgets the conversation.
    endConversation() {
      const ws = this.socket;
      if (ws && ws.readyState === 1 && this.mode === "queued") {
        ws.send(JSON.stringify({ type: "message", client_msg_id: UUID(), text: "/leave_queue" }));
      }
      this.forget();
      this.state = "ended";
      this.setAttribute("data-state", "ended");
      this.notice(this.t.ended);
      this.showStatus();
      this.$.end.textContent = this.t.end;
      this.$.end.hidden = true;
      this.$.restart.hidden = false;
      this.showMode();
      this.emit("ended", {});
    }

    restart() {
      this.$.restart.hidden = true;
      this.$.end.hidden = false;
      this.$.log.replaceChildren();
      this.state = "idle";
      this.readySent = false;
      this.start();
      this.showMode();
    }
  }

  const current = document.currentScript;
  if (current && current.src) {
    try { SmeChat.scriptOrigin = new URL(current.src).origin; } catch (e) { SmeChat.scriptOrigin = null; }
  }
  customElements.define("sme-chat", SmeChat);
})();
