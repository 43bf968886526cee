/* The preview of `pressroom watch` (convert/preview.py), served to the browser only: never
   part of an output.

   1. Pages: the document is cut into sheets at the size and margins its @page rules give
      (named pages, :first, :left and :right included), on a grey desk. It approximates
      WeasyPrint's layout, it does not reproduce it: a block that does not fit moves whole
      to the next page (lines are not split; sections, lists, quotes and table bodies are
      split between their blocks), forced breaks and left/right starts are kept (with a
      blank page when needed), a heading stays with what follows it, footnotes
      (Pressroom's span.footnote) go to the foot of their page, numbered per
      counter-reset. Running heads, folios and target-counter() are not drawn: the PDF is
      the reference for those.
   2. Live reload: an EventSource on /_pressroom/events; when the server's page number
      differs from this page's, reload (keeping the scroll position), otherwise show the
      build status in the bar.

   If cutting into pages fails, the document stays one long sheet. */
(() => {
  "use strict";

  const root = document.documentElement;
  const bar = document.getElementById("pressroom-bar");
  const PAGE = bar ? bar.dataset.page : "";
  const SCROLL = "pressroom-scroll";
  root.classList.add("pressroom-js");

  // ------------------------------------------------------------------ live reload

  function setStatus(text, busy) {
    const status = document.getElementById("pressroom-status");
    if (!status) return;
    status.textContent = text;
    status.classList.toggle("pressroom-busy", Boolean(busy));
  }

  function listen() {
    if (!bar || !("EventSource" in window)) return;
    const events = new EventSource("/_pressroom/events");
    events.onmessage = (message) => {
      let state;
      try {
        state = JSON.parse(message.data);
      } catch (error) {
        return;
      }
      if (String(state.page) !== PAGE) {
        try {
          sessionStorage.setItem(SCROLL, String(window.scrollY));
        } catch (error) {
          // the reloaded page starts at the top
        }
        events.close();
        location.reload();
        return;
      }
      setStatus(state.status, state.busy);
    };
    // The browser tries again by itself; the first message after that says how things are.
    events.onerror = () => setStatus("not connected: is pressroom watch still running?");
  }

  function restoreScroll() {
    try {
      const saved = Number(sessionStorage.getItem(SCROLL));
      sessionStorage.removeItem(SCROLL);
      if (saved > 0) window.scrollTo(0, saved);
    } catch (error) {
      // no session storage here: the page starts at the top
    }
  }

  // ------------------------------------------------------------------ page geometry

  const SIZES = {  // millimetres, portrait
    a6: [105, 148], a5: [148, 210], a4: [210, 297], a3: [297, 420],
    b5: [176, 250], b4: [250, 353], "jis-b5": [182, 257], "jis-b4": [257, 364],
    letter: [215.9, 279.4], legal: [215.9, 355.6], ledger: [279.4, 431.8],
  };
  const MM = 96 / 25.4;
  const SIDES = ["top", "right", "bottom", "left"];

  /* A CSS length in pixels, as the browser computes it. */
  function pixels(value, probe) {
    probe.style.width = value;
    return probe.getBoundingClientRect().width;
  }

  /* Every @page rule of the document's stylesheets, in cascade order. */
  function pageRules() {
    const found = [];
    const visit = (rules) => {
      for (const rule of rules) {
        if (rule instanceof CSSPageRule) found.push(rule);
        else if (rule instanceof CSSImportRule && rule.styleSheet) visit(sheetRules(rule.styleSheet));
        else if (rule.cssRules) visit(rule.cssRules);  // @media print too: this is print
      }
    };
    for (const sheet of document.styleSheets) visit(sheetRules(sheet));
    return found.map((rule, order) => {
      const [name, ...pseudo] = (rule.selectorText || "").trim().split(":");
      const style = {};
      for (const property of ["size", ...SIDES.map((s) => `margin-${s}`)]) {
        const value = rule.style.getPropertyValue(property);
        if (value) style[property] = value.trim();
      }
      const specificity = [name ? 1 : 0, pseudo.filter((p) => p === "first" || p === "blank").length,
        pseudo.filter((p) => p === "left" || p === "right").length, order];
      return { name: name.trim(), pseudo, style, specificity };
    }).sort((a, b) => {
      for (let i = 0; i < 4; i++) if (a.specificity[i] !== b.specificity[i]) return a.specificity[i] - b.specificity[i];
      return 0;
    });
  }

  function sheetRules(sheet) {
    try {
      return sheet.cssRules || [];
    } catch (error) {  // another origin's sheet: none here (the page's CSP)
      return [];
    }
  }

  function pageSize(value, probe) {
    const words = (value || "").toLowerCase().split(/\s+/).filter(Boolean);
    let [width, height] = SIZES.a4.map((mm) => mm * MM);
    const lengths = words.filter((w) => /^[\d.]/.test(w));
    const named = words.find((w) => w in SIZES);
    if (named) [width, height] = SIZES[named].map((mm) => mm * MM);
    if (lengths.length) {
      width = pixels(lengths[0], probe);
      height = pixels(lengths[1] || lengths[0], probe);
    }
    if (words.includes("landscape")) [width, height] = [Math.max(width, height), Math.min(width, height)];
    if (words.includes("portrait")) [width, height] = [Math.min(width, height), Math.max(width, height)];
    return [width, height];
  }

  /* The page box of sheet ``number``: {width, height, margin: [t, r, b, l]} in pixels. */
  function geometry(rules, number, name, blank, left, probe) {
    const style = {};
    for (const rule of rules) {
      if (rule.name && rule.name !== name) continue;
      const applies = rule.pseudo.every((p) => (p === "first" ? number === 1 : p === "left" ? left
        : p === "right" ? !left : p === "blank" ? blank : false));
      if (applies) Object.assign(style, rule.style);
    }
    const [width, height] = pageSize(style.size, probe);
    const margin = SIDES.map((side) => {
      const value = style[`margin-${side}`];
      return value && value !== "auto" ? pixels(value, probe) : 0;
    });
    return { width, height, margin };
  }

  // ------------------------------------------------------------------ the document's breaks

  const FORCED = new Set(["page", "left", "right", "recto", "verso"]);
  const SPLIT_DISPLAY = new Set(["block", "flow-root", "list-item", "table", "table-row-group"]);
  const WHOLE_TAGS = new Set(["P", "H1", "H2", "H3", "H4", "H5", "H6", "PRE", "FIGURE", "TR",
    "IMG", "SVG", "MATH", "CAPTION", "THEAD", "TFOOT", "DT", "HR"]);

  /* Note what the computed style says about breaks on every element, as data attributes
     the copies keep (a copy out of the document has no computed style). */
  function mark(elements) {
    for (const el of elements) {
      const style = getComputedStyle(el);
      if (FORCED.has(style.breakBefore)) el.dataset.prBefore = style.breakBefore;
      if (FORCED.has(style.breakAfter)) el.dataset.prAfter = style.breakAfter;
      else if (style.breakAfter === "avoid" || style.breakAfter === "avoid-page") el.dataset.prKeep = "";
      if (style.breakInside === "avoid" || style.breakInside === "avoid-page") el.dataset.prWhole = "";
      if (style.page && style.page !== "auto") el.dataset.prPage = style.page;
      if (/\bfootnote\b/.test(style.counterReset)) el.dataset.prNotes = "";
      const blockChildren = Array.from(el.children).every((child) => {
        const display = getComputedStyle(child).display;
        return display !== "none" && !display.startsWith("inline") && display !== "contents";
      });
      const text = Array.from(el.childNodes).some((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim());
      if (SPLIT_DISPLAY.has(style.display) && !WHOLE_TAGS.has(el.tagName.toUpperCase())
          && el.children.length > 0 && blockChildren && !text) {
        el.dataset.prSplit = "";
      }
      if (el.tagName === "IMG" && el.naturalWidth && !el.hasAttribute("width") && !el.hasAttribute("height")) {
        // Its size before its copy has loaded: the copy is measured at once.
        el.setAttribute("width", el.naturalWidth);
        el.setAttribute("height", el.naturalHeight);
      }
    }
  }

  /* Footnotes out of the text: a numbered call where the note was, the note kept for
     the foot of the page its call lands on. */
  function takeNotes(tree) {
    const notes = new Map();
    let number = 0;
    for (const el of Array.from(tree.querySelectorAll("[data-pr-notes], span.footnote"))) {
      if (el.hasAttribute("data-pr-notes")) {
        number = 0;
        continue;
      }
      number += 1;
      const call = document.createElement("sup");
      call.className = "pressroom-note-call";
      call.textContent = String(number);
      el.replaceWith(call);
      const note = document.createElement("div");
      note.className = "pressroom-note";
      const marker = document.createElement("span");
      marker.className = "pressroom-note-marker";
      marker.textContent = `${number}. `;
      note.append(marker, el);
      notes.set(call, note);
    }
    return notes;
  }

  // ------------------------------------------------------------------ cutting into pages

  class Pages {
    constructor(desk, rules, rtl, notes, probe) {
      this.desk = desk;
      this.rules = rules;
      this.rtl = rtl;
      this.notes = notes;
      this.probe = probe;
      this.count = 0;
      // The open containers, outermost first: the element being split (``source``), its
      // part on the current page (``clone``), whether a part of it was placed anywhere
      // yet (``content``), list items begun (``items``), a table's header (``thead``).
      this.stack = [{ source: null, clone: null, content: false, items: 0 }];
      this.pending = null;  // a forced break after the last block placed
    }

    isLeft(number) {
      return this.rtl ? number % 2 === 1 : number % 2 === 0;
    }

    /* Is page ``number`` on the side a break of ``kind`` asks for? */
    onSide(kind, number) {
      const left = this.isLeft(number);
      if (kind === "left") return left;
      if (kind === "right") return !left;
      if (kind === "recto") return this.rtl ? left : !left;
      if (kind === "verso") return this.rtl ? !left : left;
      return true;
    }

    sheet(name, blank, unforced) {
      this.count += 1;
      const box = geometry(this.rules, this.count, name, blank, this.isLeft(this.count), this.probe);
      const sheet = document.createElement("div");
      sheet.className = "pressroom-sheet";
      if (blank) sheet.classList.add("pressroom-blank");
      if (unforced) sheet.classList.add("pressroom-unforced");
      sheet.dataset.sheet = String(this.count);
      sheet.style.width = `${box.width}px`;
      sheet.style.height = `${box.height}px`;
      const area = document.createElement("div");
      area.className = "pressroom-area";
      const [top, right, bottom, left] = box.margin;
      const height = Math.max(box.height - top - bottom, 24);
      Object.assign(area.style, {
        top: `${top}px`,
        left: `${left}px`,
        width: `${Math.max(box.width - left - right, 24)}px`,
        height: `${height}px`,
      });
      area.style.setProperty("--pressroom-area-height", `${height}px`);
      const flow = document.createElement("div");
      flow.className = "pressroom-flow";
      const footer = document.createElement("div");
      footer.className = "pressroom-notes";
      area.append(flow, footer);
      sheet.append(area);
      this.desk.append(sheet);
      Object.assign(this, { current: sheet, area, flow, footer, room: height, placed: 0, box });
      this.stack[0].clone = flow;
    }

    /* A new page for what follows, the open containers continued on it; a blank one
       first when a left or right start asks for it. */
    turn(kind, name) {
      this.prune();
      if (kind && !this.onSide(kind, this.count + 1)) this.sheet(name, true, false);
      this.sheet(name, false, !kind);
      let parent = this.flow;
      for (let i = 1; i < this.stack.length; i++) {
        const entry = this.stack[i];
        const copy = entry.source.cloneNode(false);
        if (entry.content) {
          copy.removeAttribute("id");
          copy.classList.add("pressroom-continued");
          if (copy.tagName === "OL") {
            // Numbering goes on; an item split across the pages counts once.
            const open = this.stack[i + 1] && this.stack[i + 1].source.tagName === "LI";
            const start = Number(entry.source.getAttribute("start")) || 1;
            copy.setAttribute("start", String(start + entry.items - (open ? 1 : 0)));
          }
        }
        if (entry.thead) copy.append(entry.thead.cloneNode(true));  // the header again
        parent.append(copy);
        entry.clone = copy;
        parent = copy;
      }
    }

    /* Containers opened on this page that got nothing: gone, they begin on the next. */
    prune() {
      for (let i = this.stack.length - 1; i > 0; i--) {
        const clone = this.stack[i].clone;
        const content = Array.from(clone.childNodes).some((n) => (n.nodeType === Node.ELEMENT_NODE
          ? n.tagName !== "THEAD" : n.nodeType === Node.TEXT_NODE && n.textContent.trim()));
        if (!content) clone.remove();
      }
    }

    /* The height the page's content takes: the text's blocks and, at the foot, its
       notes. Block heights, not scrollHeight: a script with tall glyphs (Arabic) spills
       past its line boxes without taking room on the page. */
    used() {
      const notes = this.footer.childElementCount ? this.footer.getBoundingClientRect().height : 0;
      return this.flow.getBoundingClientRect().height + notes;
    }

    fits() {
      return this.used() <= this.room + 0.5;
    }

    callsIn(node) {
      if (node.nodeType !== Node.ELEMENT_NODE) return [];
      if (node.classList.contains("pressroom-note-call")) return [node];
      return Array.from(node.querySelectorAll(".pressroom-note-call"));
    }

    attachNotes(node) {
      const placed = [];
      for (const call of this.callsIn(node)) {
        const note = this.notes.get(call);
        if (note) {
          this.footer.append(note);
          placed.push(note);
        }
      }
      return placed;
    }

    /* The last element placed on this page before the current point, and the depth of
       the open container holding it; null when the page has nothing before it. */
    lastPlaced() {
      let level = this.stack.length - 1;
      let node = this.stack[level].clone.lastChild;
      for (;;) {
        while (node && node.nodeType !== Node.ELEMENT_NODE) node = node.previousSibling;
        if (node) return { node, level };
        if (level === 0) return null;
        node = this.stack[level].clone.previousSibling;
        level -= 1;
      }
    }

    place(node) {
      const entry = this.stack[this.stack.length - 1];
      const element = node.nodeType === Node.ELEMENT_NODE;
      const meaningful = element || (node.nodeType === Node.TEXT_NODE && node.textContent.trim());
      if (!meaningful) {
        entry.clone.append(node);
        return;
      }
      const before = element ? node.dataset.prBefore : undefined;
      const name = this.nameOf(node);
      if (this.placed > 0 && (before || this.pending)) {
        this.turn(before || this.pending, name);
      } else if (this.placed === 0 && before && !this.onSide(before, this.count)) {
        // Nothing on this page yet, but it is on the wrong side: it stays blank.
        this.current.classList.add("pressroom-blank");
        this.turn("page", name);
      }
      this.pending = null;

      entry.clone.append(node);
      let notes = this.attachNotes(node);
      if (this.fits()) return this.placedNow(node, entry);
      notes.forEach((note) => note.remove());
      node.remove();

      const whole = element && node.hasAttribute("data-pr-whole");
      const splits = element && node.hasAttribute("data-pr-split");
      if (this.placed > 0 && (!splits || whole)) {
        // To the next page, with the heading before it, which must not end a page.
        const last = this.placed > 1 ? this.lastPlaced() : null;
        const carry = last && last.node.hasAttribute("data-pr-keep") ? last : null;
        if (carry) {
          this.callsIn(carry.node).forEach((call) => this.notes.get(call)?.remove());
          carry.node.remove();
        }
        this.turn(null, name);
        if (carry && carry.level === this.stack.length - 1) {
          this.place(carry.node);
        } else if (carry) {
          // It stood before a container that had not begun on that page: it goes before
          // that container's first part on this one.
          this.stack[carry.level].clone.insertBefore(carry.node, this.stack[carry.level + 1].clone);
          this.attachNotes(carry.node);
          this.placed += 1;
        }
        return this.place(node);
      }
      if (splits) return this.split(node, entry);
      // Alone on a page and still too big: it stays, and the sheet grows and says so.
      entry.clone.append(node);
      notes = this.attachNotes(node);
      const needed = Math.ceil(this.used());
      this.current.classList.add("pressroom-overfull");
      this.area.style.height = `${needed}px`;
      this.current.style.height = `${this.box.margin[0] + needed + this.box.margin[2]}px`;
      return this.placedNow(node, entry);
    }

    placedNow(node, entry) {
      this.placed += 1;
      for (const open of this.stack) open.content = true;
      if (node.nodeType === Node.ELEMENT_NODE) {
        if (node.tagName === "LI") entry.items += 1;
        if (node.tagName === "THEAD") entry.thead = node;
        if (node.dataset.prAfter) this.pending = node.dataset.prAfter;
      }
    }

    split(node, entry) {
      const shell = node.cloneNode(false);
      entry.clone.append(shell);
      if (node.tagName === "LI") entry.items += 1;
      this.stack.push({ source: node, clone: shell, content: false, items: 0 });
      for (const child of Array.from(node.childNodes)) this.place(child);
      this.stack.pop();
      if (node.dataset.prAfter) this.pending = node.dataset.prAfter;
    }

    /* The named page (CSS ``page``) of what ``node`` begins: its own, else its open
       containers'. */
    nameOf(node) {
      if (node.nodeType === Node.ELEMENT_NODE && node.dataset.prPage) return node.dataset.prPage;
      for (let i = this.stack.length - 1; i > 0; i--) {
        const page = this.stack[i].source.dataset.prPage;
        if (page) return page;
      }
      return "";
    }
  }

  async function paginate() {
    const body = document.body;
    const ours = (node) => node.nodeType === Node.ELEMENT_NODE
      && (node.hasAttribute("data-pressroom") || node.tagName === "SCRIPT");
    const originals = Array.from(body.childNodes).filter((node) => !ours(node));
    mark(originals.flatMap((node) => (node.nodeType === Node.ELEMENT_NODE
      ? [node, ...node.querySelectorAll("*")] : [])));
    const copy = document.createElement("div");
    copy.append(...originals.map((node) => node.cloneNode(true)));
    // After the load event every image is in (complete): waiting for a decode would hand
    // the page back to the browser, which may show or print it half cut.
    await Promise.all(Array.from(copy.querySelectorAll("img"))
      .map((img) => (img.complete || !img.decode ? null : img.decode().catch(() => {}))));
    const notes = takeNotes(copy);

    const probe = document.createElement("div");
    probe.style.cssText = "position:absolute;visibility:hidden;height:0;left:0;top:0";
    const desk = document.createElement("div");
    desk.className = "pressroom-sheets";
    desk.dataset.pressroom = "pages";
    body.append(probe, desk);
    const kept = document.createDocumentFragment();
    try {
      kept.append(...originals);  // out of the way, whole, in case this fails
      root.classList.add("pressroom-paged");
      const pages = new Pages(desk, pageRules(), getComputedStyle(root).direction === "rtl", notes, probe);
      const first = copy.firstElementChild;
      pages.sheet(first ? pages.nameOf(first) : "", false, false);
      for (const node of Array.from(copy.childNodes)) pages.place(node);
      pages.prune();
    } catch (error) {
      desk.remove();
      root.classList.remove("pressroom-paged");
      body.insertBefore(kept, bar ? bar.nextSibling : body.firstChild);
      throw error;
    } finally {
      probe.remove();
    }
  }

  function spaceForBar() {
    if (bar && root.classList.contains("pressroom-paged")) {
      document.body.style.paddingTop = `${bar.offsetHeight}px`;
    }
  }

  async function start() {
    try {
      if (!document.body.classList.contains("pressroom-empty")) {
        if (document.fonts && document.fonts.status !== "loaded") await document.fonts.ready;
        await paginate();
      }
    } catch (error) {
      console.error("pressroom preview: could not cut the document into pages:", error);
    } finally {
      root.classList.remove("pressroom-js");
      spaceForBar();
      restoreScroll();
      listen();
    }
  }

  if (document.readyState === "complete") start();
  else window.addEventListener("load", start, { once: true });
})();
