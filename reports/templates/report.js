"use strict";
// The per-problem tables: sort by a column, filter by how many samples solved a problem, and open
// a row to see its prompt, gold and samples. Each problem's samples are a gzip+base64 JSON string
// decompressed only when its row opens, and a sample's text is built only when it is expanded, so
// a 500 x 64 report opens as fast as a small one. Model output is only ever set as textContent.
(() => {
  const payloadCache = new Map();

  function payloads(id) {
    if (!payloadCache.has(id)) payloadCache.set(id, JSON.parse(document.getElementById(id).textContent));
    return payloadCache.get(id);
  }

  async function inflate(b64) {
    const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return JSON.parse(await new Response(stream).text());
  }

  function node(tag, text, cls) {
    const n = document.createElement(tag);
    if (text !== undefined && text !== null) n.textContent = String(text);
    if (cls) n.className = cls;
    return n;
  }

  function verdict(correct, reason) {
    const cell = node("td", correct === 1 ? "\u2713 correct" : correct === 0 ? "\u2717 wrong" : "ungraded",
                      correct === 1 ? "ok" : correct === 0 ? "wrong" : "");
    if (reason) cell.title = reason;
    return cell;
  }

  function messages(list) {
    const box = node("div");
    for (const [role, content] of list) {
      box.appendChild(node("div", role, "meta"));
      box.appendChild(node("pre", content));
    }
    return box;
  }

  function sampleRow(s) {
    const tr = node("tr", null, "sample");
    tr.append(node("td", s.strategy), node("td", s.sample, "num"), node("td", s.extracted ?? "(no answer)"),
              verdict(s.correct, s.reason), node("td", s.score ?? "", "num"), node("td", s.tokens, "num"),
              node("td", s.finish));
    const textCell = node("td");
    const details = node("details");
    details.appendChild(node("summary", "text"));
    details.addEventListener("toggle", () => {
      if (details.open && details.childElementCount === 1) details.appendChild(node("pre", s.text));
    });
    textCell.appendChild(details);
    tr.appendChild(textCell);
    return tr;
  }

  // What a majority vote sees: each strategy's answers by how often they were given.
  function answerCounts(samples) {
    const box = node("div");
    const byStrategy = new Map();
    for (const s of samples) {
      if (!byStrategy.has(s.strategy)) byStrategy.set(s.strategy, new Map());
      const key = s.extracted ?? "(no answer)";
      const entry = byStrategy.get(s.strategy).get(key) || { count: 0, correct: s.correct === 1 };
      entry.count += 1;
      byStrategy.get(s.strategy).set(key, entry);
    }
    for (const [strategy, answers] of byStrategy) {
      const line = node("p");
      line.appendChild(node("b", `Answers (${strategy}): `));
      const sorted = [...answers].sort((a, b) => b[1].count - a[1].count);
      sorted.slice(0, 12).forEach(([answer, { count, correct }], i) => {
        if (i) line.append(", ");
        line.append(node("code", answer), node("span", ` \u00d7${count}${correct ? " \u2713" : ""}`, correct ? "ok" : ""));
      });
      if (sorted.length > 12) line.append(`, and ${sorted.length - 12} more`);
      box.appendChild(line);
    }
    return box;
  }

  function render(box, data, fields) {
    box.replaceChildren();
    const prompts = data.prompts;
    box.appendChild(node("h4", prompts.length > 1 ? `Prompts (${prompts.length})` : "Prompt"));
    for (const p of prompts) box.appendChild(messages(p));
    const gold = node("p");
    gold.append(node("b", "Gold: "), node("code", data.gold));
    box.appendChild(gold);
    const samples = data.samples.map(row => Object.fromEntries(fields.map((f, i) => [f, row[i]])));
    box.appendChild(answerCounts(samples));
    box.appendChild(node("h4", `Samples (${samples.length})`));
    const table = node("table", null, "samples");
    const head = node("tr");
    for (const h of ["strategy", "#", "extracted", "verdict", "score", "tokens", "finish", ""]) head.appendChild(node("th", h));
    table.appendChild(head);
    for (const s of samples) table.appendChild(sampleRow(s));
    box.appendChild(table);
  }

  async function toggle(row, table) {
    const next = row.nextElementSibling;
    if (next && next.classList.contains("detail")) {
      next.remove();
      row.classList.remove("open");
      return;
    }
    row.classList.add("open");
    const detail = node("tr", null, "detail");
    const cell = node("td");
    cell.colSpan = row.children.length;
    const box = node("div", "Loading\u2026", "drill");
    cell.appendChild(box);
    detail.appendChild(cell);
    row.after(detail);
    try {
      const all = payloads(table.dataset.payload);
      render(box, await inflate(all.problems[row.dataset.pid]), all.fields);
    } catch (err) {
      box.textContent = "Could not open this problem's samples: " + err;
    }
  }

  function sortBy(table, th) {
    const key = th.cellIndex;
    const dir = th.dataset.dir === "asc" ? "desc" : "asc";
    for (const other of th.parentNode.children) delete other.dataset.dir;
    th.dataset.dir = dir;
    const body = table.tBodies[0];
    body.querySelectorAll("tr.detail").forEach(d => d.remove());
    body.querySelectorAll("tr.open").forEach(r => r.classList.remove("open"));
    const value = r => r.children[key].dataset.v ?? r.children[key].textContent;
    const rows = Array.from(body.rows);
    const numeric = rows.every(r => value(r) === "" || !isNaN(parseFloat(value(r))));
    rows.sort((a, b) => {
      const x = value(a), y = value(b);
      const c = numeric ? (parseFloat(x) || 0) - (parseFloat(y) || 0) : String(x).localeCompare(String(y), undefined, { numeric: true });
      return dir === "asc" ? c : -c;
    });
    body.append(...rows);
  }

  function applyFilter(table, controls) {
    const solved = controls.querySelector(".solved-filter").value;
    const text = controls.querySelector(".id-filter").value.trim().toLowerCase();
    let shown = 0;
    for (const row of table.tBodies[0].querySelectorAll("tr.problem")) {
      const visible = (solved === "any" || row.dataset.solved === solved) &&
                      (!text || row.dataset.pid.toLowerCase().includes(text));
      row.hidden = !visible;
      const next = row.nextElementSibling;
      if (next && next.classList.contains("detail")) next.hidden = !visible;
      shown += visible;
    }
    controls.querySelector(".shown").textContent = `${shown} shown`;
  }

  document.addEventListener("DOMContentLoaded", () => {
    for (const table of document.querySelectorAll("table.problems")) {
      const controls = document.getElementById(table.dataset.controls);
      table.tHead.addEventListener("click", e => {
        const th = e.target.closest("th[data-key]");
        if (th) sortBy(table, th);
      });
      table.tBodies[0].addEventListener("click", e => {
        const row = e.target.closest("tr.problem");
        if (row) toggle(row, table);
      });
      controls.querySelector(".solved-filter").addEventListener("change", () => applyFilter(table, controls));
      controls.querySelector(".id-filter").addEventListener("input", () => applyFilter(table, controls));
      applyFilter(table, controls);
    }
  });
})();
