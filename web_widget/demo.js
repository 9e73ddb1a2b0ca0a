/* The demo pages: the demo customers and staff sign-ins (GET /demo/info), and signing in as a demo customer. In a
   bank the bank's own page signs the customer token after its sign-in; here the hub does it (POST
   /demo/customer-token, development and test only). Text from the hub goes in with textContent. */
"use strict";

(() => {
  const KEY = "sme-demo/customer";
  const chat = () => document.getElementById("chat");
  let saved = null;
  try { saved = JSON.parse(sessionStorage.getItem(KEY) || "null"); } catch (e) { saved = null; }

  // Before the widget starts (this file runs first): the signed-in customer of this tab, if any.
  if (saved && typeof saved.token === "string") chat().setAttribute("customer-token", saved.token);

  function cell(text) {
    const td = document.createElement("td");
    td.textContent = text;
    return td;
  }

  function showCurrent() {
    document.getElementById("demo-current").textContent = saved ? `${saved.id} ${saved.company}` : "访客 Guest";
    document.getElementById("demo-signout").hidden = !saved;
    for (const b of document.querySelectorAll("#demo-customers button")) {
      b.setAttribute("aria-pressed", String(Boolean(saved && b.dataset.customer === saved.id)));
    }
  }

  async function signIn(customer) {
    const response = await fetch("/demo/customer-token", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ customer_id: customer.customer_id }),
    });
    if (!response.ok) return;
    const { customer_token: token } = await response.json();
    saved = { id: customer.customer_id, company: customer.company, token };
    try { sessionStorage.setItem(KEY, JSON.stringify(saved)); } catch (e) { /* this page only */ }
    chat().setAttribute("customer-token", token);
    showCurrent();
  }

  function signOut() {
    saved = null;
    try { sessionStorage.removeItem(KEY); } catch (e) { /* nothing kept */ }
    chat().removeAttribute("customer-token");
    showCurrent();
  }

  function setLanguage(lang) {
    chat().setAttribute("lang", lang);
    for (const b of document.querySelectorAll(".demo-lang")) b.setAttribute("aria-pressed", String(b.dataset.lang === lang));
  }

  async function load() {
    const response = await fetch("/demo/info");
    if (!response.ok) { document.getElementById("demo").hidden = true; return; }
    const info = await response.json();
    const customers = document.querySelector("#demo-customers tbody");
    for (const c of info.customers) {
      const row = document.createElement("tr");
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = "登录 Sign in";
      button.dataset.customer = c.customer_id;
      button.setAttribute("aria-label", `以${c.company}登录 Sign in as ${c.customer_id}`);
      button.addEventListener("click", () => signIn(c));
      const action = document.createElement("td");
      action.append(button);
      row.append(cell(c.customer_id), cell(c.company), cell(c.mobile), cell(c.try), action);
      customers.append(row);
    }
    const staff = document.querySelector("#demo-staff tbody");
    for (const s of info.staff) {
      const row = document.createElement("tr");
      row.append(cell(s.username), cell(s.password), cell(s.display_name), cell(s.role));
      staff.append(row);
    }
    showCurrent();
  }

  document.getElementById("demo-signout").addEventListener("click", signOut);
  for (const b of document.querySelectorAll(".demo-lang")) b.addEventListener("click", () => setLanguage(b.dataset.lang));
  setLanguage(chat().getAttribute("lang") || "zh");
  showCurrent();
  load();
})();
