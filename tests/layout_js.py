"""The in-page measurements the layout tests run in Chromium (as `page.evaluate`
sources): text line boxes, overflow, overlapping text, the primary action's place,
language leaks and the rendered order of numbers. `LINE_BOXES` and `TEXT_BOXES` are
added to the page once (`install`); the other snippets call them."""

from __future__ import annotations

from typing import Any

LINE_BOXES = """
/* A text's fragments, each as tall as its line (the glyphs' reach), not as the font's
   whole ascent-to-descent area, which Arabic fonts make far taller than the line. */
function lineBoxes(range, style) {
  const line = parseFloat(style.lineHeight) || parseFloat(style.fontSize) * 1.2;
  return [...range.getClientRects()].filter(r => r.width > 0 && r.height > 0).map(r => {
    const height = Math.min(r.height, line), middle = (r.top + r.bottom) / 2;
    return { left: r.left, right: r.right, top: middle - height / 2, bottom: middle + height / 2 };
  });
}

/* Is this text node seen? Hidden, screen-reader-only, clipped-away and transparent
   text is left out. */
function seenText(node) {
  if (!node.textContent.trim()) return false;
  const parent = node.parentElement;
  if (!parent || parent.closest(
      "[hidden], .sr-only, script, style, template, noscript, "
      + ".skip-link, [data-notice], option, select, textarea")) return false;
  const closed = parent.closest("details:not([open])");  /* folded away, but measurable */
  if (closed && !parent.closest("summary")) return false;
  const style = getComputedStyle(parent);
  if (style.visibility !== "visible" || style.display === "none" || style.opacity === "0")
    return false;
  return true;
}

/* Every seen text node with its line boxes (page coordinates: scrolled offset added),
   cut to what the boxes around it that clip or scroll let be seen, unless `clip` is false. */
function textBoxes(clip = true) {
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!seenText(node)) continue;
    const parent = node.parentElement, style = getComputedStyle(parent);
    const range = document.createRange();
    range.selectNodeContents(node);
    /* What a scrolling or clipping box around the text hides is not seen. */
    const clips = [];
    for (let a = parent; clip && a && a !== document.body; a = a.parentElement) {
      const s = getComputedStyle(a);
      if (s.overflowX !== "visible" || s.overflowY !== "visible")
        clips.push(a.getBoundingClientRect());
    }
    const boxes = lineBoxes(range, style).map(r => {
      for (const c of clips)
        r = { left: Math.max(r.left, c.left), right: Math.min(r.right, c.right),
              top: Math.max(r.top, c.top), bottom: Math.min(r.bottom, c.bottom) };
      return r;
    }).filter(r => r.right - r.left > 1 && r.bottom - r.top > 1).map(r => ({
      left: r.left + scrollX, right: r.right + scrollX,
      top: r.top + scrollY, bottom: r.bottom + scrollY }));
    const text = node.textContent.trim().slice(0, 30);
    if (boxes.length) found.push({ node, parent, text, boxes });
  }
  return found;
}
"""

DISPLAY_PROBLEMS = """() => {
  const problems = [];
  const doc = document.documentElement;
  if (doc.scrollWidth > doc.clientWidth) problems.push(`page scrolls sideways: ${doc.scrollWidth}`);
  if (doc.scrollHeight > doc.clientHeight) problems.push(`page scrolls down: ${doc.scrollHeight}`);
  const boxes = [];
  for (const { parent, text, boxes: rects } of textBoxes(false)) {
    for (const r of rects) {
      if (r.left < -1 || r.top < -1 || r.right > innerWidth + 1 || r.bottom > innerHeight + 1)
        problems.push(`outside the screen: "${text}"`);
      for (let a = parent; a && a !== document.body; a = a.parentElement) {
        const s = getComputedStyle(a);
        if (s.overflowX === "visible" && s.overflowY === "visible") continue;
        const c = a.getBoundingClientRect();
        if (r.left < c.left - 1 || r.top < c.top - 1
            || r.right > c.right + 1 || r.bottom > c.bottom + 1)
          problems.push(`cut off by its box: "${text}"`);
      }
      boxes.push({ text, r });
    }
  }
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const a = boxes[i].r, b = boxes[j].r;
    const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
    const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
    if (w > 2 && h > 2) problems.push(`"${boxes[i].text}" overlaps "${boxes[j].text}"`);
  }
  return problems;
}"""
"""For a screen that must fit without scrolling (the hall display): no scrolling, no
text outside the screen or cut off by its box, no two text boxes overlapping."""

OVERFLOW = """() => {
  const doc = document.documentElement;
  return doc.scrollWidth > doc.clientWidth
    ? [`the page scrolls sideways: ${doc.scrollWidth} > ${doc.clientWidth}`] : [];
}"""

