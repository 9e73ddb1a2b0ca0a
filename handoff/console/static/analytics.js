/* The supervisors' analytics dashboard (/console/analytics/): the figures of /api/console/analytics for a date
   range and filters, as charts (charts.js, SVG) with their numbers, a CSV link for every table, and the FAQ gaps
   with a draft FAQ entry per group. Signed in through the console (the same session cookie); supervisors and
   administrators only (the API refuses anyone else, the page says so). Days are Beijing days; text from the
   server goes in with textContent only (StaffPage.h). */
"use strict";

(() => {
  const S = window.StaffPage;
  const C = window.Charts;
  const { h, fill } = S;
  const API = "/api/console/analytics";
  const OUTCOMES = ["assistant", "agent", "service_request"];
  let lang = S.initialLanguage();
  const words = S.words([window.ANALYTICS_I18N, window.CONSOLE_I18N], () => lang);
  const { t, label } = words;
  const api = S.apiClient({ t, generation: () => 0, signedIn: () => true, csrf: () => "", expired: () => showDenied("an_not_signed_in") });
  const state = { me: null, report: null, gaps: null, query: "", skills: [], asked: 0 };
  const $ = (id) => document.getElementById(id);

  // ---- helpers ---------------------------------------------------------------------------------------

  const percent = (share) => (share == null ? "–" : `${(share * 100).toFixed(1)}%`);
  function duration(seconds) {
    if (seconds == null) return "–";
    if (seconds < 120) return t("an_seconds", { n: Math.round(seconds) });
    return t("an_minutes", { n: (seconds / 60).toFixed(1) });
  }
  function skillName(code) {
    const found = state.skills.find((s) => s.code === code);
    return found ? found[lang] || found.zh || code : code;
  }
  const pair = (a, b, f) => `${f(a)} / ${f(b)}`;
  const outcomeLabel = (code) => t("an_outcome_" + code);
  const journeyStep = (step) => (words.has("an_step_" + step) ? t("an_step_" + step) : label("slot_", step));
  const csvLink = (table) => h("a", { class: "csv", href: `${API}/${table}.csv?${state.query}`, download: "", "data-table": table, text: `${t("an_csv")} · ${t("an_table_" + table)}` });

  function isoDay(p) {
    return `${p.y}-${String(p.m).padStart(2, "0")}-${String(p.d).padStart(2, "0")}`;
  }

  function table(columns, rows, options = {}) {
    if (!rows.length) return h("p", { class: "an-empty", text: t("an_empty") });
    return h(
      "table",
      { class: "an-table", "data-table": options.name || null },
      h("thead", null, h("tr", null, columns.map((c) => h("th", { scope: "col", text: c.title })))),
      h(
        "tbody",
        null,
        rows.map((row) => h("tr", null, columns.map((c) => h("td", { class: c.text ? "text" : null }, c.value(row))))),
      ),
    );
  }

  function section(id, title, tables, ...content) {
    return h("section", { class: "an-section", id }, h("h2", null, h("span", { text: title }), h("span", null, tables.map(csvLink))), ...content);
  }

  // ---- the page's parts ---------------------------------------------------------------------------------

  function renderKpis() {
    const totals = state.report.totals;
    const kpis = [
      ["conversations", "an_kpi_conversations", String(totals.conversations)],
      ["contained", "an_kpi_contained", percent(totals.contained_share)],
      ["agent", "an_kpi_agent", String(totals.agent)],
      ["service_request", "an_kpi_request", String(totals.service_request)],
      ["handoffs", "an_kpi_handoffs", String(totals.handoffs)],
      ["ratings", "an_kpi_ratings", String(totals.ratings)],
    ];
    fill($("an-kpis"), ...kpis.map(([key, title, value]) => h("div", { class: "an-kpi", "data-kpi": key }, h("div", { class: "k", text: t(title) }), h("div", { class: "v", text: value }))));
  }

  function containment() {
    const tables = state.report.tables;
    const series = OUTCOMES.map((key, i) => ({ key, label: outcomeLabel(key), colour: i }));
    const days = tables.containment_by_day;
    const hours = tables.containment_by_hour;
    const byShare = (rows, key, name) =>
      C.bars({
        title: name,
        items: rows.map((row) => ({
          label: key === "language" ? label("an_lang_", row[key]) : label("an_channel_", row[key]),
          value: row.conversations,
          note: t("an_contained_note", { count: row.conversations, share: percent(row.contained_share) }),
        })),
      });
    return [
      section(
        "sec-containment-day",
        t("an_sec_containment_day"),
        ["containment_by_day"],
        C.columns({ rows: days, category: (r) => r.day.slice(5), series, title: t("an_sec_containment_day"), labelEvery: Math.ceil(days.length / 16) }),
        table(
          [{ title: t("an_start"), value: (r) => r.day }, { title: t("an_kpi_conversations"), value: (r) => String(r.conversations) }, ...series.map((s) => ({ title: s.label, value: (r) => String(r[s.key]) })), { title: t("an_kpi_contained"), value: (r) => percent(r.contained_share) }],
          days.filter((r) => r.conversations > 0),
          { name: "containment_by_day" },
        ),
      ),
      section(
        "sec-containment-hour",
        t("an_sec_containment_hour"),
        ["containment_by_hour"],
        C.columns({ rows: hours, category: (r) => String(r.hour).padStart(2, "0"), series, title: t("an_sec_containment_hour"), labelEvery: 2 }),
      ),
      section(
        "sec-channel-language",
        t("an_sec_channel_language"),
        ["containment_by_channel", "containment_by_language"],
        h(
          "div",
          { class: "an-grid" },
          h("div", null, h("h3", { text: t("an_by_channel") }), tables.containment_by_channel.length ? byShare(tables.containment_by_channel, "channel", t("an_by_channel")) : h("p", { class: "an-empty", text: t("an_empty") })),
          h("div", null, h("h3", { text: t("an_by_language") }), tables.containment_by_language.length ? byShare(tables.containment_by_language, "language", t("an_by_language")) : h("p", { class: "an-empty", text: t("an_empty") })),
        ),
      ),
    ];
  }

  function handoffs() {
    const tables = state.report.tables;
    const reasons = tables.handoff_reasons;
    return section(
      "sec-reasons",
      t("an_sec_reasons"),
      ["handoff_reasons", "handoff_steps"],
      reasons.length
        ? C.bars({ title: t("an_sec_reasons"), colour: 1, items: reasons.map((r) => ({ label: label("reason_", r.reason), value: r.handoffs })) })
        : h("p", { class: "an-empty", text: t("an_empty") }),
      h("h3", { text: t("an_sec_steps") }),
      table(
        [
          { title: t("an_col_reason"), value: (r) => label("reason_", r.reason), text: true },
          { title: t("an_col_stage"), value: (r) => (r.journey_stage === "unknown" ? "—" : words.stageLabel(r.journey_stage)), text: true },
          { title: t("an_col_count"), value: (r) => String(r.handoffs) },
        ],
        tables.handoff_steps.slice(0, 15),
        { name: "handoff_steps" },
      ),
    );
  }

  function funnels() {
    const rows = state.report.tables.funnels;
    const journeys = [...new Set(rows.map((r) => r.journey))];
    return section(
      "sec-funnels",
      t("an_sec_funnels"),
      ["funnels"],
      h("p", { class: "an-note", text: t("an_funnel_note") }),
      h(
        "div",
        { class: "an-grid" },
        journeys.map((journey) => {
          const steps = rows.filter((r) => r.journey === journey);
          const started = steps[0] ? steps[0].conversations : 0;
          return h(
            "div",
            { "data-journey": journey },
            h("h3", { text: t("an_journey_" + journey) }),
            started
              ? C.bars({
                  title: t("an_journey_" + journey),
                  max: started,
                  items: steps.map((r) => ({
                    label: journeyStep(r.step),
                    value: r.conversations,
                    colour: r.step === "cancelled" ? 3 : r.step === "handed_over" ? 1 : r.step === "confirmed" ? 2 : 0,
                    note: `${r.conversations} (${percent(r.share_of_started)})`,
                  })),
                })
              : h("p", { class: "an-empty", text: t("an_empty") }),
          );
        }),
      ),
    );
  }

  function queue() {
    const rows = state.report.tables.queue_by_skill;
    return section(
      "sec-queue",
      t("an_sec_queue"),
      ["queue_by_skill"],
      rows.length ? C.bars({ title: t("an_wait_chart"), colour: 4, format: duration, items: rows.map((r) => ({ label: skillName(r.skill), value: r.wait_p90_s, note: duration(r.wait_p90_s) })) }) : null,
      table(
        [
          { title: t("an_col_skill"), value: (r) => skillName(r.skill), text: true },
          { title: t("an_col_handoffs"), value: (r) => String(r.handoffs) },
          { title: t("an_col_queued"), value: (r) => String(r.queued) },
          { title: t("an_col_answered"), value: (r) => String(r.answered) },
          { title: t("an_col_abandoned"), value: (r) => String(r.abandoned) },
          { title: t("an_col_abandonment"), value: (r) => percent(r.abandonment_rate) },
          { title: t("an_col_wait"), value: (r) => pair(r.wait_p50_s, r.wait_p90_s, duration) },
          { title: t("an_col_first_response"), value: (r) => pair(r.first_response_p50_s, r.first_response_p90_s, duration) },
          { title: t("an_col_handling"), value: (r) => pair(r.handling_p50_s, r.handling_p90_s, duration) },
          { title: t("an_col_transfers"), value: (r) => String(r.transfers) },
        ],
        rows,
        { name: "queue_by_skill" },
      ),
    );
  }

  function requests() {
    const tables = state.report.tables;
    const columns = (first) => [
      ...first,
      { title: t("an_col_requests"), value: (r) => String(r.requests) },
      { title: t("an_col_accepted"), value: (r) => String(r.accepted) },
      { title: t("an_col_sla_met"), value: (r) => String(r.sla_met) },
      { title: t("an_col_sla_missed"), value: (r) => String(r.sla_missed) },
      { title: t("an_col_sla_share"), value: (r) => percent(r.sla_met_share) },
      { title: t("an_col_acceptance"), value: (r) => pair(r.acceptance_p50_s, r.acceptance_p90_s, duration) },
    ];
    const unassigned = (v) => (v === "unassigned" ? t("an_unassigned") : v);
    return section(
      "sec-requests",
      t("an_sec_requests"),
      ["requests_by_branch", "requests_by_account_manager"],
      table(columns([{ title: t("an_col_branch"), value: (r) => unassigned(r.branch), text: true }]), tables.requests_by_branch, { name: "requests_by_branch" }),
      table(
        columns([
          { title: t("an_col_manager"), value: (r) => unassigned(r.account_manager), text: true },
          { title: t("an_col_branch"), value: (r) => unassigned(r.branch), text: true },
        ]),
        tables.requests_by_account_manager,
        { name: "requests_by_account_manager" },
      ),
    );
  }

  function satisfaction() {
    const tables = state.report.tables;
    const chart = (rows, key, name, labelOf) =>
      rows.length
        ? C.bars({ title: name, max: 5, colour: 2, format: (v) => Number(v).toFixed(2), items: rows.map((r) => ({ label: labelOf(r[key]), value: r.average, note: `${r.average.toFixed(2)} (${r.ratings})` })) })
        : h("p", { class: "an-empty", text: t("an_empty") });
    return section(
      "sec-satisfaction",
      t("an_sec_satisfaction"),
      ["satisfaction_by_agent", "satisfaction_by_skill", "satisfaction_by_outcome"],
      h(
        "div",
        { class: "an-grid" },
        h("div", null, h("h3", { text: t("an_by_agent") }), chart(tables.satisfaction_by_agent, "agent", t("an_by_agent"), (v) => v)),
        h("div", null, h("h3", { text: t("an_by_skill") }), chart(tables.satisfaction_by_skill, "skill", t("an_by_skill"), skillName)),
        h("div", null, h("h3", { text: t("an_by_outcome") }), chart(tables.satisfaction_by_outcome, "outcome", t("an_by_outcome"), (v) => label("an_outcome_", v))),
      ),
    );
  }

  function gaps() {
    const groups = state.gaps ? state.gaps.groups : [];
    return section(
      "sec-gaps",
      t("an_sec_gaps"),
      ["faq_gaps"],
      h("p", { class: "an-note", text: t("an_gaps_note") }),
      table(
        [
          { title: t("an_col_group"), value: (r) => r.examples, text: true },
          { title: t("an_col_messages"), value: (r) => String(r.messages) },
          { title: t("an_col_kinds"), value: (r) => `${r.abstained} / ${r.fallback}` },
          { title: t("an_col_last_seen"), value: (r) => { const d = S.parseTime(r.last_seen); return d ? `${isoDay(S.shanghai(d)).slice(5)} ${S.hhmm(d)}` : ""; } },
          { title: "", value: (r) => h("a", { href: `${API}/faq-gaps/${encodeURIComponent(r.group)}/draft.yaml?${state.query}`, download: "", class: "draft-link", text: t("an_draft") }) },
        ],
        groups,
        { name: "faq_gaps" },
      ),
    );
  }

  function render() {
    S.applyWords(lang, t);
    document.title = t("doc_title");
    if (!state.report) return;
    renderKpis();
    fill($("an-sections"), ...containment(), handoffs(), funnels(), queue(), requests(), satisfaction(), gaps());
  }

  // ---- loading -------------------------------------------------------------------------------------------

  function showError(text) {
    $("an-error").textContent = text;
    $("an-error").hidden = !text;
  }

  async function load() {
    const params = new URLSearchParams();
    for (const name of ["start", "end", "channel", "language", "skill"]) {
      const value = $("f-" + name).value;
      if (value) params.set(name, value);
    }
    const query = params.toString();
    const asked = ++state.asked; // an answer to an earlier question that arrives late is dropped
    showError("");
    try {
      const [report, gapGroups] = await Promise.all([api("GET", `${API}?${query}`), api("GET", `${API}/faq-gaps?${query}`)]);
      if (asked !== state.asked) return;
      state.query = query;
      state.report = report;
      state.gaps = gapGroups;
      document.body.dataset.loaded = query;
      render();
    } catch (error) {
      if (asked !== state.asked) return;
      if (error.status === 403) showDenied("an_supervisors_only");
      else if (error.status === 422) showError(t("an_err_range", { message: error.message }));
      else showError(t("an_err_load", { message: error.message }));
    }
  }

  function showDenied(key) {
    S.applyWords(lang, t);
    $("denied-text").textContent = t(key, { name: state.me ? state.me.display_name : "" });
    S.showView(["loading", "denied", "app"], "denied");
  }

  async function start() {
    for (const button of document.querySelectorAll(".lang-switch")) {
      button.addEventListener("click", () => {
        lang = S.saveLanguage(lang === "zh" ? "en" : "zh");
        render();
      });
    }
    try {
      state.me = await api("GET", "/api/console/me");
    } catch (error) {
      showDenied("an_not_signed_in");
      return;
    }
    if (!S.supervises(state.me)) {
      showDenied("an_supervisors_only");
      return;
    }
    $("me-name").textContent = state.me.display_name;
    try {
      const config = await api("GET", "/api/console/config");
      state.skills = config.skills || [];
      for (const skill of state.skills) {
        $("f-skill").append(h("option", { value: skill.code, "data-skill": skill.code, text: skillName(skill.code) }));
      }
    } catch (error) {
      /* the skill filter stays at "all" */
    }
    const today = S.shanghai(new Date());
    const week = S.shanghai(new Date(Date.now() - 6 * 86400000));
    const given = new URLSearchParams(window.location.search);
    $("f-end").value = given.get("end") || isoDay(today);
    $("f-start").value = given.get("start") || isoDay(week);
    for (const name of ["channel", "language", "skill"]) if (given.get(name)) $("f-" + name).value = given.get(name);
    $("an-filters").addEventListener("submit", (event) => {
      event.preventDefault();
      load();
    });
    S.showView(["loading", "denied", "app"], "app");
    S.applyWords(lang, t);
    await load();
  }

  document.addEventListener("DOMContentLoaded", start);
})();
