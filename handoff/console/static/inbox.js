/* The account managers' inbox (/inbox/): the service requests customers left for them, over the hub's inbox API
   (/api/inbox), the console's sign-in (/api/console/session) and the console's websocket (/api/console/ws).

   Safety rules this file keeps (the console's): everything that came from the server or a customer is put into
   the page with textContent (never innerHTML), never as an attribute name and never as HTML. A request number
   goes into an API path or the address only after it passed NUMBER_PATTERN; the only link built from data is
   the tel: link, and only from a mobile that passed MOBILE_PATTERN (digits). Every write sends the CSRF token
   (cookie hub_csrf) as X-CSRF-Token.

   What the console does the same way (words, the DOM builder h, Beijing times, the API call, toasts, the sign-in
   form, the websocket) is in staff.js (window.StaffPage), loaded before this file. */
"use strict";

(() => {
  const WORDS = window.INBOX_I18N || { zh: {}, en: {} };
  const SHARED = window.CONSOLE_I18N || { zh: {}, en: {} };
  const NUMBER_PATTERN = /^SR\d{10}$/;
  const MOBILE_PATTERN = /^1[3-9]\d{9}$/;
  const DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;
  const TIME_PATTERN = /^([01]\d|2[0-3]):[0-5]\d$/;
  const REFRESH_MS = 30000;
  const LIST_MIN_GAP_MS = 400;
  const INBOX_ROLES = new Set(["account_manager", "supervisor", "admin"]);
  const SENDERS = new Set(["customer", "bot", "agent", "system"]);

  // ---- state ---------------------------------------------------------------------------------------------

  const state = {
    lang: StaffPage.initialLanguage(),
    me: null,
    csrf: "",
    scope: "open",
    requests: [],
    loaded: false,
    known: null, // numbers seen in earlier lists: a number not among them has just arrived
    fresh: new Set(), // numbers shown as "new" until opened
    unannounced: new Set(), // new numbers to say aloud once the list shows what they are
    listError: "",
    listAt: null,
    listBusy: false,
    listAgain: false,
    listLast: 0,
    openNumber: null,
    detail: null,
    problem: null, // {key, vars, retry}
    panel: null, // the action form that is open
    detailLoading: null, // the number whose detail is being read
    busy: false,
    timers: [],
    generation: 0, // bumped at every sign-in and sign-out: late answers of an old session are dropped
  };

  const $ = (id) => document.getElementById(id);

  const { h, fill, parseTime, shanghai, dayNumber, hhmm, announce } = StaffPage;

  // ---- words: the inbox's own table first, then the console's (sign-in, roles, request labels) ------------

  const words = StaffPage.words([WORDS, SHARED], () => state.lang);
  const { lookup, t, label, stageLabel, formatValue, humanWait, senderName, stateBadge, requestEventText } = words;

  function applyStaticWords() {
    StaffPage.applyWords(state.lang, t);
    renderTitle();
  }

  function renderTitle() {
    const count = state.me ? [...state.fresh].filter((n) => state.requests.some((r) => r.number === n)).length : 0;
    document.title = count ? t("ib_doc_title_new", { count }) : t("ib_doc_title");
  }

  function setLanguage(lang) {
    state.lang = StaffPage.saveLanguage(lang);
    applyStaticWords();
    renderAll();
  }

  // ---- small helpers -------------------------------------------------------------------------------------

  function validNumber(number) {
    return typeof number === "string" && NUMBER_PATTERN.test(number);
  }

  function requestPath(number, tail) {
    if (!validNumber(number)) throw new Error("bad request number");
    return "/api/inbox/requests/" + encodeURIComponent(number) + (tail || "");
  }

  function supervises() {
    return StaffPage.supervises(state.me);
  }

  // ---- times: always Asia/Shanghai -----------------------------------------------------------------------

  /** Today, tomorrow, yesterday by name, else the date with its weekday: an account manager plans by the day. */
  function dayText(date) {
    const p = shanghai(date);
    const today = shanghai(new Date());
    const diff = dayNumber(p) - dayNumber(today);
    if (diff === 0) return t("sr_day_today");
    if (diff === 1) return t("sr_day_tomorrow");
    if (diff === -1) return t("sr_day_yesterday");
    const vars = { y: p.y, m: p.m, d: p.d, month: StaffPage.MONTHS[p.m - 1], weekday: t("ib_weekday_" + p.weekday) };
    return p.y === today.y ? t("ib_date", vars) : t("ib_date_year", vars);
  }

  function when(value) {
    const date = value instanceof Date ? value : parseTime(value);
    return date ? `${dayText(date)} ${hhmm(date)}` : "—";
  }

  function windowText(window_) {
    const start = window_ ? parseTime(window_.start) : null;
    const end = window_ ? parseTime(window_.end) : null;
    if (!start || !end) return "—";
    if (dayNumber(shanghai(start)) === dayNumber(shanghai(end))) return `${dayText(start)} ${hhmm(start)}-${hhmm(end)}`;
    return `${when(start)} - ${when(end)}`;
  }

  /** The Shanghai date (YYYY-MM-DD) and time (HH:MM) of a moment, for the date and time inputs. */
  function inputValues(date) {
    const p = shanghai(date);
    return {
      date: `${String(p.y).padStart(4, "0")}-${String(p.m).padStart(2, "0")}-${String(p.d).padStart(2, "0")}`,
      time: `${p.hh}:${p.mm}`,
    };
  }

  // ---- announcements and toasts -------------------------------------------------------------------------

  /** A toast; one about a request (number) goes away when that request is opened. */
  function toast(text, kind, number) {
    StaffPage.toast(text, kind, { keep: 3, closeLabel: t("close"), attrs: { "data-number": validNumber(number) ? number : null } });
  }

  // ---- the API -------------------------------------------------------------------------------------------

  const api = StaffPage.apiClient({
    t,
    generation: () => state.generation,
    signedIn: () => Boolean(state.me),
    csrf: () => state.csrf,
    expired: () => signedOut(t("session_expired")),
  });

  /** What went wrong with an action, in words for the account manager. */
  function actionErrorText(error) {
    if (error.code === "network") return t("ib_err_network");
    if (error.code === "csrf_failed") return t("err_csrf");
    if (error.code === "not_your_request") return t("ib_err_not_yours");
    if (error.status === 409) return null; // a conflict: said with the state it is in now, after a reload
    if (error.status === 403) return t("ib_err_forbidden");
    if (error.status === 404) return t("ib_err_not_found");
    if (error.code === "time_in_the_past") return t("ib_err_past");
    if (error.code === "empty_note") return t("ib_err_note");
    if (error.status === 422 || error.status === 400) return t("ib_err_invalid", { message: error.message || error.code });
    if (error.status >= 500) return t("ib_err_server", { status: error.status });
    return t("err_generic", { message: error.message || error.code || "?" });
  }

  // ---- views ---------------------------------------------------------------------------------------------

  const VIEWS = ["loading", "signin", "wrong-role", "app"];
  const showView = (name) => StaffPage.showView(VIEWS, name);
  const showSignInError = StaffPage.showSignInError;

  // ---- sign-in and sign-out ------------------------------------------------------------------------------

  function onSignIn(event) {
    return StaffPage.submitSignIn(event, {
      api,
      t,
      humanWait,
      started: (data) => {
        state.csrf = data.csrf_token;
        start(data.user);
      },
    });
  }

  async function onSignOut() {
    try {
      await api("DELETE", "/api/console/session");
    } catch (error) {
      if (error.code === "network") {
        toast(t("err_network"), "error");
        return;
      }
    }
    signedOut("");
  }

  /** Forget everything of the session (nothing of its customers stays in the page) and show the sign-in form. */
  function signedOut(reason) {
    state.generation += 1;
    socket.stop();
    for (const timer of state.timers) window.clearInterval(timer);
    state.timers = [];
    state.me = null;
    state.csrf = "";
    state.requests = [];
    state.loaded = false;
    state.known = null;
    state.fresh.clear();
    state.unannounced.clear();
    state.openNumber = null;
    state.detail = null;
    state.problem = null;
    state.panel = null;
    for (const id of ["req-list", "detail-body", "detail-badges", "detail-h", "announcer", "toasts", "wrong-role-text", "me-name", "me-role"])
      $(id).replaceChildren();
    for (const el of document.querySelectorAll(".action-form textarea")) el.value = "";
    if (window.location.hash) history.replaceState(null, "", window.location.pathname + window.location.search);
    showView("signin");
    showSignInError(reason || "");
    renderTitle();
  }

  async function boot() {
    applyStaticWords();
    bindEvents();
    try {
      const me = await api("GET", "/api/console/me");
      start(me);
    } catch (error) {
      showView("signin");
      if (error.status !== 401) showSignInError(error.code === "network" ? t("err_network") : t("err_generic", { message: error.message }));
    }
  }

  function start(user) {
    state.generation += 1;
    state.me = user;
    if (!INBOX_ROLES.has(user.role)) {
      renderWrongRole();
      showView("wrong-role");
      return;
    }
    showView("app");
    renderHeader();
    state.timers.push(window.setInterval(tick, 1000));
    // The fallback when a push is lost: the list (the open request is read again only when the list shows it
    // changed, since each full read of one's own request is written to the audit log).
    state.timers.push(window.setInterval(refreshList, REFRESH_MS));
    socket.connect();
    refreshList();
    route();
  }

  function renderWrongRole() {
    if (!state.me) return;
    $("wrong-role-text").textContent = t("ib_wrong_role_text", {
      name: state.me.display_name,
      role: label("role_", state.me.role),
    });
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
    // Whatever changed while the socket was down.
    refreshList();
    if (state.openNumber && !state.busy) loadDetail(state.openNumber, { quiet: true });
  }

  function handleEvent(event) {
    switch (event.type) {
      case "hello":
        onHello(event);
        break;
      case "service_request":
        if (validNumber(event.number)) onRequestEvent(event);
        break;
      case "service_requests_changed":
        refreshList();
        break;
      default:
        break; // heartbeat, pong, queue_changed, error: nothing to show here
    }
  }

  function onRequestEvent(event) {
    if (event.new === true && state.openNumber !== event.number) markNew(event.number);
    // The list is read again; the open request too if the list shows it changed (openRequestChanged).
    refreshList();
  }

  /** A request that just arrived: highlighted until opened, and said aloud once its kind is known. */
  function markNew(number) {
    if (state.fresh.has(number)) return;
    state.fresh.add(number);
    state.unannounced.add(number);
    announceNew();
  }

  function announceNew() {
    for (const number of [...state.unannounced]) {
      const found = state.requests.find((r) => r.number === number);
      if (!found) continue;
      state.unannounced.delete(number);
      const kind = label("sr_kind_", found.kind);
      announce(t("ib_new_announce", { number, kind }));
      toast(t("ib_new_toast", { number, kind }), "info", number);
    }
    renderTitle();
  }

  // ---- the list ------------------------------------------------------------------------------------------

  async function refreshList() {
    if (!state.me) return;
    if (state.listBusy) {
      state.listAgain = true;
      return;
    }
    const wait = state.listLast + LIST_MIN_GAP_MS - Date.now();
    if (wait > 0) {
      state.listAgain = true;
      window.setTimeout(() => {
        if (state.listAgain && !state.listBusy) {
          state.listAgain = false;
          refreshList();
        }
      }, wait);
      return;
    }
    state.listBusy = true;
    state.listAgain = false;
    state.listLast = Date.now();
    const scope = state.scope;
    try {
      const data = await api("GET", "/api/inbox/requests?scope=" + scope);
      if (scope !== state.scope) {
        state.listAgain = true;
        return;
      }
      const requests = (data.requests || []).filter((r) => r && validNumber(r.number));
      state.requests = requests;
      // Arrived since the last list (the live event may have been missed while the socket was down).
      const arrived = state.known ? requests.filter((r) => !state.known.has(r.number) && r.state === "submitted") : [];
      state.known = state.known || new Set();
      for (const r of requests) state.known.add(r.number);
      for (const r of arrived) if (r.number !== state.openNumber) markNew(r.number);
      announceNew();
      state.loaded = true;
      state.listError = "";
      state.listAt = new Date();
      if (openRequestChanged(scope)) loadDetail(state.openNumber, { quiet: true });
    } catch (error) {
      if (error.code === "stale") return;
      if (error.status === 401) return;
      state.listError = error.code === "network" ? t("err_network") : t("err_generic", { message: error.message || error.code });
    } finally {
      state.listBusy = false;
      if (state.listAgain && state.me) {
        state.listAgain = false;
        window.setTimeout(refreshList, 0);
      }
    }
    renderList();
  }

  /** Whether the list says the open request is not what the page shows (changed elsewhere, or gone). */
  function openRequestChanged(scope) {
    const detail = state.detail;
    if (!detail || state.busy || state.openNumber !== detail.number) return false;
    const listed = state.requests.find((r) => r.number === detail.number);
    if (!listed) return scope === "all" || ["submitted", "accepted", "scheduled"].includes(detail.state);
    return ["state", "account_manager", "scheduled_for", "overdue", "delivered", "contact_method"].some(
      (key) => String(listed[key]) !== String(detail[key]),
    );
  }

  function time(value) {
    const date = parseTime(value);
    return date ? date.getTime() : 0;
  }

  function sortedRequests() {
    const fresh = (r) => (state.fresh.has(r.number) ? 1 : 0);
    return [...state.requests].sort(
      (a, b) => Number(Boolean(b.overdue)) - Number(Boolean(a.overdue)) || fresh(b) - fresh(a) || time(b.created_at) - time(a.created_at),
    );
  }

  function renderList() {
    const list = $("req-list");
    const active = document.activeElement;
    const focused = active && list.contains(active) ? active.closest(".req-item") : null;
    const focusNumber = focused ? focused.dataset.number : null;
    const items = sortedRequests().map((r) => {
      const isNew = state.fresh.has(r.number);
      const current = state.openNumber === r.number;
      const meta = [r.contact_mobile ? String(r.contact_mobile) : null, t("ib_created", { time: when(r.created_at) })];
      if (supervises() || state.scope === "all")
        meta.push(t("ib_manager", { name: r.account_manager ? String(r.account_manager) : t("sr_unassigned") }));
      return h(
        "li",
        {
          class: "req-item" + (r.overdue ? " req-overdue" : "") + (isNew ? " req-new" : "") + (current ? " active" : ""),
          "data-number": r.number,
          "data-state": lookup("sr_state_" + r.state) ? r.state : "other",
        },
        h(
          "button",
          { type: "button", class: "req-button", "aria-current": current ? "true" : null, onclick: () => openFromList(r.number) },
          h(
            "span",
            { class: "req-top" },
            h("span", { class: "req-number", text: r.number }),
            r.overdue ? h("span", { class: "badge badge-overdue", text: t("sr_overdue") }) : null,
            isNew ? h("span", { class: "badge badge-new", text: t("sr_new") }) : null,
            stateBadge(r.state),
          ),
          h("span", { class: "req-kind", text: `${label("sr_kind_", r.kind)} · ${label("sr_method_", r.contact_method)}` }),
          h("span", { class: "req-window", text: t("ib_window", { window: windowText(r.contact_window) }) }),
          r.summary ? h("span", { class: "req-summary", text: String(r.summary) }) : null,
          h("span", { class: "req-meta", text: meta.filter(Boolean).join(" · ") }),
        ),
      );
    });
    list.replaceChildren(...items);
    if (focusNumber) {
      const again = [...list.querySelectorAll(".req-item")].find((el) => el.dataset.number === focusNumber);
      if (again) again.querySelector("button").focus();
    }
    $("list-count").textContent = state.loaded ? String(state.requests.length) : "";
    const empty = $("list-empty");
    empty.hidden = !state.loaded || state.requests.length > 0;
    empty.textContent = state.scope === "open" ? t("ib_empty_open") : t("ib_empty_all");
    $("list-updated").textContent = state.listAt ? t("ib_updated", { time: hhmm(state.listAt) }) : "";
    const error = $("list-error");
    error.textContent = state.listError;
    error.hidden = !state.listError;
    for (const button of document.querySelectorAll(".scope-button"))
      button.setAttribute("aria-pressed", String(button.dataset.scope === state.scope));
    renderTitle();
  }

  function setScope(scope) {
    if (scope !== "open" && scope !== "all") return;
    if (state.scope === scope) return;
    state.scope = scope;
    state.loaded = false;
    state.requests = [];
    renderList();
    state.listLast = 0;
    refreshList();
  }

  // ---- routing: /inbox/#SR2612010001 opens a request -----------------------------------------------------

  function hashNumber() {
    try {
      return decodeURIComponent(window.location.hash.replace(/^#/, "")).trim();
    } catch (e) {
      return "#"; // not a number: said so
    }
  }

  function route() {
    if (!state.me || !INBOX_ROLES.has(state.me.role)) return;
    const wanted = hashNumber();
    if (!wanted) {
      closeDetail(false);
      return;
    }
    if (!validNumber(wanted)) {
      state.openNumber = null;
      state.detail = null;
      state.problem = { key: "ib_bad_link", vars: {}, retry: false };
      renderDetail();
      return;
    }
    if (wanted === state.openNumber && (state.detail || state.problem)) return;
    openRequest(wanted);
  }

  function openFromList(number) {
    if (!validNumber(number)) return;
    if (state.openNumber === number && state.detail) {
      focusDetail();
      return;
    }
    history.pushState({ inboxDetail: true }, "", "#" + number);
    openRequest(number);
  }

  function openRequest(number) {
    const changed = state.openNumber !== number;
    state.openNumber = number;
    if (changed) {
      state.detail = null;
      state.problem = null;
      resetForms();
    }
    if (state.fresh.delete(number)) renderTitle();
    state.unannounced.delete(number);
    for (const node of $("toasts").querySelectorAll(".toast[data-number]")) if (node.dataset.number === number) node.remove();
    renderList();
    renderDetail();
    loadDetail(number, { quiet: false, focus: true });
  }

  function closeDetail(focusList) {
    const number = state.openNumber;
    state.openNumber = null;
    state.detail = null;
    state.problem = null;
    resetForms();
    renderList();
    renderDetail();
    if (focusList && number) {
      const item = [...$("req-list").querySelectorAll(".req-item")].find((el) => el.dataset.number === number);
      if (item) item.querySelector("button").focus();
      else $("list-h").focus();
    }
  }

  function backToList() {
    if (history.state && history.state.inboxDetail) {
      history.back(); // popstate closes the detail
      window.setTimeout(() => closeDetail(true), 0);
    } else {
      history.replaceState(null, "", window.location.pathname + window.location.search);
      closeDetail(true);
    }
  }

  function focusDetail() {
    const heading = $("detail-h");
    if (!$("detail").hidden) heading.focus();
    else $("detail-pane").focus();
  }

  // ---- the detail ----------------------------------------------------------------------------------------

  async function loadDetail(number, options) {
    const { quiet, focus } = options || {};
    // A background read while another read of the same request is on its way would only add an audit entry.
    if (quiet && state.detailLoading === number) return;
    state.detailLoading = number;
    let detail;
    try {
      detail = await api("GET", requestPath(number));
    } catch (error) {
      if (state.detailLoading === number) state.detailLoading = null;
      if (error.code === "stale" || state.openNumber !== number) return;
      if (quiet && (error.code === "network" || error.status >= 500)) return; // keep what is shown; the next refresh tries again
      state.detail = null;
      if (error.code === "not_your_request" || error.status === 403)
        state.problem = { key: "ib_not_yours", vars: { number }, retry: false, code: "not_yours" };
      else if (error.status === 404) state.problem = { key: "ib_not_found", vars: { number }, retry: false, code: "not_found" };
      else if (error.status === 401) return;
      else
        state.problem = {
          key: "ib_load_failed",
          vars: { message: error.code === "network" ? t("err_network") : error.message || error.code },
          retry: true,
          code: "failed",
        };
      renderDetail();
      if (focus) focusDetail();
      return;
    }
    if (state.detailLoading === number) state.detailLoading = null;
    if (state.openNumber !== number) return;
    const first = !state.detail;
    state.detail = detail;
    state.problem = null;
    if (first) prefillForms(detail);
    renderDetail();
    if (focus) focusDetail();
  }

  function renderDetail() {
    const open = Boolean(state.openNumber) || Boolean(state.problem);
    $("inbox").classList.toggle("detail-open", open);
    const problem = state.problem;
    $("detail-problem").hidden = !problem;
    $("detail-problem").dataset.problem = problem ? problem.code || "other" : "";
    $("detail-problem-text").textContent = problem ? t(problem.key, problem.vars) : "";
    $("detail-retry").hidden = !(problem && problem.retry);
    const detail = state.detail;
    const loading = Boolean(state.openNumber) && !detail && !problem;
    $("detail").hidden = !detail || Boolean(problem);
    $("detail-empty").hidden = Boolean(detail) || Boolean(problem);
    $("detail-empty").firstElementChild.textContent = loading ? t("sr_loading") : t("ib_detail_empty");
    if (!detail || problem) {
      $("detail-body").replaceChildren();
      return;
    }
    $("detail").dataset.number = detail.number;
    $("detail").dataset.state = detail.state;
    $("detail-h").textContent = `${detail.number} · ${label("sr_kind_", detail.kind)}`;
    fill(
      $("detail-badges"),
      detail.overdue ? h("span", { class: "badge badge-overdue", text: t("sr_overdue") }) : null,
      stateBadge(detail.state),
      detail.account_manager
        ? h("span", { class: "muted", text: t("ib_manager", { name: String(detail.account_manager) }) })
        : h("span", { class: "badge badge-unassigned", text: t("sr_unassigned") }),
    );
    renderActions(detail);
    fill(
      $("detail-body"),
      contactSection(detail),
      section("sr_field_summary", h("p", { class: "summary-text", text: String(detail.summary || "") })),
      aboutSection(detail),
      formSection(detail),
      eventsSection(detail),
      transcriptSection(detail),
    );
  }

  function section(titleKey, ...content) {
    return h("section", { class: "detail-section" }, h("h3", { text: t(titleKey) }), ...content);
  }

  function definitions(pairs) {
    return h(
      "dl",
      { class: "facts" },
      ...pairs.filter(Boolean).map(([term, value, cls]) => [
        h("dt", { text: t(term) }),
        h("dd", { class: cls || null }, value instanceof Node ? value : String(value == null || value === "" ? "—" : value)),
      ]),
    );
  }

  function contactSection(detail) {
    const mobile = String(detail.contact_mobile || "");
    let mobileNode;
    let notice;
    if (detail.unmasked === true && MOBILE_PATTERN.test(mobile)) {
      // The link is built from the validated digits only.
      mobileNode = h(
        "a",
        { class: "tel-link", id: "tel-link", href: "tel:" + mobile, "aria-label": t("ib_call_label", { mobile }) },
        h("span", { class: "tel-icon", "aria-hidden": "true", text: "☎" }),
        h("span", { class: "tel-number", text: mobile }),
      );
      notice = h("p", { class: "notice recorded", id: "recorded-notice", text: t("ib_recorded") });
    } else if (detail.unmasked === true) {
      mobileNode = h("span", { class: "mobile-text", text: mobile });
      notice = h("p", { class: "notice recorded", id: "recorded-notice", text: t("ib_recorded") + " " + t("ib_mobile_unusable") });
    } else {
      mobileNode = h("span", { class: "mobile-text" }, mobile, " ", h("span", { class: "muted", text: `（${t("sr_masked")}）` }));
      notice = h("p", { class: "muted small masked-note", text: t("ib_masked") });
    }
    return h(
      "section",
      { class: "detail-section contact" },
      h("h3", { text: t("sr_field_mobile") }),
      h("div", { class: "mobile" }, mobileNode),
      notice,
      definitions([
        ["sr_field_window", windowText(detail.contact_window), "window-text"],
        ["sr_field_method", label("sr_method_", detail.contact_method)],
        detail.scheduled_for ? ["sr_field_scheduled", when(detail.scheduled_for), "scheduled-text"] : null,
        detail.state === "submitted" ? ["sr_field_accept_by", when(detail.accept_by), detail.overdue ? "overdue-text" : null] : null,
      ]),
    );
  }

  function aboutSection(detail) {
    const details = detail.details && typeof detail.details === "object" ? detail.details : {};
    return section(
      "sr_field_about",
      definitions([
        ["sr_field_customer", detail.customer_id || "—"],
        ["sr_field_branch", detail.branch || "—"],
        ["sr_field_reason", label("sr_reason_", detail.reason)],
        ["sr_field_stage", stageLabel(detail.journey_stage)],
        ["sr_field_language", label("ib_lang_", detail.language)],
        ["sr_field_channel", label("channel_", detail.channel)],
        ["sr_field_created", when(detail.created_at)],
        details.annual_review_due ? ["sr_field_review_due", String(details.annual_review_due)] : null,
        ["sr_field_delivered", detail.delivered ? t("sr_delivered_yes") : t("sr_delivered_no")],
      ]),
    );
  }

  function formSection(detail) {
    const slots = detail.details && typeof detail.details.slots === "object" && detail.details.slots ? detail.details.slots : {};
    const entries = Object.entries(slots).filter(([, value]) => value != null && value !== "");
    if (!entries.length) return null;
    return section(
      "sr_field_form",
      h("dl", { class: "facts" }, ...entries.map(([key, value]) => [h("dt", { text: label("slot_", key) }), h("dd", { text: formatValue(value) })])),
    );
  }

  function eventsSection(detail) {
    const events = Array.isArray(detail.events) ? detail.events : [];
    if (!events.length) return section("sr_field_events", h("p", { class: "empty", text: t("sr_events_empty") }));
    return section(
      "sr_field_events",
      h(
        "ol",
        { class: "events" },
        ...events.map((event) => {
          const info = event.detail && typeof event.detail === "object" ? event.detail : {};
          const note = info.note ? String(info.note) : "";
          const date = parseTime(event.created_at);
          return h(
            "li",
            { class: "event event-kind-" + (/^[a-z_]{1,24}$/.test(String(event.kind)) ? event.kind : "other") },
            h("div", { class: "event-head" }, date ? h("time", { datetime: date.toISOString(), text: when(date) }) : null),
            h("div", { class: "event-text", text: requestEventText(event, when) }),
            note
              ? h("div", {
                  class: "event-note",
                  text: ["reassigned", "unassigned"].includes(event.kind) ? t("sr_event_reason", { note }) : note,
                })
              : null,
          );
        }),
      ),
    );
  }

  function transcriptSection(detail) {
    const messages = Array.isArray(detail.transcript) ? detail.transcript : [];
    if (!messages.length) return section("sr_field_transcript", h("p", { class: "empty", text: t("sr_transcript_empty") }));
    return h(
      "section",
      { class: "detail-section" },
      h("h3", { text: `${t("sr_field_transcript")}（${messages.length}）` }),
      h(
        "ol",
        { class: "transcript transcript-inbox", id: "transcript", "aria-label": t("sr_field_transcript") },
        ...messages.map((message) => {
          const sender = SENDERS.has(message.sender) ? message.sender : "system";
          const date = parseTime(message.created_at);
          return h(
            "li",
            { class: "msg msg-" + sender, "data-seq": String(Number(message.seq) || 0) },
            h(
              "div",
              { class: "msg-meta" },
              h("span", { class: "msg-who", text: senderName({ ...message, sender }) }),
              date ? h("time", { class: "msg-time", datetime: date.toISOString(), text: when(date) }) : null,
            ),
            h("div", { class: "msg-text", text: String(message.text == null ? "" : message.text) }),
          );
        }),
      ),
    );
  }

  // ---- actions -------------------------------------------------------------------------------------------

  const PANELS = { decline: "form-decline", schedule: "form-schedule", note: "form-note", done: "form-done" };
  const PANEL_BUTTONS = { decline: "act-decline", schedule: "act-schedule", note: "act-note", done: "act-done" };

  function allowedPanels(detail) {
    if (!detail) return new Set();
    if (detail.state === "submitted") return new Set(["accept", "decline"]);
    if (detail.state === "accepted" || detail.state === "scheduled") return new Set(["schedule", "note", "done"]);
    return new Set();
  }

  function renderActions(detail) {
    const allowed = allowedPanels(detail);
    $("act-accept").hidden = !allowed.has("accept");
    for (const [name, id] of Object.entries(PANEL_BUTTONS)) $(id).hidden = !allowed.has(name);
    if (state.panel && !allowed.has(state.panel)) state.panel = null;
    for (const [name, id] of Object.entries(PANELS)) {
      $(id).hidden = state.panel !== name;
      $(PANEL_BUTTONS[name]).setAttribute("aria-expanded", String(state.panel === name));
    }
    const closed = $("actions-closed");
    if (detail.state === "done" || detail.state === "cancelled") {
      closed.hidden = false;
      closed.textContent = t(detail.state === "done" ? "ib_closed_done" : "ib_closed_cancelled");
    } else if (supervises() && !detail.unmasked) {
      closed.hidden = false;
      closed.textContent = t("ib_supervisor_acting");
    } else {
      closed.hidden = true;
      closed.textContent = "";
    }
    $("schedule-zone").textContent = t("ib_schedule_zone", { window: windowText(detail.contact_window) });
    for (const button of document.querySelectorAll("#actions button")) button.disabled = state.busy;
  }

  function actionError(text) {
    const el = $("action-error");
    el.textContent = text || "";
    el.hidden = !text;
  }

  function openPanel(name) {
    if (state.busy) return;
    state.panel = state.panel === name ? null : name;
    actionError("");
    if (state.detail) renderActions(state.detail);
    if (state.panel) {
      const form = $(PANELS[state.panel]);
      const first = form.querySelector("input:checked, textarea, input");
      if (first) first.focus();
    }
  }

  function closePanel() {
    const was = state.panel;
    state.panel = null;
    actionError("");
    if (state.detail) renderActions(state.detail);
    if (was) $(PANEL_BUTTONS[was]).focus();
  }

  function resetForms() {
    state.panel = null;
    actionError("");
    for (const id of ["decline-reason", "schedule-note", "note-text", "done-note", "schedule-date", "schedule-time"]) $(id).value = "";
    for (const id of ["decline-reason", "note-text", "schedule-date", "schedule-time"]) $(id).removeAttribute("aria-invalid");
  }

  /** The schedule form starts at the start of the customer's window, with the method they asked for. */
  function prefillForms(detail) {
    const start = detail.contact_window ? parseTime(detail.contact_window.start) : null;
    const scheduled = detail.scheduled_for ? parseTime(detail.scheduled_for) : null;
    const moment = scheduled || start;
    if (moment) {
      const values = inputValues(moment);
      $("schedule-date").value = values.date;
      $("schedule-time").value = values.time;
    }
    const method = detail.contact_method === "visit" ? "visit" : "call";
    $("schedule-" + method).checked = true;
  }

  async function act(kind, body, done) {
    const number = state.openNumber;
    if (!validNumber(number) || state.busy) return;
    state.busy = true;
    actionError("");
    if (state.detail) renderActions(state.detail);
    let result;
    try {
      result = await api("POST", requestPath(number, "/" + kind), body);
    } catch (error) {
      state.busy = false;
      if (error.code === "stale") return;
      if (state.detail) renderActions(state.detail);
      if (state.openNumber !== number) return;
      const text = actionErrorText(error);
      if (error.status === 409) {
        await loadDetail(number, { quiet: true });
        const now = state.detail ? label("sr_state_", state.detail.state) : "?";
        actionError(t("ib_err_conflict", { state: now }));
        refreshList();
      } else {
        actionError(text);
        if (error.code === "not_your_request" || error.status === 404) refreshList();
      }
      return;
    }
    state.busy = false;
    if (state.openNumber !== number) return;
    state.panel = null;
    if (state.detail) renderActions(state.detail);
    done(result, number);
  }

  function accept() {
    act("accept", undefined, (summary, number) => {
      toast(t("ib_accepted_toast", { number }), "info");
      afterChange(number);
    });
  }

  function submitDecline(event) {
    event.preventDefault();
    const reason = $("decline-reason").value.trim();
    if (!reason) {
      $("decline-reason").setAttribute("aria-invalid", "true");
      actionError(t("ib_err_reason"));
      $("decline-reason").focus();
      return;
    }
    $("decline-reason").removeAttribute("aria-invalid");
    act("decline", { reason }, (listing, number) => {
      toast(t("ib_declined_toast", { number }), "info");
      if (state.scope === "open" && listing && Array.isArray(listing.requests)) {
        state.requests = listing.requests.filter((r) => r && validNumber(r.number));
        for (const r of state.requests) if (state.known) state.known.add(r.number);
      } else {
        state.requests = state.requests.filter((r) => r.number !== number);
      }
      if (history.state && history.state.inboxDetail) history.back();
      else history.replaceState(null, "", window.location.pathname + window.location.search);
      closeDetail(false);
      $("list-h").focus();
      refreshList();
    });
  }

  function submitSchedule(event) {
    event.preventDefault();
    const date = $("schedule-date").value;
    const at = $("schedule-time").value.slice(0, 5);
    const method = $("schedule-visit").checked ? "visit" : "call";
    const okDate = DATE_PATTERN.test(date);
    const okTime = TIME_PATTERN.test(at);
    $("schedule-date").toggleAttribute("aria-invalid", !okDate);
    $("schedule-time").toggleAttribute("aria-invalid", !okTime);
    if (!okDate || !okTime) {
      actionError(t("ib_err_datetime"));
      (okDate ? $("schedule-time") : $("schedule-date")).focus();
      return;
    }
    const body = { contact_method: method, at: `${date}T${at}:00+08:00`, note: $("schedule-note").value.trim() };
    act("schedule", body, (summary, number) => {
      $("schedule-note").value = "";
      toast(t("ib_scheduled_toast", { number }), "info");
      afterChange(number);
    });
  }

  function submitNote(event) {
    event.preventDefault();
    const note = $("note-text").value.trim();
    if (!note) {
      $("note-text").setAttribute("aria-invalid", "true");
      actionError(t("ib_err_note"));
      $("note-text").focus();
      return;
    }
    $("note-text").removeAttribute("aria-invalid");
    act("notes", { note }, (summary, number) => {
      $("note-text").value = "";
      toast(t("ib_noted_toast"), "info");
      afterChange(number);
    });
  }

  function submitDone(event) {
    event.preventDefault();
    act("done", { note: $("done-note").value.trim() }, (summary, number) => {
      $("done-note").value = "";
      toast(t("ib_done_toast", { number }), "info");
      afterChange(number);
    });
  }

  async function afterChange(number) {
    await loadDetail(number, { quiet: true });
    refreshList();
    const heading = $("detail-h");
    if (!$("detail").hidden) heading.focus();
  }

  // ---- the header and the clock --------------------------------------------------------------------------

  function renderHeader() {
    if (!state.me) return;
    $("me-name").textContent = state.me.display_name;
    $("me-role").textContent = label("role_", state.me.role);
    renderConn();
  }

  function tick() {
    if (socket.conn === "reconnecting") renderConn();
  }

  function renderAll() {
    if (!state.me) return;
    if (!INBOX_ROLES.has(state.me.role)) {
      renderWrongRole();
      return;
    }
    renderHeader();
    renderList();
    renderDetail();
  }

  function bindEvents() {
    $("signin-form").addEventListener("submit", onSignIn);
    for (const button of document.querySelectorAll(".lang-switch"))
      button.addEventListener("click", () => setLanguage(state.lang === "zh" ? "en" : "zh"));
    for (const button of document.querySelectorAll(".sign-out")) button.addEventListener("click", onSignOut);
    for (const button of document.querySelectorAll(".scope-button")) button.addEventListener("click", () => setScope(button.dataset.scope));
    $("list-refresh").addEventListener("click", () => {
      state.listLast = 0;
      refreshList();
    });
    $("back-to-list").addEventListener("click", backToList);
    $("detail-retry").addEventListener("click", () => state.openNumber && loadDetail(state.openNumber, { focus: true }));
    $("act-accept").addEventListener("click", accept);
    for (const name of Object.keys(PANEL_BUTTONS)) $(PANEL_BUTTONS[name]).addEventListener("click", () => openPanel(name));
    for (const button of document.querySelectorAll(".form-cancel")) button.addEventListener("click", closePanel);
    $("form-decline").addEventListener("submit", submitDecline);
    $("form-schedule").addEventListener("submit", submitSchedule);
    $("form-note").addEventListener("submit", submitNote);
    $("form-done").addEventListener("submit", submitDone);
    $("actions").addEventListener("keydown", (event) => {
      if (event.key === "Escape" && state.panel) {
        event.preventDefault();
        closePanel();
      }
    });
    window.addEventListener("popstate", route);
    window.addEventListener("hashchange", route);
    window.addEventListener("online", () => {
      socket.retryNow();
      if (state.me) refreshList();
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
  else boot();
})();
