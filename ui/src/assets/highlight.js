/*
 * cairn web UI: syntax highlighting for the KV editor (JSON, YAML, HCL).
 *
 * The editor stays a plain <textarea> (keyboard, accessibility, mobile input,
 * undo all native); a <pre><code> behind it shows the same text highlighted.
 * The textarea's text is transparent with a visible caret, and both share
 * font metrics, padding and wrapping; the overlay follows the textarea's
 * size and scroll position (see .editor in app.css).
 *
 * Tokenizers. Each language is a list of rules [regexp source, class]; the
 * rules are joined into one alternation (first rule wins at a position), and
 * one left-to-right pass with exec() turns the text into spans. Text between
 * matches is emitted as it is. Every piece goes through esc(): raw text never
 * reaches innerHTML. A class may be a function returning HTML for the match
 * (HCL block headers, strings with ${...} interpolation).
 *
 * Token classes: tk-key (JSON/YAML keys), tk-attr (HCL attribute names),
 * tk-block / tk-label (HCL block types and labels), tk-str, tk-interp,
 * tk-num, tk-bool (true/false, YAML yes/no/on/off), tk-null, tk-punct,
 * tk-comment, tk-dash (YAML list item), tk-doc (YAML --- / ...), tk-anchor
 * (YAML &anchor, *alias, !tag), tk-heredoc (HCL heredoc markers).
 *
 * Exposed as window.cairnHighlight = {detect, html, attach, LANGS}.
 */
