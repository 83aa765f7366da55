import { el } from './dom.js';

/**
 * Short notices in a corner (a lead turned hot, an alert fired). At most a few at once, so a burst of changes after a
 * sweep does not bury the page.
 */

const SHOW_MS = 8_000;
const MAX_SHOWN = 4;

/** @param {HTMLElement} host a container with aria-live */
export function createToasts(host) {
  return {
    /** @param {(Node | string)[]} content @param {string} dismissLabel */
    show(content, dismissLabel) {
      const toast = el(
        'div',
        { class: 'toast', testid: 'toast', attrs: { role: 'status' } },
        el('div', { class: 'toast-body' }, content),
        el('button', { class: 'toast-close', text: '×', title: dismissLabel, attrs: { type: 'button', 'aria-label': dismissLabel }, on: { click: () => toast.remove() } }),
      );
      host.prepend(toast);
      while (host.children.length > MAX_SHOWN) host.lastElementChild?.remove();
      setTimeout(() => toast.remove(), SHOW_MS);
    },
    clear: () => host.replaceChildren(),
  };
}
