// A small, safe Markdown subset for agent answers and user messages.
//
// Model output and user text are untrusted, so nothing here parses HTML: every
// element is made with createElement from a fixed list, and every piece of text
// goes in through a text node. Anything that is not understood stays literal text.
// Supported: paragraphs, line breaks, headings, bullet and numbered lists, quotes,
// fenced code, inline code, bold, italic and links to http(s)/mailto addresses.

const SAFE_PROTOCOLS = new Set(["http:", "https:", "mailto:"]);

// Inline syntax, earliest match wins; the text inside bold, italic and links is
// parsed again so they can nest.
const INLINE = [
  { re: /`([^`\n]+)`/, make: (m) => make("code", m[1]) },
  { re: /\*\*(?=\S)([\s\S]*?\S)\*\*/, make: (m) => make("strong", inline(m[1])) },
  { re: /__(?=\S)([\s\S]*?\S)__/, make: (m) => make("strong", inline(m[1])) },
  { re: /\*(?=[^\s*])([^*\n]*?[^\s*])\*/, make: (m) => make("em", inline(m[1])) },
  { re: /(?<![\w])_(?=[^\s_])([^_\n]*?[^\s_])_(?![\w])/, make: (m) => make("em", inline(m[1])) },
  { re: /\[([^\]\n]+)\]\(([^)\s]+)\)/, make: (m) => link(m[1], m[2]) },
  { re: /\bhttps?:\/\/[^\s<>()]+[^\s<>().,;:!?'"]/, make: (m) => link(m[0], m[0]) },
];

function make(tag, content) {
  const node = document.createElement(tag);
  if (typeof content === "string") node.textContent = content;
  else if (content) node.append(content);
  return node;
}

function link(label, href) {
  let url;
  try {
    url = new URL(href);
  } catch {
    return document.createTextNode(`[${label}](${href})`);
  }
  if (!SAFE_PROTOCOLS.has(url.protocol)) return document.createTextNode(label);
  const anchor = make("a", label); // plain text: no link inside a link
  anchor.href = url.href;
  anchor.rel = "noopener noreferrer nofollow";
  anchor.target = "_blank";
  return anchor;
}

/** Inline Markdown of one block as a fragment of text nodes and safe elements. */
function inline(text) {
  const fragment = document.createDocumentFragment();
  let rest = text;
  while (rest) {
    let best = null;
    for (const rule of INLINE) {
      const match = rule.re.exec(rest);
      if (match && (!best || match.index < best.match.index)) best = { rule, match };
    }
    if (!best) {
      fragment.append(rest);
      break;
    }
    fragment.append(rest.slice(0, best.match.index), best.rule.make(best.match));
    rest = rest.slice(best.match.index + best.match[0].length);
  }
  return fragment;
}

/** Lines joined with <br>, so single newlines in chat text are kept. */
function lines(textLines) {
  const fragment = document.createDocumentFragment();
  textLines.forEach((line, i) => {
    if (i) fragment.append(document.createElement("br"));
    fragment.append(inline(line));
  });
  return fragment;
}

const FENCE = /^\s*(```|~~~)/;
const HEADING = /^(#{1,6})\s+(.*?)\s*#*\s*$/;
const BULLET = /^\s*[-*+]\s+(.*)$/;
const NUMBERED = /^\s*(\d{1,9})[.)]\s+(.*)$/;
const QUOTE = /^\s*>\s?(.*)$/;

function isBlockStart(line) {
  return [FENCE, HEADING, BULLET, NUMBERED, QUOTE].some((re) => re.test(line));
}

/** Render Markdown `text` as a DocumentFragment; never runs markup in the text. */
export function renderMarkdown(text) {
  const fragment = document.createDocumentFragment();
  const source = String(text ?? "").replace(/\r\n?/g, "\n").split("\n");
  let i = 0;
  while (i < source.length) {
    const line = source[i];
    if (!line.trim()) {
      i += 1;
    } else if (FENCE.test(line)) {
      const fence = line.match(FENCE)[1];
      const body = [];
      i += 1;
      while (i < source.length && !source[i].trimStart().startsWith(fence)) body.push(source[i++]);
      i += 1; // the closing fence (or the end of a still-streaming answer)
      fragment.append(make("pre", make("code", body.join("\n"))));
    } else if (HEADING.test(line)) {
      const [, hashes, title] = line.match(HEADING);
      // Answers sit under the page's own headings, so they start at h3.
      fragment.append(make(`h${Math.min(hashes.length + 2, 6)}`, inline(title)));
      i += 1;
    } else if (BULLET.test(line) || NUMBERED.test(line)) {
      const pattern = BULLET.test(line) ? BULLET : NUMBERED;
      const list = document.createElement(pattern === BULLET ? "ul" : "ol");
      if (pattern === NUMBERED) list.start = Number(line.match(NUMBERED)[1]);
      while (i < source.length && pattern.test(source[i])) {
        const match = source[i].match(pattern);
        list.append(make("li", inline(match[match.length - 1])));
        i += 1;
      }
      fragment.append(list);
    } else if (QUOTE.test(line)) {
      const quoted = [];
      while (i < source.length && QUOTE.test(source[i])) quoted.push(source[i++].match(QUOTE)[1]);
      fragment.append(make("blockquote", lines(quoted)));
    } else {
      const paragraph = [];
      while (i < source.length && source[i].trim() && !isBlockStart(source[i])) {
        paragraph.push(source[i++]);
      }
      fragment.append(make("p", lines(paragraph)));
    }
  }
  return fragment;
}
