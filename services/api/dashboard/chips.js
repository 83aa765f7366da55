import { el } from './dom.js';
import { has } from './i18n.js';

/**
 * The small labelled badges every page uses (tier, grade, buying role, lifecycle stage). Known values are translated;
 * anything else the API sends is shown as it is.
 */

const KNOWN_TIERS = new Set(['hot', 'warm', 'cold']);
const KNOWN_ROLES = new Set(['EB', 'UB', 'TB', 'Coach']);

/** @typedef {{ lang: string, t: (key: string, params?: Record<string, string | number>) => string }} Words */

/** A translated label for `prefix.value` when one exists, else the value itself. */
export function labelOf(/** @type {Words} */ w, prefix, value) {
  return has(w.lang, `${prefix}.${value}`) ? w.t(`${prefix}.${value}`) : String(value);
}

export function tierChip(/** @type {Words} */ w, tier) {
  const known = KNOWN_TIERS.has(tier);
  return el('span', { class: `chip tier ${known ? `tier-${tier}` : ''}`, text: known ? w.t(`tier.${tier}`) : String(tier), data: { tier: String(tier) } });
}

export function gradeChip(/** @type {Words} */ w, grade) {
  return el('span', { class: `chip grade grade-${/^[A-D]$/.test(grade) ? grade : 'x'}`, text: String(grade), title: w.t('grade.title') });
}

/** A role chip with its full name as the title; `data-role` for the tests and the colour. */
export function roleChip(/** @type {Words} */ w, role, extra = {}) {
  if (!role) return w.t('common.none');
  const known = KNOWN_ROLES.has(role);
  return el('span', {
    ...extra,
    class: `chip role ${extra.class ?? ''}`,
    text: known ? w.t(`role.${role}`) : String(role),
    title: known ? w.t(`role.${role}.title`) : String(role),
    data: { role: String(role), ...(extra.data ?? {}) },
  });
}

export function stageChip(/** @type {Words} */ w, stage, title) {
  return el('span', { class: `chip stage stage-${/^\w+$/.test(stage) ? stage : 'x'}`, text: labelOf(w, 'stage', stage), title });
}

export function plainChip(text, className = '') {
  return el('span', { class: `chip ${className}`, text: String(text) });
}

/**
 * The analysts' snapshot as chips: lifecycle stage (with when it changed), RFM segment and code, ABC class.
 * @param {Words} w
 * @param {{ dateTime: (v: string) => string }} fmt
 * @param {{ stage: string, segment: string | null, rfmCode: string | null, abcClass: string | null, stageChangedAt: string, previousStage: string | null } | null} lifecycle
 */
export function lifecycleChips(w, fmt, lifecycle) {
  if (!lifecycle) return el('span', { class: 'chips', testid: 'lifecycle' }, el('span', { class: 'muted', text: w.t('lead.noLifecycle') }));
  const since = w.t('lead.stageTitle', {
    time: fmt.dateTime(lifecycle.stageChangedAt),
    previous: lifecycle.previousStage ? labelOf(w, 'stage', lifecycle.previousStage) : w.t('common.none'),
  });
  return el(
    'span',
    { class: 'chips', testid: 'lifecycle' },
    stageChip(w, lifecycle.stage, since),
    lifecycle.segment ? plainChip(w.t('lead.segment', { segment: lifecycle.segment }), 'segment') : null,
    lifecycle.rfmCode ? plainChip(w.t('lead.rfmCode', { code: lifecycle.rfmCode }), 'subtle') : null,
    lifecycle.abcClass ? plainChip(w.t('lead.abc', { abc: lifecycle.abcClass }), `abc abc-${/^[ABC]$/.test(lifecycle.abcClass) ? lifecycle.abcClass : 'x'}`) : null,
  );
}

/** Heat as a figure with its label, for a page's header. */
export function heatFigure(/** @type {Words} */ w, text) {
  return el('span', { class: 'heat-figure' }, el('span', { class: 'heat-label', text: w.t('col.heat') }), text);
}
