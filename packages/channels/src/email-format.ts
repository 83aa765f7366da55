import type { AlertMessage } from './message.ts';
import { alertFacts, renderText } from './render.ts';

/**
 * The alert as an email: subject, a plain-text part and an HTML part, for nodemailer's `subject`, `text` and
 * `html`. Every value from lead data is HTML-escaped (names come from forms anyone can fill in), and the only
 * href is the dashboard link, which the message schema restricts to http(s).
 */

export interface EmailContent {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

/** Subjects are folded by mail clients long before this; the cut only keeps a pathological name in bounds. */
const SUBJECT_MAX = 200;

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

export function emailContent(message: AlertMessage): EmailContent {
  const f = alertFacts(message);
  const subjectFull = `[${f.tag}] ${f.who} — ${f.action}`;
  const subject = Array.from(subjectFull).length > SUBJECT_MAX ? `${Array.from(subjectFull).slice(0, SUBJECT_MAX - 1).join('')}…` : subjectFull;

  const rendered = renderText(message);
  const text = [rendered.title, '', ...rendered.lines, ''].join('\n');

  const h = escapeHtml;
  const row = (label: string, value: string) => `<p style="margin:0 0 8px"><strong>${h(label)}</strong> ${h(value)}</p>`;
  const html = [
    '<!doctype html>',
    '<html><head><meta charset="utf-8"><title>' + h(f.title) + '</title></head>',
    '<body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;font-size:14px;line-height:1.5;color:#1f2328">',
    `<h2 style="margin:0 0 12px;font-size:18px">${h(f.title)}</h2>`,
    row('Who:', f.person),
    ...(f.company ? [row('Company:', f.company)] : []),
    ...(f.score ? [row('Score:', f.score)] : []),
    row('Why:', f.summary),
    ...(f.points.length > 0 ? ['<ul style="margin:0 0 8px;padding-left:20px">', ...f.points.map((p) => `<li>${h(p)}</li>`), '</ul>'] : []),
    row('What now:', f.action),
    ...(f.link ? [`<p style="margin:16px 0"><a href="${h(f.link)}" style="color:#0969da">Open the lead in the dashboard</a></p>`] : []),
    `<p style="margin:16px 0 0;color:#656d76;font-size:12px">${h(f.footer)}</p>`,
    '</body></html>',
    '',
  ].join('\n');
  return { subject, text, html };
}
