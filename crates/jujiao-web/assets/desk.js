// The compose page (编辑简报): candidates by column on the left, the issue on the right.
// Every change saves the whole draft (PUT /api/briefing/issues/{id}) with the version it
// was read at, after a short pause; a 409 means someone else saved in between, which is
// shown with their name and stops saving until the page is reloaded. Changes carry the
// CSRF token from <meta name="csrf-token">.
"use strict";
(function () {
  const root = document.getElementById("desk");
  if (!root) return;
  const id = root.dataset.issue;
  const api = "/api/briefing/issues/" + id;
  const meta = document.querySelector('meta[name="csrf-token"]');
  const csrf = meta ? meta.content : "";
  const $ = (sel) => document.querySelector(sel);
  const status = $("#save-status");
  let issue = null;
  let version = 0;
  let timer = null;
  let saving = null;
  let dirty = false;
  let stopped = false;
  let candidates = [];
  const MODES = [["full", "全文"], ["first", "前几段"], ["summary", "摘要"]];

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v;
      else if (k === "text") e.textContent = v;
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else if (v !== false && v !== null && v !== undefined) e.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children) if (c) e.append(c);
    return e;
  }

  async function call(method, url, body) {
    const headers = { "x-csrf-token": csrf };
    if (body !== undefined) headers["content-type"] = "application/json";
    const r = await fetch(url, {
      method, headers, credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let data = null;
    try { data = await r.json(); } catch (_) { data = null; }
    return { ok: r.ok, status: r.status, data };
  }

  function setStatus(text, cls) {
    status.textContent = text;
    status.className = cls || "";
  }

  function stop(message) {
    stopped = true;
    const box = $("#conflict");
    box.textContent = message + " ";
    box.append(el("button", { type: "button", text: "重新载入", onclick: () => location.reload() }));
    box.hidden = false;
    setStatus("未保存", "bad");
  }

  // The draft as the API wants it.
  function draft() {
    return {
      kind: issue.kind, date: issue.date, columns: issue.columns, items: issue.items,
      send_to: issue.send_to, copy_to: issue.copy_to, copies: issue.copies,
    };
  }

  function changed(now) {
    if (stopped) return;
    dirty = true;
    setStatus("有改动，稍后自动保存…", "warn");
    clearTimeout(timer);
    timer = setTimeout(save, now ? 0 : 700);
  }

  async function save() {
    if (stopped || !dirty) return;
    if (saving) { await saving; return save(); }
    dirty = false;
    setStatus("正在保存…", "warn");
    saving = call("PUT", api, { version, draft: draft() });
    const r = await saving;
    saving = null;
    if (r.ok) {
      version = r.data.version;
      const t = new Date();
      setStatus("已保存（第 " + version + " 版，" + t.toTimeString().slice(0, 5) + "）", "ok");
    } else if (r.status === 409) {
      stop((r.data && r.data.error) || "保存冲突。");
    } else {
      dirty = true;
      setStatus("保存失败：" + ((r.data && r.data.error) || r.status), "bad");
    }
  }

  async function flush() {
    clearTimeout(timer);
    await save();
    if (saving) await saving;
  }

  function sections() {
    const order = issue.columns.slice();
    for (const it of issue.items) if (!order.includes(it.column)) order.push(it.column);
    return order.filter((c) => issue.items.some((it) => it.column === c));
  }

  function isChosen(articleId) {
    return issue.items.some((it) => it.article_id === articleId);
  }

  function toggle(a, column) {
    const at = issue.items.findIndex((it) => it.article_id === a.article_id);
    if (at >= 0) issue.items.splice(at, 1);
    else {
      issue.items.push({ article_id: a.article_id, column, title: null, mode: "full", note: null, original: a.title });
      if (!issue.columns.includes(column)) issue.columns.push(column);
    }
    renderCandidates();
    renderDraft();
    changed();
  }

  function candidateRow(a, column) {
    const chosen = isChosen(a.article_id);
    const box = el("input", { type: "checkbox", tabindex: "-1", "aria-hidden": "true" });
    box.checked = chosen;
    const row = el("li", {
      class: "cand" + (chosen ? " chosen" : ""), tabindex: "0", role: "checkbox",
      "aria-checked": chosen ? "true" : "false", "data-article": a.article_id,
      onclick: () => toggle(a, column),
      onkeydown: (e) => {
        if (e.key === " " || e.key === "Enter") { e.preventDefault(); toggle(a, column); focusCandidate(a.article_id); }
        else if (e.key === "ArrowDown" || e.key === "ArrowUp") {
          e.preventDefault();
          const all = Array.from(document.querySelectorAll("#candidate-list .cand"));
          const i = all.indexOf(row) + (e.key === "ArrowDown" ? 1 : -1);
          if (all[i]) all[i].focus();
        }
      },
    }, box, el("span", { class: "title", text: a.title }));
    if (a.is_new) row.append(el("span", { class: "badge new", text: "新" }));
    if (a.used_in) row.append(el("span", { class: "badge used", text: "已用于" + a.used_in }));
    row.append(el("span", { class: "src", text: a.source }));
    return row;
  }

  function focusCandidate(articleId) {
    const r = document.querySelector('#candidate-list .cand[data-article="' + articleId + '"]');
    if (r) r.focus();
  }

  function renderCandidates() {
    const list = $("#candidate-list");
    list.replaceChildren();
    if (!candidates.length) {
      list.append(el("p", { class: "summary", text: "这一天没有采集到文章；可以换个日期，或在下方搜索更早的文章。" }));
    }
    for (const c of candidates) {
      const ul = el("ul", { class: "cands" });
      for (const a of c.articles) ul.append(candidateRow(a, c.column));
      list.append(el("h3", { text: c.column + "（" + c.articles.length + "）" }), ul);
    }
  }

  function moveColumn(column, by) {
    const order = sections();
    const i = order.indexOf(column);
    const j = i + by;
    if (j < 0 || j >= order.length) return;
    [order[i], order[j]] = [order[j], order[i]];
    issue.columns = order.concat(issue.columns.filter((c) => !order.includes(c)));
    renderDraft();
    changed();
  }

  // Moves item `index` before/after the neighbouring item of its column.
  function moveItem(index, by) {
    const col = issue.items[index].column;
    const same = issue.items.map((it, i) => [it, i]).filter(([it]) => it.column === col).map(([, i]) => i);
    const k = same.indexOf(index) + by;
    if (k < 0 || k >= same.length) return;
    const other = same[k];
    [issue.items[index], issue.items[other]] = [issue.items[other], issue.items[index]];
    renderDraft();
    changed();
    const again = document.querySelector('.ditem[data-index="' + other + '"] .up');
    if (again) again.focus();
  }

  let drag = null;
  function draggable(node, kind, key) {
    node.draggable = true;
    node.addEventListener("dragstart", (e) => { drag = { kind, key }; e.dataTransfer.effectAllowed = "move"; e.dataTransfer.setData("text/plain", String(key)); node.classList.add("dragging"); });
    node.addEventListener("dragend", () => { drag = null; node.classList.remove("dragging"); });
    node.addEventListener("dragover", (e) => { if (drag && drag.kind === kind) { e.preventDefault(); node.classList.add("over"); } });
    node.addEventListener("dragleave", () => node.classList.remove("over"));
    node.addEventListener("drop", (e) => {
      node.classList.remove("over");
      if (!drag || drag.kind !== kind) return;
      e.preventDefault();
      e.stopPropagation();
      if (kind === "column") {
        const order = sections();
        const from = order.indexOf(drag.key);
        order.splice(from, 1);
        order.splice(order.indexOf(key), 0, drag.key);
        issue.columns = order.concat(issue.columns.filter((c) => !order.includes(c)));
      } else {
        const from = drag.key;
        const item = issue.items[from];
        item.column = issue.items[key].column;
        issue.items.splice(from, 1);
        const to = from < key ? key - 1 : key;
        issue.items.splice(to, 0, item);
      }
      renderDraft();
      changed();
    });
  }

  function itemEditor(it, index) {
    const title = el("input", { type: "text", class: "etitle", placeholder: it.original || "标题", value: it.title || "",
      "aria-label": "标题（可修改）", oninput: (e) => { it.title = e.target.value || null; changed(); } });
    const mode = el("select", { class: "mode", "aria-label": "正文方式", onchange: (e) => {
      it.mode = e.target.value;
      if (it.mode === "first" && !it.paragraphs) it.paragraphs = 2;
      if (it.mode === "summary" && it.summary === undefined) it.summary = "";
      renderDraft(); changed();
    } });
    for (const [v, label] of MODES) {
      const o = el("option", { value: v, text: label });
      if (it.mode === v) o.selected = true;
      mode.append(o);
    }
    const extra = [];
    if (it.mode === "first") {
      extra.push(el("label", {}, "段数 ", el("input", { type: "number", min: "1", max: "100", class: "narrow paras", value: it.paragraphs || 2,
        oninput: (e) => { it.paragraphs = Math.max(1, parseInt(e.target.value, 10) || 1); changed(); } })));
    }
    if (it.mode === "summary") {
      const s = el("textarea", { class: "summary-text", rows: "3", placeholder: "编者摘要", "aria-label": "摘要",
        oninput: (e) => { it.summary = e.target.value; changed(); } });
      s.value = it.summary || "";
      extra.push(s);
    }
    const note = el("textarea", { class: "note-text", rows: "2", placeholder: "按语（可不填）", "aria-label": "按语",
      oninput: (e) => { it.note = e.target.value || null; changed(); } });
    note.value = it.note || "";
    const node = el("li", { class: "ditem", "data-index": index },
      el("div", { class: "dhead" },
        el("span", { class: "handle", title: "拖动调整顺序", text: "⠿" }),
        title,
        el("button", { type: "button", class: "up", title: "上移", text: "上移", onclick: () => moveItem(index, -1) }),
        el("button", { type: "button", class: "down", title: "下移", text: "下移", onclick: () => moveItem(index, 1) }),
        el("button", { type: "button", class: "remove", title: "移出本期", text: "移出", onclick: () => {
          issue.items.splice(index, 1); renderDraft(); renderCandidates(); changed();
        } })),
      el("div", { class: "dbody" }, el("label", {}, "正文 ", mode), ...extra, note));
    node.addEventListener("keydown", (e) => {
      if (e.altKey && (e.key === "ArrowUp" || e.key === "ArrowDown")) { e.preventDefault(); moveItem(index, e.key === "ArrowUp" ? -1 : 1); }
    });
    draggable(node, "item", index);
    return node;
  }

  function renderDraft() {
    const box = $("#draft-sections");
    box.replaceChildren();
    const order = sections();
    $("#item-count").textContent = "共 " + issue.items.length + " 条";
    if (!order.length) box.append(el("p", { class: "summary", text: "从左侧选入文章。" }));
    const numerals = "一二三四五六七八九十";
    order.forEach((column, n) => {
      const ul = el("ol", { class: "ditems" });
      issue.items.forEach((it, i) => { if (it.column === column) ul.append(itemEditor(it, i)); });
      const sec = el("section", { class: "dsection", "data-column": column },
        el("h3", {},
          el("span", { class: "handle", title: "拖动调整栏目顺序", text: "⠿" }),
          (numerals[n] || String(n + 1)) + "、" + column + " ",
          el("button", { type: "button", class: "col-up", text: "栏目上移", onclick: () => moveColumn(column, -1) }),
          el("button", { type: "button", class: "col-down", text: "栏目下移", onclick: () => moveColumn(column, 1) })),
        ul);
      draggable(sec.querySelector("h3"), "column", column);
      box.append(sec);
    });
  }

  // The API's items carry the mode flattened: {mode, paragraphs?, summary?}.
  function titles() {
    const byId = new Map();
    for (const c of candidates) for (const a of c.articles) byId.set(a.article_id, a.title);
    for (const it of issue.items) if (byId.has(it.article_id)) it.original = byId.get(it.article_id);
  }

  async function loadCandidates() {
    const r = await call("GET", api + "/candidates?date=" + encodeURIComponent(issue.date));
    candidates = r.ok ? r.data.columns : [];
    titles();
    renderCandidates();
  }

  async function searchOlder(e) {
    e.preventDefault();
    const q = $("#older-q").value.trim();
    const out = $("#older-list");
    out.replaceChildren();
    if (!q) return;
    const r = await call("GET", "/api/search?q=" + encodeURIComponent(q));
    if (!r.ok) { out.append(el("p", { class: "bad", text: (r.data && r.data.error) || "搜索失败" })); return; }
    const ul = el("ul", { class: "cands" });
    for (const h of r.data.hits) {
      const a = { article_id: h.article_id, title: h.title, source: h.source };
      ul.append(el("li", { class: "cand" },
        el("span", { class: "title", text: h.title }),
        el("span", { class: "src", text: (h.date || "") + " " + h.column }),
        el("button", { type: "button", text: isChosen(h.article_id) ? "已选入" : "加入", disabled: isChosen(h.article_id),
          onclick: (ev) => { toggle(a, h.column || "其他"); ev.target.disabled = true; ev.target.textContent = "已选入"; } })));
    }
    out.append(r.data.hits.length ? ul : el("p", { class: "summary", text: "没有找到。" }));
  }

  let armed = false;
  async function issueNow() {
    const b = $("#issue-button");
    if (!issue.items.length) { setStatus("还没有选入文章，不能签发", "bad"); return; }
    if (!armed) {
      armed = true;
      b.textContent = "确认签发（签发后不能修改）";
      b.classList.add("armed");
      return;
    }
    b.disabled = true;
    await flush();
    if (stopped) return;
    const r = await call("POST", api + "/issue", { version });
    if (r.ok) {
      location.href = "/desk/issues/" + id;
    } else if (r.status === 409) {
      stop((r.data && r.data.error) || "签发冲突。");
    } else {
      b.disabled = false;
      setStatus("签发失败：" + ((r.data && r.data.error) || r.status), "bad");
    }
  }

  async function start() {
    const r = await call("GET", api);
    if (!r.ok) { setStatus("载入失败：" + ((r.data && r.data.error) || r.status), "bad"); return; }
    issue = r.data;
    version = issue.version;
    $("#issue-date").value = issue.date;
    $("#send-to").value = issue.send_to;
    $("#copy-to").value = issue.copy_to;
    $("#copies").value = issue.copies;
    $("#issue-date").addEventListener("change", (e) => { if (e.target.value) { issue.date = e.target.value; changed(); loadCandidates(); } });
    $("#send-to").addEventListener("input", (e) => { issue.send_to = e.target.value; changed(); });
    $("#copy-to").addEventListener("input", (e) => { issue.copy_to = e.target.value; changed(); });
    $("#copies").addEventListener("input", (e) => { issue.copies = Math.max(0, parseInt(e.target.value, 10) || 0); changed(); });
    $("#issue-button").addEventListener("click", issueNow);
    $("#older-search").addEventListener("submit", searchOlder);
    window.addEventListener("beforeunload", (e) => { if (dirty && !stopped) { save(); e.preventDefault(); } });
    await loadCandidates();
    renderDraft();
    setStatus("已载入（第 " + version + " 版）", "ok");
    root.dataset.ready = "1";
  }

  // For tests and scripts: wait until every change is saved.
  window.deskFlush = flush;
  start();
})();
