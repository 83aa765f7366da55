/**
 * Building DOM from API data safely: every string becomes a text node or an attribute value, never markup. This is the
 * only way the pages create elements, so there is no innerHTML to audit.
 */

/**
 * @typedef {{
 *   class?: string, text?: string, title?: string, href?: string, testid?: string, id?: string,
 *   data?: Record<string, string>, attrs?: Record<string, string>, on?: Record<string, (e: Event) => void>,
 * }} Props
 * @typedef {Node | string | number | null | undefined | false | Child[]} Child
 */

/**
 * @param {string} tag
 * @param {Props} [props]
 * @param {...Child} children
 * @returns {HTMLElement}
 */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  if (props.class) node.className = props.class;
  if (props.id) node.id = props.id;
  if (props.title) node.title = props.title;
  if (props.href !== undefined) node.setAttribute('href', props.href);
  if (props.testid) node.dataset.testid = props.testid;
  for (const [k, v] of Object.entries(props.data ?? {})) node.dataset[k] = v;
  for (const [k, v] of Object.entries(props.attrs ?? {})) node.setAttribute(k, v);
  for (const [k, fn] of Object.entries(props.on ?? {})) node.addEventListener(k, fn);
  if (props.text !== undefined) node.textContent = props.text;
  append(node, children);
  return node;
}

/** @param {Node} parent @param {Child[]} children */
export function append(parent, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    parent.append(typeof c === 'object' ? c : String(c));
  }
}

/** A link to a route inside the dashboard, the id encoded so `/`, `#` or `?` in it cannot change the route. */
export function routeLink(kind, id, props = {}) {
  return el('a', { ...props, href: `#/${kind}/${encodeURIComponent(id)}`, text: props.text ?? id });
}

/** A titled section of a page. */
export function section(title, props, ...children) {
  return el('section', { class: 'card', ...props }, el('h2', { text: title }), ...children);
}

/**
 * A table with a sticky header; `rows` are arrays of cells (nodes or text). Returns the table; `empty` shows in one
 * cell when there are no rows.
 * @param {string[]} headers
 * @param {Child[][]} rows
 * @param {{ testid?: string, empty?: string, rowProps?: (i: number) => Props, numeric?: number[] }} [options]
 */
export function table(headers, rows, options = {}) {
  const numeric = new Set(options.numeric ?? []);
  const head = el('thead', {}, el('tr', {}, headers.map((h, i) => el('th', { text: h, class: numeric.has(i) ? 'num' : '', attrs: { scope: 'col' } }))));
  const body = el('tbody');
  rows.forEach((cells, i) => body.append(el('tr', options.rowProps?.(i) ?? {}, cells.map((c, j) => el('td', { class: numeric.has(j) ? 'num' : '' }, c)))));
  if (rows.length === 0 && options.empty) body.append(el('tr', {}, el('td', { class: 'empty', text: options.empty, attrs: { colspan: String(headers.length) } })));
  return el('table', { class: 'grid', testid: options.testid }, head, body);
}
