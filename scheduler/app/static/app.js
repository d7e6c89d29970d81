// The workbench's page script: actions with the CSRF token and this tab's identity,
// the edit claim, the solve's progress stream, and keyboard moves in the week grid.
"use strict";
(function () {
  const csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  // One identity per browser tab (sessionStorage is per tab): one tab edits at a time.
  let tab = sessionStorage.getItem("iop-tab");
  if (!tab) {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    tab = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    sessionStorage.setItem("iop-tab", tab);
  }
  const $ = (sel) => document.querySelector(sel);
  const $$ = (sel) => Array.from(document.querySelectorAll(sel));

  async function post(url, body, isForm) {
    const headers = { "X-CSRF-Token": csrf, "X-Tab-Id": tab };
    const init = { method: "POST", headers, credentials: "same-origin" };
    if (isForm) init.body = body;
    else { headers["Content-Type"] = "application/json"; init.body = JSON.stringify(body || {}); }
    const res = await fetch(url, init);
    let data = {};
    try { data = await res.json(); } catch (e) { data = {}; }
    data.status = res.status;
    return data;
  }

  function flash(ok, text, items) {
    const box = $("#flash");
    if (!box) return;
    box.hidden = false;
    box.className = "flash " + (ok ? "good" : "bad");
    box.textContent = text;
    if (items && items.length) {
      const ul = document.createElement("ul");
      for (const item of items) { const li = document.createElement("li"); li.textContent = item; ul.appendChild(li); }
      box.appendChild(ul);
    }
    box.scrollIntoView({ block: "nearest" });
  }
  function refused(data, fallback) {
    const items = data.refusals || (data.error ? [data.error] : []);
    if (items.length === 1) flash(false, items[0]);
    else flash(false, fallback, items);
  }

  // The edit claim. --------------------------------------------------------------------
  const state = $("#editor-state");
  async function claim() {
    if (!state) return;
    const data = await post("/api/editor/claim", {});
    const editing = !!data.editing;
    document.body.classList.toggle("read-only", !editing);
    const banner = $("#readonly");
    if (banner) banner.hidden = editing;
    state.textContent = editing ? "You are editing" : "Read-only";
    state.dataset.editing = editing ? "yes" : "no";
  }
  if (state) {
    claim();
    setInterval(claim, 15000);
    window.addEventListener("pagehide", () => {
      fetch("/api/editor/release", { method: "POST", keepalive: true,
        headers: { "X-CSRF-Token": csrf, "X-Tab-Id": tab } });
    });
  }

  // Open and check. ------------------------------------------------------------------------
  async function opened(data) {
    if (data.status === 200) location.assign("/open");
    else refused(data, "The file was not opened.");
  }
  const sample = $("#open-sample");
  if (sample) sample.addEventListener("click", async () => opened(await post("/api/open/sample", {})));
  const upload = $("#upload-form");
  if (upload) {
    const input = $("#file");
    const zone = $("#dropzone");
    upload.addEventListener("submit", async (e) => {
      e.preventDefault();
      if (!input.files.length) { flash(false, "Choose a file first."); return; }
      const form = new FormData();
      form.append("file", input.files[0]);
      opened(await post("/api/open/upload", form, true));
    });
    zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("over"); });
    zone.addEventListener("dragleave", () => zone.classList.remove("over"));
    zone.addEventListener("drop", (e) => {
      e.preventDefault(); zone.classList.remove("over");
      input.files = e.dataTransfer.files;
      upload.requestSubmit();
    });
  }

  // Solve with live progress (server-sent events). -----------------------------------------
  function show(s) {
    $("#p-phase").textContent = s.status === "done" ? "Finished" :
      s.status === "cancelled" ? "Cancelled" : s.status === "failed" ? "Stopped" : (s.phase || "Solving");
    $("#p-placed").textContent = s.placed + " of " + s.total + " placed";
    $("#p-max").textContent = s.proven_max === null ? "not yet proven" : s.proven_max + " can be placed";
    const left = Math.round(s.left_s);
    $("#p-left").textContent = s.status === "running" || s.status === "starting" ?
      (s.search_s === 0 ? "building the model" : left > 0 ? "about " + left + " s" :
        "finishing (a busy computer takes longer)") : "—";
    $("#p-bar").style.width = Math.min(100, (100 * s.search_s) / Math.max(1, s.limit_s)) + "%";
    $("#p-message").textContent = s.message || "";
    const history = $("#p-history");
    history.textContent = "";
    for (const line of s.history || []) {
      const li = document.createElement("li"); li.textContent = line.trim(); history.appendChild(li);
    }
    $("#progress").dataset.status = s.status;
    const running = s.status === "running" || s.status === "starting";
    $("#solve-cancel").hidden = !running;
    $("#solve-start").disabled = running;
    $("#p-next").hidden = s.status !== "done";
  }
  function follow() {
    const events = new EventSource("/api/solve/events");
    events.onmessage = (e) => show(JSON.parse(e.data));
    events.addEventListener("end", () => events.close());
    events.onerror = () => events.close();
  }
  const solveForm = $("#solve-form");
  if (solveForm) {
    solveForm.addEventListener("submit", async (e) => {
      e.preventDefault();
      const data = await post("/api/solve", { time_limit: $("#time-limit").value });
      if (data.status === 200) follow(); else refused(data, "The solve did not start.");
    });
    $("#solve-cancel").addEventListener("click", async () => { await post("/api/solve/cancel", {}); });
    const status = $("#progress").dataset.status;
    if (status === "running" || status === "starting") follow();
  }

  // Hand edits, each checked on the server. ----------------------------------------------
  async function edit(body) {
    const data = await post("/api/edit", body);
    if (data.ok) { sessionStorage.setItem("iop-flash", data.message); location.reload(); }
    else refused(data, "Refused: the edit would break these rules.");
  }
  for (const b of $$("button.edit")) b.addEventListener("click", () => edit(JSON.parse(b.dataset.edit)));
  for (const f of $$("form.edit-form")) {
    f.addEventListener("submit", (e) => {
      e.preventDefault();
      const body = { op: f.dataset.op, session: f.dataset.session, patient: f.dataset.patient, from: f.dataset.from };
      for (const [k, v] of new FormData(f).entries()) body[k] = v;
      edit(body);
    });
  }
  const kept = sessionStorage.getItem("iop-flash");
  if (kept) { sessionStorage.removeItem("iop-flash"); flash(true, kept); }

  // What-if. --------------------------------------------------------------------------
  const whatif = $("#whatif-form");
  if (whatif) {
    whatif.addEventListener("submit", async (e) => {
      e.preventDefault();
      const scenarios = $$("#whatif-form fieldset").map((fs) => {
        const s = {};
        for (const el of fs.querySelectorAll("input, select")) s[el.name] = el.value;
        return s;
      });
      const out = $("#whatif-results");
      const button = whatif.querySelector("button[type=submit]");
      button.disabled = true;
      out.textContent = "Solving each scenario …";
      const data = await post("/api/whatif", { scenarios });
      button.disabled = false;
      out.textContent = "";
      if (!data.ok) { flash(false, data.message || data.error || "The scenarios did not run."); return; }
      // Figures as rows, scenarios as columns: side by side.
      const table = document.createElement("table");
      table.className = "grid-table whatif-table";
      const head = table.createTHead().insertRow();
      const corner = document.createElement("th"); corner.textContent = "Figure"; head.appendChild(corner);
      for (const r of data.results) {
        const th = document.createElement("th"); th.scope = "col"; th.textContent = r.run; head.appendChild(th);
      }
      const keys = [];
      for (const r of data.results) for (const k of Object.keys(r)) if (k !== "run" && !keys.includes(k)) keys.push(k);
      const body = table.createTBody();
      for (const k of keys) {
        const row = body.insertRow();
        const th = document.createElement("th"); th.scope = "row"; th.textContent = k.replaceAll("_", " "); row.appendChild(th);
        for (const r of data.results) {
          const v = r[k];
          row.insertCell().textContent = v === null || v === undefined ? "" :
            (typeof v === "number" && !Number.isInteger(v) ? v.toFixed(2) : String(v));
        }
      }
      out.appendChild(table);
    });
  }

  // Publish. ------------------------------------------------------------------------------
  const publish = $("#publish");
  if (publish) {
    publish.addEventListener("click", async () => {
      publish.disabled = true;
      publish.textContent = "Publishing …";
      const data = await post("/api/publish", {});
      if (data.ok) { sessionStorage.setItem("iop-flash", data.message); location.reload(); }
      else { publish.disabled = false; publish.textContent = "Publish"; refused(data, "Nothing was published."); }
    });
  }

  // Print, and arrow keys between sessions in the week grid. --------------------------------
  const print = $("#print");
  if (print) print.addEventListener("click", () => window.print());
  const grid = $("#week-grid");
  if (grid) {
    grid.addEventListener("keydown", (e) => {
      const here = document.activeElement;
      if (!here || !here.classList.contains("sess")) return;
      const cell = here.closest("td");
      const row = cell.parentElement;
      const col = Array.from(row.children).indexOf(cell);
      let target = null;
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        const inCell = Array.from(cell.querySelectorAll("a.sess"));
        const i = inCell.indexOf(here) + (e.key === "ArrowDown" ? 1 : -1);
        target = inCell[i] || null;
        let r = row;
        while (!target) {
          r = e.key === "ArrowDown" ? r.nextElementSibling : r.previousElementSibling;
          if (!r) break;
          const links = r.children[col] ? r.children[col].querySelectorAll("a.sess") : [];
          if (links.length) target = e.key === "ArrowDown" ? links[0] : links[links.length - 1];
        }
      } else if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
        let c = cell;
        while (!target) {
          c = e.key === "ArrowRight" ? c.nextElementSibling : c.previousElementSibling;
          if (!c || c.tagName !== "TD") break;
          target = c.querySelector("a.sess");
        }
      }
      if (target) { e.preventDefault(); target.focus(); }
    });
  }
})();
