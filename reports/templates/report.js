"use strict";
// The per-problem tables: sort by a column, filter by how many samples solved a problem, and open
// a row to see its prompt, gold and samples. A problem's samples live in a script file beside the
// page (report_samples/, see reports/problems.py), added as a <script> tag when its row first opens:
// that works from file://, where fetch does not. Each sample's text is inflated only when the sample
// is opened, its thinking folded apart from its answer, so a run of 64 x 8k-token traces per problem
// opens as fast as a small one. Model output is only ever set as textContent.
const thinkbenchSamples = (() => {
  const waiting = new Map();  // file -> resolve of the promise that loads it
  const files = new Map();  // file -> promise of {info, texts}

  function receive(file, info, texts) {
    const resolve = waiting.get(file);
    if (resolve) {
      waiting.delete(file);
      resolve({ info, texts });
    }
  }

  function load(file) {
    if (!files.has(file)) {
      files.set(file, new Promise((resolve, reject) => {
        waiting.set(file, resolve);
        const script = document.createElement("script");
        script.src = file;
        script.onload = () => {
          script.remove();
          if (waiting.delete(file)) reject(new Error(`${file} holds no samples`));
        };
        script.onerror = () => {
          script.remove();
          waiting.delete(file);
          files.delete(file);  // a later click tries again
          reject(new Error(`${file} could not be loaded (the report_samples folder must sit beside this page)`));
        };
        document.head.appendChild(script);
      }));
    }
    return files.get(file);
  }

  return Object.assign(receive, { load });
})();

(() => {
  async function inflate(b64) {
    const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
    return new Response(stream).text();
  }

  function node(tag, text, cls) {
    const n = document.createElement(tag);
    if (text !== undefined && text !== null) n.textContent = String(text);
    if (cls) n.className = cls;
    return n;
  }

  function verdictText(correct) {
    return correct === 1 ? "\u2713 correct" : correct === 0 ? "\u2717 wrong" : "ungraded";
  }

  function verdictClass(correct) {
    return correct === 1 ? "ok" : correct === 0 ? "wrong" : "";
  }

  function verdict(correct, reason) {
    const cell = node("td", null, "verdict");
    cell.appendChild(node("span", verdictText(correct), verdictClass(correct)));
    if (reason) {
      cell.appendChild(node("span", " " + (reason.length > 60 ? reason.slice(0, 59) + "\u2026" : reason), "reason"));
      cell.title = reason;
    }
    return cell;
  }

  // Where grading reads a completion: thinking up to the last </think>, the answer after it; a
  // thinking never closed is all thinking. The two parts together are the whole text.
  function split(text) {
    const close = text.lastIndexOf("</think>");
    if (close >= 0) return { thinking: text.slice(0, close + 8), answer: text.slice(close + 8), closed: true };
    if (text.includes("<think>")) return { thinking: text, answer: "", closed: false };
    return { thinking: "", answer: text, closed: true };
  }

  // The span that stated the extracted answer: the last \boxed{...}, else the answer's last occurrence.
  function answerSpan(text, extracted) {
    const box = text.lastIndexOf("\\boxed{");
    if (box >= 0) {
      let depth = 0;
      for (let i = box + 6; i < text.length; i++) {
        if (text[i] === "{") depth++;
        else if (text[i] === "}" && --depth === 0) return [box, i + 1];
      }
    }
    const at = extracted ? text.lastIndexOf(extracted) : -1;
    return at >= 0 ? [at, at + extracted.length] : null;
  }

  function sampleView(s, text) {
    const view = node("div", null, "sample-view");
    const head = node("p", null, "verdict-line " + verdictClass(s.correct));
    head.append(node("b", verdictText(s.correct)));
    if (s.reason) head.append(" \u00b7 reason: ", node("span", s.reason, "reason"));
    head.append(" \u00b7 extracted: ", s.extracted === null ? node("i", "(no answer)") : node("mark", s.extracted));
    head.append(` \u00b7 ${s.tokens} tokens \u00b7 finish: ${s.finish}` + (s.finish === "length" ? " (cut at its token limit)" : ""));
    view.appendChild(head);
    const parts = split(text);
    if (parts.thinking) {
      const fold = node("details", null, "thinking");
      const lines = parts.thinking.split("\n").length;
      fold.appendChild(node("summary", `thinking: ${lines} lines, ${parts.thinking.length} characters` +
                                       (parts.closed ? "" : " (never closed: no answer)")));
      fold.appendChild(node("pre", parts.thinking, "thinking"));
      view.appendChild(fold);
    }
    view.appendChild(node("div", "answer", "meta"));
    const answer = node("pre", null, "answer");
    const span = answerSpan(parts.answer, s.extracted);
    if (span) {
      answer.append(parts.answer.slice(0, span[0]), node("mark", parts.answer.slice(span[0], span[1])),
                    parts.answer.slice(span[1]));
    } else {
      answer.textContent = parts.answer;
    }
    view.appendChild(answer);
    return view;
  }

  function sampleRow(s, packed) {
    const tr = node("tr", null, "sample");
    tr.append(node("td", s.strategy), node("td", s.sample, "num"), node("td", s.extracted ?? "(no answer)"),
              verdict(s.correct, s.reason), node("td", s.score ?? "", "num"), node("td", s.tokens, "num"),
              node("td", s.finish));
    const textCell = node("td");
    const details = node("details");
    details.appendChild(node("summary", "text"));
    details.addEventListener("toggle", async () => {
      if (!details.open || details.childElementCount > 1) return;
      const box = node("div", "Inflating\u2026");
      details.appendChild(box);
      try {
        box.replaceWith(sampleView(s, await inflate(packed)));
      } catch (err) {
        box.textContent = "Could not read this sample's text: " + err;
      }
    });
    textCell.appendChild(details);
    tr.appendChild(textCell);
    return tr;
  }

  function messages(list) {
    const box = node("div");
    for (const [role, content] of list) {
      box.appendChild(node("div", role, "meta"));
      box.appendChild(node("pre", content));
    }
    return box;
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

  function render(box, data, texts) {
    box.replaceChildren();
    const prompts = data.prompts;
    box.appendChild(node("h4", prompts.length > 1 ? `Prompts (${prompts.length})` : "Prompt"));
    for (const p of prompts) box.appendChild(messages(p));
    const gold = node("p");
    gold.append(node("b", "Gold: "), node("code", data.gold));
    box.appendChild(gold);
    const samples = data.samples.map(row => Object.fromEntries(data.fields.map((f, i) => [f, row[i]])));
    box.appendChild(answerCounts(samples));
    box.appendChild(node("h4", `Samples (${samples.length})`));
    const table = node("table", null, "samples");
    const head = node("tr");
    for (const h of ["strategy", "#", "extracted", "verdict", "score", "tokens", "finish", ""]) head.appendChild(node("th", h));
    table.appendChild(head);
    samples.forEach((s, i) => table.appendChild(sampleRow(s, texts[i])));
    box.appendChild(table);
  }

  async function toggle(row) {
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
      const { info, texts } = await thinkbenchSamples.load(row.dataset.file);
      render(box, JSON.parse(await inflate(info)), texts);
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
        if (row) toggle(row);
      });
      controls.querySelector(".solved-filter").addEventListener("change", () => applyFilter(table, controls));
      controls.querySelector(".id-filter").addEventListener("input", () => applyFilter(table, controls));
      applyFilter(table, controls);
    }
  });
})();