OVERLAPS = """() => {
  const all = [];
  for (const { node, text, boxes } of textBoxes())
    for (const r of boxes) all.push({ node, text, r });
  all.sort((a, b) => a.r.top - b.r.top);
  const problems = [];
  for (let i = 0; i < all.length; i++) {
    const a = all[i].r;
    for (let j = i + 1; j < all.length && all[j].r.top < a.bottom; j++) {
      const b = all[j].r;
      if (all[j].node === all[i].node) continue;  /* one text's own line fragments */
      const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
      const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
      if (w > 2 && h > 2) problems.push(`"${all[i].text}" overlaps "${all[j].text}"`);
    }
  }
  return problems.slice(0, 20);
}"""
"""Two seen text line boxes that overlap, anywhere on the (scrolled) page."""

PRIMARY_IN_VIEW = """(selector) => {
  const target = [...document.querySelectorAll(selector)].find(e => e.getClientRects().length);
  if (!target) return [`no visible ${selector}`];
  window.scrollTo(0, 0);
  const r = target.getBoundingClientRect();
  if (r.top < 0 || r.left < 0 || r.bottom > innerHeight + 1 || r.right > innerWidth + 1)
    return [`${selector} is outside the first screen: ${Math.round(r.left)},${Math.round(r.top)}`
            + ` ${Math.round(r.width)}x${Math.round(r.height)} in ${innerWidth}x${innerHeight}`];
  return [];
}"""
"""The step's primary action wholly inside the first viewport (not scrolled)."""

TEXTS = r"""() => {
  const items = [];
  for (const { node, parent } of textBoxes()) items.push({ text: node.textContent, el: parent });
  const labelled = "[placeholder], [aria-label], [title], img[alt], input[type=submit][value],"
    + " input[type=button][value]";
  for (const el of document.body.querySelectorAll(labelled)) {
    if (el.closest("[hidden], .sr-only, template")) continue;
    for (const name of ["placeholder", "aria-label", "title", "alt", "value"]) {
      if (name === "value" && el.tagName !== "INPUT") continue;
      const v = el.getAttribute(name);
      if (v && v.trim()) items.push({ text: v, el });
    }
  }
  const title = document.title;
  const found = items.map(({ text, el }) => {
    const marked = el.closest("[lang]");
    return {
      text: text.trim().replace(/\s+/g, " ").slice(0, 200),
      lang: marked ? marked.getAttribute("lang") : "",
      userText: !!el.closest("[dir=auto], [data-user-text]"),
    };
  });
  found.push({ text: title, lang: document.documentElement.lang, userText: false });
  return found;
}"""
"""Every seen text and label of the page, with the language of its nearest `lang`
and whether it is a person's own words (inside `dir=auto` or `data-user-text`)."""

NUMBER_ORDER = r"""() => {
  /* Numbers, IDs, phones, ticket numbers, codes and references: runs of Latin letters
     and digits joined by - / : . * +, holding a digit. (A space ends a run: in Arabic
     text "2026-11-24 10:30" rightly reads date first, from the right.) */
  const token = /[+]?[A-Za-z0-9]*\d[A-Za-z0-9]*(?:[-\/:.*+]+[A-Za-z0-9*]+)*/g;
  const problems = [];
  for (const { node, text } of textBoxes()) {
    const value = node.textContent;
    for (const m of value.matchAll(token)) {
      if (m[0].length < 3 || !/[^0-9]/.test(m[0])) continue;   // plain digits cannot turn
      const xs = [];
      for (let k = 0; k < m[0].length; k++) {
        if (m[0][k] === " ") continue;
        const range = document.createRange();
        range.setStart(node, m.index + k);
        range.setEnd(node, m.index + k + 1);
        const [r] = [...range.getClientRects()].filter(b => b.width > 0);
        if (r) xs.push({ x: (r.left + r.right) / 2, y: (r.top + r.bottom) / 2, h: r.height });
      }
      for (let k = 1; k < xs.length; k++) {
        const a = xs[k - 1], b = xs[k];
        if (Math.abs(a.y - b.y) > Math.max(a.h, b.h) / 2) continue;  // wrapped: another line
        if (b.x < a.x) { problems.push(`"${m[0]}" reads out of order in "${text}"`); break; }
      }
    }
  }
  return problems.slice(0, 20);
}"""
"""Each number-like run's characters, left to right on screen in their logical order."""


def install(page: Any) -> None:
    """Add the shared helpers to the page (after it has loaded)."""
    page.add_script_tag(content=LINE_BOXES)
