// Types for i18n.js, so the TypeScript unit test (services/api/test/dashboard-i18n.test.ts) type-checks without
// allowJs. Keep in step with i18n.js.
export declare const LANGS: readonly ['en', 'zh-CN'];
export type Lang = (typeof LANGS)[number];
export declare const messages: Record<Lang, Record<string, string>>;
export declare function has(lang: string, key: string): boolean;
export declare function t(lang: string, key: string, params?: Record<string, string | number>): string;
export declare function placeholders(text: string): string[];
export declare function pickLang(stored: string | null | undefined, browser: string | undefined): Lang;