(() => {
  'use strict';
  const ESC = {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'};
  const esc = (s) => s.replace(/[&<>"']/g, (c) => ESC[c]);
  const span = (cls, s) => `<span class="${cls}">${esc(s)}</span>`;

  // A string with ${...} / %{...} interpolations (HCL): the interpolations get
  // their own span inside the string's.
  const interp = (cls) => (s) => {
    let out = '', last = 0;
    const re = /[$%]\{[^}\n]*\}?/g;
    for (let m; (m = re.exec(s));) {
      if (m.index > 0 && s[m.index - 1] === s[m.index]) continue; // $${ is an escape
      out += esc(s.slice(last, m.index)) + span('tk-interp', m[0]);
      last = re.lastIndex;
    }
    return `<span class="${cls}">${out}${esc(s.slice(last))}</span>`;
  };

  const IDENT = '[A-Za-z_][\\w-]*';
  const LABEL = `(?:"[^"\\n]*"|${IDENT})`;

  // HCL block header: `type "label" label {`.
  const blockHeader = (s) => {
    let out = '', first = true;
    const re = /"[^"\n]*"|[A-Za-z_][\w-]*|\{|[^"A-Za-z_{]+/g;
    for (let m; (m = re.exec(s));) {
      const t = m[0];
      if (t === '{') out += span('tk-punct', t);
      else if (/^["A-Za-z_]/.test(t)) { out += span(first ? 'tk-block' : 'tk-label', t); first = false; }
      else out += esc(t);
    }
    return out;
  };

  // HCL heredoc: markers in their own span, the body as a string with
  // interpolations.
  const heredoc = (s) => {
    const nl = s.indexOf('\n');
    if (nl < 0) return span('tk-heredoc', s);
    const end = s.search(/[^\n]*$/);
    const name = /^<<-?([A-Za-z_]\w*)/.exec(s)[1];
    const closed = end > nl && s.slice(end).trim() === name;
    const body = s.slice(nl, closed ? end : s.length);
    return span('tk-heredoc', s.slice(0, nl)) + interp('tk-str')(body) +
      (closed ? span('tk-heredoc', s.slice(end)) : '');
  };

  const RULES = {
    json: [
      ['"(?:[^"\\\\\\n]|\\\\.)*"(?=\\s*:)', 'tk-key'],
      ['"(?:[^"\\\\\\n]|\\\\.)*"?', 'tk-str'],
      ['-?\\d+(?:\\.\\d+)?(?:[eE][-+]?\\d+)?', 'tk-num'],
      ['\\b(?:true|false)\\b', 'tk-bool'],
      ['\\bnull\\b', 'tk-null'],
      ['[{}\\[\\],:]', 'tk-punct'],
    ],
    yaml: [
      ['(?<=^|[ \\t])#[^\\n]*', 'tk-comment'],
      ['^(?:---|\\.\\.\\.)(?=[ \\t]|$)', 'tk-doc'],
      ['(?<=^[ \\t]*)-(?=[ \\t]|$)', 'tk-dash'],
      [`(?<=^[ \\t]*(?:-[ \\t]+)*)(?:"[^"\\n]*"|'[^'\\n]*'|[^\\s#'"{\\[\\]:,&*!|>%@\`-][^:#\\n]*?|-[^\\s:#][^:#\\n]*?)(?=[ \\t]*:(?:[ \\t]|$))`, 'tk-key'],
      ['"(?:[^"\\\\\\n]|\\\\.)*"?|\'(?:[^\'\\n]|\'\')*\'?', 'tk-str'],
      ['(?<![\\w.-])(?:true|false|yes|no|on|off|True|False|Yes|No|On|Off|TRUE|FALSE|YES|NO|ON|OFF)(?![\\w.-])', 'tk-bool'],
      ['(?<![\\w.-])(?:null|Null|NULL|~)(?![\\w.-])', 'tk-null'],
      ['(?<![\\w.:-])[-+]?(?:0x[0-9a-fA-F]+|0o[0-7]+|\\d[\\d_]*(?:\\.\\d*)?(?:[eE][-+]?\\d+)?|\\.\\d+|\\.inf|\\.Inf|\\.nan|\\.NaN)(?![\\w.:-])', 'tk-num'],
      ['(?<=^|[\\s\\[{,])[&*!][^\\s,\\[\\]{}]*', 'tk-anchor'],
      [':(?=[ \\t]|$)|[{}\\[\\],]|(?<=:[ \\t]*)[|>][-+]?(?=[ \\t]*$)', 'tk-punct'],
    ],
    hcl: [
      ['#[^\\n]*|//[^\\n]*|/\\*(?:[^*]|\\*(?!/))*(?:\\*/)?', 'tk-comment'],
      ['<<-?(?<hd>[A-Za-z_]\\w*)[ \\t]*(?:\\n[\\s\\S]*?\\n[ \\t]*\\k<hd>(?=[ \\t]*$)|[\\s\\S]*)', heredoc],
      [`(?<=^[ \\t]*)${IDENT}(?:[ \\t]+${LABEL})*[ \\t]*\\{`, blockHeader],
      [`(?<=^[ \\t]*|[{,][ \\t]*)${IDENT}(?=[ \\t]*[=:](?!=))`, 'tk-attr'],
      ['"(?:[^"\\\\\\n]|\\\\.)*"?', interp('tk-str')],
      ['\\b\\d+(?:\\.\\d+)?(?:[eE][-+]?\\d+)?\\b', 'tk-num'],
      ['\\b(?:true|false)\\b', 'tk-bool'],
      ['\\bnull\\b', 'tk-null'],
      ['[{}\\[\\](),=:?]', 'tk-punct'],
    ],
  };

  // One regexp per language; group offsets tell which rule matched.
  const compiled = {};
  function compile(lang) {
    if (compiled[lang]) return compiled[lang];
    const rules = RULES[lang];
    let offset = 1;
    const groups = rules.map(([src, cls]) => {
      const n = new RegExp(src + '|').exec('').length - 1; // capture groups inside
      const g = {at: offset, cls};
      offset += n + 1;
      return g;
    });
    const re = new RegExp(rules.map(([src]) => `(${src})`).join('|'), 'gm');
    return (compiled[lang] = {re, groups});
  }

  // The highlighted HTML of text (every character escaped).
  function html(text, lang) {
    if (!RULES[lang]) return esc(text);
    const {re, groups} = compile(lang);
    let out = '', last = 0;
    re.lastIndex = 0;
    for (let m; (m = re.exec(text));) {
      if (!m[0]) { re.lastIndex++; continue; }
      const g = groups.find((x) => m[x.at] !== undefined);
      out += esc(text.slice(last, m.index));
      out += typeof g.cls === 'function' ? g.cls(m[0]) : span(g.cls, m[0]);
      last = re.lastIndex;
    }
    return out + esc(text.slice(last));
  }

  // Which language text looks like: JSON (an object or array), then HCL
  // (`name {` blocks, `key = value`), then YAML (`key: value` lines, ---,
  // list items); else plain.
  function detect(text) {
    const t = text.trimStart();
    if (!t) return 'plain';
    // an object or array: JSON, valid or being edited (HCL and YAML documents
    // do not start with a bracket; a YAML flow mapping is close enough)
    if (/^[[{]/.test(t)) return 'json';
    if (new RegExp(`^[ \\t]*${IDENT}(?:[ \\t]+${LABEL})*[ \\t]*\\{[ \\t]*(?:#.*|//.*)?$`, 'm').test(t) ||
        /^[ \t]*[A-Za-z_][\w.-]*[ \t]*=(?!=)/m.test(t)) return 'hcl';
    if (/^(?:---|%YAML)/.test(t) || /^[ \t]*(?:-[ \t]+)?[^\s#:{[][^:\n]*:(?:[ \t]|$)/m.test(t) ||
        /^-[ \t]+\S/.test(t)) return 'yaml';
    return 'plain';
  }

  const LANGS = {json: 'JSON', yaml: 'YAML', hcl: 'HCL', plain: 'Plain text'};

  // Values above BIG characters are drawn in windowed mode: both layers stop
  // wrapping (the textarea gets wrap=off), so a line's position is its index
  // times the line height, and only the lines around the visible ones are
  // tokenized and put in the overlay (moved into place with a transform).
  // A 512 KB value then costs the browser a few hundred spans per keystroke or
  // scroll instead of a hundred thousand. Tokenizing restarts at the window's
  // first line (a block comment or heredoc opened above it is not seen), and
  // past LONG characters of a window the text is drawn plain.
  const BIG = 65536, LONG = 65536, MARGIN = 40;

  // Attach a highlight overlay to a textarea: code is the <code> inside the
  // <pre> behind it (both inside an .editor); select (optional) offers
  // auto/json/yaml/hcl/plain; onLang(lang, auto) is told the language in use
  // after each render. Returns {refresh()} for programmatic value changes.
  function attach(textarea, code, select, onLang) {
    const pre = code.parentElement;
    const editor = pre.parentElement;
    let pending = 0, big = false, lang = 'plain', lines = [], shown = '';
    const lineHeight = () => parseFloat(getComputedStyle(textarea).lineHeight) || 20;
    // windowed mode: (re)draw the lines around the visible ones when the
    // window moved, and put them in place
    const paint = (force) => {
      const lh = lineHeight();
      const first = Math.max(0, Math.floor(textarea.scrollTop / lh) - MARGIN);
      const last = Math.min(lines.length, first + Math.ceil(textarea.clientHeight / lh) + 2 * MARGIN);
      const key = `${first}:${last}`;
      if (force || key !== shown) {
        const win = lines.slice(first, last).join('\n');
        code.innerHTML = win.length > LONG ? html(win.slice(0, LONG), lang) + esc(win.slice(LONG)) : html(win, lang);
        shown = key;
        pre.dataset.first = first;
      }
      code.style.transform = `translate(${-textarea.scrollLeft}px, ${first * lh - textarea.scrollTop}px)`;
    };
    const sync = () => {
      // match the textarea's content box (its scrollbars take room away)
      pre.style.width = textarea.clientWidth + 'px';
      pre.style.height = textarea.clientHeight + 'px';
      if (big) { pre.scrollTop = 0; pre.scrollLeft = 0; paint(false); return; }
      pre.scrollTop = textarea.scrollTop;
      pre.scrollLeft = textarea.scrollLeft;
    };
    const render = () => {
      pending = 0;
      const text = textarea.value;
      const chosen = select ? select.value : 'auto';
      lang = chosen === 'auto' ? detect(text) : chosen;
      if (big !== text.length > BIG) {
        big = !big;
        editor.classList.toggle('big', big);
        textarea.setAttribute('wrap', big ? 'off' : 'soft');
        code.style.transform = '';
      }
      pre.dataset.lang = lang;
      if (select) select.options[0].text = `Auto (${LANGS[lang]})`;
      if (onLang) onLang(lang, chosen === 'auto');
      if (big) {
        lines = text.split('\n');
        sync();
        paint(true);
        return;
      }
      // a trailing newline needs a line box in the <pre> too (the textarea shows one)
      code.innerHTML = html(text, lang) + (text.endsWith('\n') ? ' ' : '');
      sync();
    };
    const schedule = () => { if (!pending) pending = requestAnimationFrame(render); };
    textarea.addEventListener('input', schedule);
    textarea.addEventListener('scroll', sync);
    if (select) select.addEventListener('change', render);
    if (window.ResizeObserver) new ResizeObserver(sync).observe(textarea);
    render();
    return {refresh: render};
  }

  window.cairnHighlight = {detect, html, attach, LANGS};
})();
